"""Builders for the policies the lab needs: IRSA and Pod Identity trust policies, ABAC permissions.

Each returns a plain policy document (a new dict) that `labkit.policy.evaluate` and IAM both accept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from labkit import facts

VERSION = "2012-10-17"
WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity"
POD_IDENTITY_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
Binding = tuple[str, str, str]  # (issuer, namespace, service account)


def issuer_host_path(issuer: str) -> str:
    """The issuer as IAM names it in provider ARNs and condition keys: no scheme, no trailing slash."""
    for scheme in ("https://", "http://"):
        if issuer.startswith(scheme):
            issuer = issuer[len(scheme):]
    return issuer.rstrip("/")


def oidc_provider_arn(account_id: str, issuer: str, *, partition: str = "aws") -> str:
    """ARN of the IAM OIDC identity provider for `issuer` in `account_id`."""
    return f"arn:{partition}:iam::{account_id}:oidc-provider/{issuer_host_path(issuer)}"


def service_account_subject(namespace: str, service_account: str) -> str:
    """The `sub` claim Kubernetes puts in a service-account token."""
    return f"system:serviceaccount:{namespace}:{service_account}"


def irsa_trust_policy(
    account_id: str,
    bindings: Iterable[Binding],
    *,
    audience: str = "sts.amazonaws.com",
    packing: Literal["per-sa", "per-cluster"] = "per-sa",
    partition: str = "aws",
) -> dict[str, Any]:
    """An IRSA trust policy letting each (issuer, namespace, service account) binding assume the role.

    per-sa: one statement per binding pinning `:sub` and `:aud`. per-cluster: one statement per issuer
    pinning `:aud` with the list of `:sub` values. A `*` in a namespace or name makes the `:sub` test
    StringLike: StringEquals never expands wildcards.
    """
    unique = list(dict.fromkeys((issuer_host_path(i), ns, sa) for i, ns, sa in bindings))
    if not unique:
        raise ValueError("an IRSA trust policy needs at least one (issuer, namespace, service account)")
    if packing == "per-sa":
        statements = [_web_identity_statement(account_id, issuer, [_sub(ns, sa)], audience, partition)
                      for issuer, ns, sa in unique]
    elif packing == "per-cluster":
        by_issuer: dict[str, list[str]] = {}
        for issuer, ns, sa in unique:
            by_issuer.setdefault(issuer, []).append(_sub(ns, sa))
        statements = [_web_identity_statement(account_id, issuer, subs, audience, partition)
                      for issuer, subs in by_issuer.items()]
    else:
        raise ValueError(f"packing must be 'per-sa' or 'per-cluster', not {packing!r}")
    return {"Version": VERSION, "Statement": statements}


def _sub(namespace: str, service_account: str) -> str:
    """The subject for one binding."""
    return service_account_subject(namespace, service_account)


def _web_identity_statement(account_id: str, issuer: str, subs: Sequence[str], audience: str,
                            partition: str) -> dict[str, Any]:
    """One Allow statement for AssumeRoleWithWebIdentity from `issuer` for the subjects `subs`."""
    sub_value: str | list[str] = subs[0] if len(subs) == 1 else list(subs)
    # One operator for all subjects of a statement: two operators on the same key would be ANDed.
    sub_operator = "StringLike" if any(_has_wildcard(s) for s in subs) else "StringEquals"
    condition: dict[str, dict[str, Any]] = {"StringEquals": {f"{issuer}:aud": audience}}
    condition.setdefault(sub_operator, {})[f"{issuer}:sub"] = sub_value
    return {
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn(account_id, issuer, partition=partition)},
        "Action": WEB_IDENTITY_ACTION,
        "Condition": condition,
    }


def _has_wildcard(text: str) -> bool:
    """Whether `text` uses IAM's wildcard characters."""
    return "*" in text or "?" in text


def pod_identity_trust_policy(*, source_account: str | None = None,
                              source_arn: str | None = None) -> dict[str, Any]:
    """The EKS Pod Identity trust policy: pods.eks.amazonaws.com may AssumeRole and TagSession.

    `source_account` / `source_arn` (a cluster ARN, wildcards allowed) add the confused-deputy conditions.
    """
    condition: dict[str, dict[str, str]] = {}
    if source_account:
        condition["StringEquals"] = {"aws:SourceAccount": source_account}
    if source_arn:
        condition["ArnLike" if _has_wildcard(source_arn) else "ArnEquals"] = {"aws:SourceArn": source_arn}
    statement: dict[str, Any] = {
        "Sid": "AllowEksAuthToAssumeRoleForPodIdentity",
        "Effect": "Allow",
        "Principal": {"Service": facts.value("eks.pod-identity-audience")},
        "Action": list(POD_IDENTITY_ACTIONS),
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": VERSION, "Statement": [statement]}


def abac_policy(
    actions: str | Iterable[str],
    resource_template: str | Iterable[str],
    *,
    condition: Mapping[str, Mapping[str, Any]] | None = None,
    sid: str | None = None,
    effect: Literal["Allow", "Deny"] = "Allow",
) -> dict[str, Any]:
    """A one-statement permission policy whose resources use policy variables (ABAC).

    Example: ``abac_policy("s3:GetObject", "arn:aws:s3:::team-${aws:PrincipalTag/kubernetes-namespace}/*")``.
    """
    statement: dict[str, Any] = {}
    if sid:
        statement["Sid"] = sid
    statement["Effect"] = effect
    statement["Action"] = _one_or_list(actions)
    statement["Resource"] = _one_or_list(resource_template)
    if condition:
        statement["Condition"] = {op: dict(keys) for op, keys in condition.items()}
    return {"Version": VERSION, "Statement": [statement]}


def pod_identity_tag_condition(tag: str = "kubernetes-namespace", *,
                               resource_tag: str | None = None) -> dict[str, dict[str, str]]:
    """A condition that the resource's tag equals the Pod Identity session tag of the same name."""
    return {"StringEquals": {f"aws:ResourceTag/{resource_tag or tag}": f"${{aws:PrincipalTag/{tag}}}"}}


def least_privilege_policy(needs: Iterable[tuple[str, str]] | Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """The smallest Allow policy for (action, resource) needs: resources with the same actions share a statement.

    `needs` is pairs of (action, resource) or a mapping of resource -> actions.
    """
    pairs = ([(a, r) for r, acts in needs.items() for a in acts] if isinstance(needs, Mapping)
             else list(needs))
    actions_by_resource: dict[str, set[str]] = {}
    for action, resource in pairs:
        actions_by_resource.setdefault(resource, set()).add(action)
    resources_by_actions: dict[tuple[str, ...], list[str]] = {}
    for resource, acts in actions_by_resource.items():
        resources_by_actions.setdefault(tuple(sorted(acts)), []).append(resource)
    statements = [{"Effect": "Allow", "Action": _one_or_list(acts), "Resource": _one_or_list(sorted(res))}
                  for acts, res in sorted(resources_by_actions.items())]
    if not statements:
        raise ValueError("least_privilege_policy needs at least one (action, resource)")
    return {"Version": VERSION, "Statement": statements}


def _one_or_list(values: str | Iterable[str]) -> str | list[str]:
    """A single string as is, several as a list (the way people write policies)."""
    if isinstance(values, str):
        return values
    items = list(values)
    return items[0] if len(items) == 1 else items
