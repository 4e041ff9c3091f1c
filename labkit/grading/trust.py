"""Checks for the trust-policy exercises: the policy is judged by the policy engine, not by its text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labkit.grading import attempt, check, passed
from labkit.policy import evaluate, validate
from labkit.policy.requests import pod_identity_request, web_identity_request

ACCOUNT = "111122223333"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/5F4B3C2A1D0E9F8A7B6C5D4E3F2A1B0C"
OTHER_ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/CheckoutApiIRSARole"

# (what the token says, should it get in, hint when the answer gets it wrong)
_CASES = (
    ({"namespace": "production", "service_account": "checkout-api-sa"}, True,
     "The exact service account must get in: Federated principal = the provider ARN, "
     "Action sts:AssumeRoleWithWebIdentity, StringEquals on '<issuer>:sub' = 'system:serviceaccount:<ns>:<sa>'."),
    ({"namespace": "production", "service_account": "default"}, False,
     "Pin the service account name in ':sub' (StringEquals, no wildcard)."),
    ({"namespace": "staging", "service_account": "checkout-api-sa"}, False,
     "Pin the namespace too: ':sub' is 'system:serviceaccount:<namespace>:<name>'."),
    ({"namespace": "production", "service_account": "checkout-api-sa-evil"}, False,
     "A wildcard (StringLike with '*') admits look-alike names: use StringEquals with the full subject."),
    ({"namespace": "production", "service_account": "checkout-api-sa", "audience": "https://kubernetes.default.svc"}, False,
     "Pin the audience: StringEquals '<issuer>:aud' = 'sts.amazonaws.com'."),
    ({"namespace": "production", "service_account": "checkout-api-sa", "issuer": OTHER_ISSUER}, False,
     "Only this cluster's OIDC provider may be the Federated principal, and the condition keys name its issuer."),
)


def _request(case: dict[str, str]) -> dict[str, Any]:
    fields = dict(case)
    issuer = fields.pop("issuer", ISSUER)
    return web_identity_request(ROLE, issuer, **fields)


def check_single_service_account_trust(trust_policy_for: Callable[..., dict]) -> None:
    """``trust_policy_for(account_id, issuer, namespace, service_account)`` admits exactly that service account."""
    policy = attempt(trust_policy_for, ACCOUNT, ISSUER, "production", "checkout-api-sa")
    check(isinstance(policy, dict), f"expected a policy dict, got {type(policy).__name__}")
    issues = validate(policy, kind="trust")
    check(not issues, f"IAM would reject this trust policy: {issues[0] if issues else ''}",
          "Every statement needs Effect, Principal and Action; condition operators and keys must be valid.")
    for case, should_allow, hint in _CASES:
        effect = evaluate(_request(case), resource_policy=policy).effect
        who = f"{case.get('namespace')}/{case.get('service_account')}"
        extra = f" with audience {case['audience']!r}" if "audience" in case else ""
        extra += " from another cluster" if "issuer" in case else ""
        if should_allow:
            check(effect == "Allow", f"a token for {who} should assume the role, but the result is {effect}", hint)
        else:
            check(effect != "Allow", f"a token for {who}{extra} got in; it must not", hint)
    passed("the trust policy admits production/checkout-api-sa and nothing else")


SOURCE_ROLE = "arn:aws:iam::111122223333:role/AdminDashboardPodIdentity"
TARGET_ROLE = "arn:aws:iam::444455556666:role/AuditRead"
EXTERNAL_ID = "09ea6ac2-dab1-4438-89c2-ef931c8e2f6e"
_SESSION = "arn:aws:sts::111122223333:assumed-role/AdminDashboardPodIdentity/eks-prod-admin-dashboard-1-0"


def _chained_request(action: str, principal: str, external_id: str | None) -> dict[str, Any]:
    """The request the second hop of a Pod Identity target-role chain makes."""
    context: dict[str, Any] = {"aws:PrincipalTag/kubernetes-namespace": "admin"}
    if external_id is not None:
        context["sts:ExternalId"] = external_id
    return {"action": action, "resource": TARGET_ROLE, "principal": {"type": "AWS", "id": principal},
            "context": context, "resource_account": "444455556666"}


def check_target_role_trust(target_trust_policy: Callable[[str, str], dict]) -> None:
    """``target_trust_policy(source_role_arn, external_id)`` admits exactly the association's chain."""
    policy = attempt(target_trust_policy, SOURCE_ROLE, EXTERNAL_ID)
    check(isinstance(policy, dict), f"expected a policy dict, got {type(policy).__name__}")
    issues = validate(policy, kind="trust")
    check(not issues, f"IAM would reject this trust policy: {issues[0] if issues else ''}")
    cross = "Cross-account: the target role's trust policy must name the source role (its identity policy must allow it too)."
    for action in ("sts:AssumeRole", "sts:TagSession"):
        effect = evaluate(_chained_request(action, _SESSION, EXTERNAL_ID), resource_policy=policy,
                          identity_policies=[_source_permissions()]).effect
        check(effect == "Allow", f"EKS Auth's {action} from the Pod Identity role was refused ({effect})",
              cross if action == "sts:AssumeRole" else
              "Pod Identity sessions carry transitive session tags: the target must allow sts:TagSession too.")
    refusals = (
        ("another role of the same account", "arn:aws:sts::111122223333:assumed-role/SomeOtherRole/s", EXTERNAL_ID,
         "Name the source role itself, not the account (no :root, no '*')."),
        ("the right role without the external id", _SESSION, None, "Require the association's externalId (StringEquals sts:ExternalId)."),
        ("the right role with another external id", _SESSION, "another-association", "Pin the exact externalId."),
    )
    for what, principal, external_id, hint in refusals:
        effect = evaluate(_chained_request("sts:AssumeRole", principal, external_id), resource_policy=policy,
                          identity_policies=[_source_permissions("*")]).effect
        check(effect != "Allow", f"{what} can assume the target role", hint)
    passed("the target role admits only the association's role, with its external id, and allows the session tags")


def _source_permissions(resource: str = TARGET_ROLE) -> dict[str, Any]:
    """The identity policy of the calling role (it must be allowed to assume the target: cross-account)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": resource}]}


CLUSTER_ARN = "arn:aws:eks:us-east-1:111122223333:cluster/checkout-prod"


def _pod_identity_call(action: str, account: str, cluster_arn: str) -> dict[str, Any]:
    """What EKS Auth asks the role's trust policy, with the confused-deputy context keys AWS supplies."""
    return pod_identity_request(f"arn:aws:iam::{ACCOUNT}:role/CheckoutApiPodIdentityRole", action,
                                **{"aws:SourceAccount": account, "aws:SourceArn": cluster_arn})


def check_pod_identity_trust(pod_identity_trust: Callable[[str, str], dict]) -> None:
    """``pod_identity_trust(account_id, cluster_arn)`` admits EKS Pod Identity for that cluster only."""
    policy = attempt(pod_identity_trust, ACCOUNT, CLUSTER_ARN)
    check(isinstance(policy, dict), f"expected a policy dict, got {type(policy).__name__}")
    issues = validate(policy, kind="trust")
    check(not issues, f"IAM would reject this trust policy: {issues[0] if issues else ''}")
    for action, hint in (("sts:AssumeRole", "Principal {\"Service\": \"pods.eks.amazonaws.com\"}, Action sts:AssumeRole."),
                         ("sts:TagSession", "Pod Identity attaches session tags: allow sts:TagSession as well.")):
        effect = evaluate(_pod_identity_call(action, ACCOUNT, CLUSTER_ARN), resource_policy=policy).effect
        check(effect == "Allow", f"EKS Auth's {action} for cluster checkout-prod was refused ({effect})", hint)
    other_cluster = "arn:aws:eks:us-east-1:999988887777:cluster/someone-elses"
    effect = evaluate(_pod_identity_call("sts:AssumeRole", "999988887777", other_cluster), resource_policy=policy).effect
    check(effect != "Allow", "a cluster in another account (999988887777) can use this role",
          "Confused deputy: add StringEquals aws:SourceAccount (and ArnEquals/ArnLike aws:SourceArn for the cluster).")
    same_account_other = "arn:aws:eks:us-east-1:111122223333:cluster/sandbox"
    effect = evaluate(_pod_identity_call("sts:AssumeRole", ACCOUNT, same_account_other), resource_policy=policy).effect
    check(effect != "Allow", "another cluster of the same account (sandbox) can use this role",
          "Pin aws:SourceArn to the cluster's ARN.")
    passed("pods.eks.amazonaws.com may AssumeRole and TagSession, for the checkout-prod cluster only")
