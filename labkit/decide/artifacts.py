"""Set-up artifacts for one planned workload: policies, aws CLI steps, eksctl config, CDK, ServiceAccount.

Built only when asked (a plan of 100,000 workloads never renders 100,000 CDK snippets).
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from typing import TYPE_CHECKING, Any

from labkit.decide import iam
from labkit.decide.inventory import Account, Need

if TYPE_CHECKING:
    from labkit.decide.planner import WorkloadPlan

AUDIENCE = "sts.amazonaws.com"
NAMESPACE_TAG = "${aws:PrincipalTag/kubernetes-namespace}"
SERVICE_ACCOUNT_TAG = "${aws:PrincipalTag/kubernetes-service-account}"


class Artifacts:
    """Everything needed to set a workload up with its planned mechanism."""

    def __init__(self, plan: WorkloadPlan) -> None:
        self.plan = plan
        self.workload = plan.workload
        self.cluster = plan.cluster
        self.pod_identity = plan.mechanism == "pod-identity"

    def __repr__(self) -> str:
        return f"<Artifacts {self.workload.name} ({self.plan.mechanism})>"

    # --- policies -------------------------------------------------------------------------------------

    @cached_property
    def trust_policy(self) -> dict[str, Any]:
        """The trust policy of the pod's role."""
        if self.pod_identity:
            return iam.pod_identity_trust()
        account = self.plan.role_account
        if self.workload.sharing_group:
            # Every member of the group: one statement per cluster keeps it smallest.
            bindings = self.plan.plan.group_bindings(self.workload.sharing_group)
            return iam.irsa_trust(account.id, bindings, packing="per-cluster", partition=account.partition)
        return iam.irsa_trust(account.id, [self._binding()], partition=account.partition)

    @cached_property
    def permission_policy(self) -> dict[str, Any] | None:
        """Least privilege from the declared needs (plus assuming the target roles when EKS chains them)."""
        needs = self.workload.needs
        if self.plan.role_account is not self.plan.account:  # IRSA straight into the other account's role
            needs = self.workload.targets[0].needs
        pairs = _pairs(needs)
        if self.plan.role_account is self.plan.account:  # the pod's role assumes (chains into) each target role
            actions = ("sts:AssumeRole", "sts:TagSession") if self.pod_identity else ("sts:AssumeRole",)
            pairs += [(action, self.plan.target_role_arn(i)) for i in range(len(self.workload.targets))
                      for action in actions]
        return iam.permissions(pairs) if pairs else None

    @cached_property
    def abac_policy(self) -> dict[str, Any] | None:
        """For a shared Pod Identity role: the needs with the namespace and service account as session tags."""
        if not (self.pod_identity and self.workload.sharing_group and self.workload.needs):
            return None
        statements = []
        for need in self.workload.needs:
            resources = [self._templated(resource) for resource in need.resources]
            statements += iam.abac_permissions(need.actions, resources)["Statement"]
        return {"Version": "2012-10-17", "Statement": statements}

    def target_trust_policy(self, index: int = 0) -> dict[str, Any]:
        """Trust policy of a cross-account target role, for the planned mechanism."""
        target_account = self._target_account(index)
        if self.pod_identity:
            return iam.target_role_trust(self.plan.role_arn)
        if self.plan.role_account is self.plan.account:  # IRSA chaining from the role in the cluster's account
            return iam.target_role_trust(self.plan.role_arn, tag_session=False)
        return iam.irsa_trust(target_account.id, [self._binding()], partition=target_account.partition)

    def target_permission_policy(self, index: int = 0) -> dict[str, Any] | None:
        """Least privilege in the target account."""
        pairs = _pairs(self.workload.targets[index].needs)
        return iam.permissions(pairs) if pairs else None

    def sizes(self) -> dict[str, int]:
        """Characters IAM counts for each policy, to compare with the quotas."""
        docs = {"trust_policy": self.trust_policy, "permission_policy": self.permission_policy,
                "abac_policy": self.abac_policy}
        return {name: iam.characters(doc) for name, doc in docs.items() if doc}

    # --- cross-account ------------------------------------------------------------------------------

    def cross_account(self) -> dict[str, Any]:
        """How the workload reaches its target accounts: the chain, both trust policies, and the IRSA route."""
        routes = []
        for index, target in enumerate(self.workload.targets):
            account = self._target_account(index)
            target_arn = self.plan.target_role_arn(index)
            provider = iam.provider_arn(account.id, self.cluster.oidc_issuer, account.partition)
            route: dict[str, Any] = {
                "account": account.name, "target_role_arn": target_arn,
                "irsa_route": {
                    "oidc_provider_arn": provider,
                    "trust_policy": iam.irsa_trust(account.id, [self._binding()], partition=account.partition),
                    "explanation": (f"IRSA: create an OIDC provider for {self.cluster.issuer_host} in {account.name} "
                                    f"(one more provider against that account's quota, for every cluster), a role "
                                    f"there trusting it for system:serviceaccount:{self.workload.namespace}:"
                                    f"{self.workload.service_account}, and annotate the service account with "
                                    f"{target_arn}. Or chain AssumeRole from an IRSA role in the cluster's account "
                                    "via an SDK profile (source_profile + web_identity_token_file)."),
                    "fact": "eks.irsa-cross-account",
                },
            }
            if self.pod_identity:
                route["pod_identity_route"] = {
                    "chain": [f"pod -> agent -> EKS Auth (cluster {self.cluster.name})",
                              f"AssumeRole {self.plan.role_arn} (trust: pods.eks.amazonaws.com)",
                              f"AssumeRole {target_arn} (trust: {self.plan.role_arn})",
                              "pod receives the target role's credentials (cached 59 minutes)"],
                    "source_trust_policy": self.trust_policy,
                    "source_permission_policy": self.permission_policy,
                    "target_trust_policy": self.target_trust_policy(index),
                    "note": ("The association returns an externalId; add it as an sts:ExternalId condition to the "
                             "target trust policy so only this association can use the target role."),
                    "fact": "eks.pod-identity-target-role",
                }
            route["target_permission_policy"] = self.target_permission_policy(index)
            routes.append(route)
        return {"mechanism": self.plan.mechanism, "targets": routes}

    # --- text artifacts -------------------------------------------------------------------------------

    @cached_property
    def service_account_manifest(self) -> str:
        """The ServiceAccount YAML (annotated for IRSA, plain for Pod Identity)."""
        lines = ["apiVersion: v1", "kind: ServiceAccount", "metadata:",
                 f"  name: {self.workload.service_account}", f"  namespace: {self.workload.namespace}"]
        if self.pod_identity:
            lines.append("  # no eks.amazonaws.com/role-arn: the Pod Identity association maps it outside Kubernetes")
        else:
            lines += ["  annotations:", f"    eks.amazonaws.com/role-arn: {self.plan.role_arn}",
                      '    eks.amazonaws.com/sts-regional-endpoints: "true"']
        return "\n".join(lines) + "\n"

    @cached_property
    def cli_steps(self) -> str:
        """aws CLI (and kubectl) steps, in order, with the policy documents inline."""
        return "\n".join(self._pod_identity_steps() if self.pod_identity else self._irsa_steps()) + "\n"

    def _pod_identity_steps(self) -> list[str]:
        """The Pod Identity set-up: agent, role, permissions, target role, association."""
        c, w, role = self.cluster, self.workload, self.plan.role_name
        steps = [f"# EKS Pod Identity for {w.namespace}/{w.service_account} on {c.name}",
                 f"aws eks create-addon --cluster-name {c.name} --addon-name eks-pod-identity-agent "
                 f"--region {c.region}  # once per cluster",
                 *_heredoc("trust-policy.json", self.trust_policy),
                 f"aws iam create-role --role-name {role} --assume-role-policy-document file://trust-policy.json"]
        if self.permission_policy:
            steps += [*_heredoc("permissions.json", self.permission_policy),
                      f"aws iam put-role-policy --role-name {role} --policy-name {w.name} "
                      "--policy-document file://permissions.json"]
        association = (f"aws eks create-pod-identity-association --cluster-name {c.name} --namespace {w.namespace} "
                       f"--service-account {w.service_account} --role-arn {self.plan.role_arn}")
        for index, target in enumerate(w.targets):
            steps += [f"# in account {target.account} (e.g. --profile {target.account}):",
                      *_heredoc("target-trust-policy.json", self.target_trust_policy(index)),
                      f"aws iam create-role --role-name {target.role_name} "
                      "--assume-role-policy-document file://target-trust-policy.json --profile " + target.account]
            target_permissions = self.target_permission_policy(index)
            if target_permissions:
                steps += [*_heredoc("target-permissions.json", target_permissions),
                          f"aws iam put-role-policy --role-name {target.role_name} --policy-name {w.name} "
                          f"--policy-document file://target-permissions.json --profile {target.account}"]
            association += f" --target-role-arn {self.plan.target_role_arn(index)}"
        steps += [association, "# no annotation on the ServiceAccount; restart pods created before the association"]
        return steps

    def _irsa_steps(self) -> list[str]:
        """The IRSA set-up: OIDC provider, role with web-identity trust, permissions, annotated SA."""
        c, w, role, account = self.cluster, self.workload, self.plan.role_name, self.plan.role_account
        profile = f" --profile {account.name}" if account is not self.plan.account else ""
        if c.platform == "eks" and not profile:
            provider = [f"eksctl utils associate-iam-oidc-provider --cluster {c.name} --region {c.region} --approve"
                        "  # once per cluster"]
        else:
            provider = [f"aws iam create-open-id-connect-provider --url {c.oidc_issuer} "
                        f"--client-id-list {AUDIENCE}{profile}  # once per cluster and account"]
        steps = [f"# IRSA for {w.namespace}/{w.service_account} on {c.name}", *provider,
                 *_heredoc("trust-policy.json", self.trust_policy),
                 f"aws iam create-role --role-name {role} --assume-role-policy-document file://trust-policy.json"
                 + profile]
        if self.permission_policy:
            steps += [*_heredoc("permissions.json", self.permission_policy),
                      f"aws iam put-role-policy --role-name {role} --policy-name {w.name} "
                      f"--policy-document file://permissions.json{profile}"]
        steps += [f"kubectl create serviceaccount {w.service_account} -n {w.namespace} --dry-run=client -o yaml "
                  "| kubectl apply -f -",
                  f"kubectl annotate serviceaccount {w.service_account} -n {w.namespace} "
                  f"eks.amazonaws.com/role-arn={self.plan.role_arn} --overwrite",
                  "# restart the pods: only pods created after the annotation get the token and variables"]
        return steps

    @cached_property
    def eksctl_config(self) -> str:
        """An eksctl ClusterConfig fragment (EKS only; other platforms get a comment)."""
        c, w = self.cluster, self.workload
        if c.platform != "eks":
            return f"# eksctl manages Amazon EKS only; {c.platform} clusters use the aws CLI steps.\n"
        head = ["apiVersion: eksctl.io/v1alpha5", "kind: ClusterConfig", "metadata:", f"  name: {c.name}",
                f"  region: {c.region}"]
        policy = json.dumps(self.permission_policy) if self.permission_policy else None
        if self.pod_identity:
            body = ["addons:", "  - name: eks-pod-identity-agent", "iam:", "  podIdentityAssociations:",
                    f"    - namespace: {w.namespace}", f"      serviceAccountName: {w.service_account}",
                    f"      roleName: {self.plan.role_name}"]
            body += [f"      targetRoleARN: {self.plan.target_role_arn(i)}" for i in range(len(w.targets[:1]))]
            body += [f"      permissionPolicy: {policy}"] if policy else []
        else:
            body = ["iam:", "  withOIDC: true", "  serviceAccounts:", "    - metadata:",
                    f"        name: {w.service_account}", f"        namespace: {w.namespace}",
                    f"      roleName: {self.plan.role_name}"]
            body += [f"      attachPolicy: {policy}"] if policy else []
        return "\n".join(head + body) + "\n"

    @cached_property
    def cdk_snippet(self) -> str:
        """AWS CDK (Python) for the role and its binding to the service account."""
        w, c = self.workload, self.cluster
        ident = _identifier(w.name)
        lines = ["from aws_cdk import aws_eks as eks, aws_iam as iam", "", "# inside a Stack's __init__:"]
        if self.pod_identity:
            lines.append(f'{ident}_role = iam.Role(self, "{_camel(w.name)}Role", role_name="{self.plan.role_name}",')
            lines.append('    assumed_by=iam.ServicePrincipal("pods.eks.amazonaws.com").with_session_tags())')
        else:
            issuer = c.issuer_host
            provider = iam.provider_arn(self.plan.role_account.id, c.oidc_issuer, self.plan.role_account.partition)
            lines += [f'{ident}_role = iam.Role(self, "{_camel(w.name)}Role", role_name="{self.plan.role_name}",',
                      f'    assumed_by=iam.WebIdentityPrincipal("{provider}", conditions={{"StringEquals": {{',
                      f'        "{issuer}:sub": "system:serviceaccount:{w.namespace}:{w.service_account}",',
                      f'        "{issuer}:aud": "{AUDIENCE}"}}}}))']
        for statement in (self.permission_policy or {}).get("Statement", []):
            lines.append(f"{ident}_role.add_to_policy(iam.PolicyStatement(actions={_as_list(statement['Action'])!r}, "
                         f"resources={_as_list(statement['Resource'])!r}))")
        if self.pod_identity:
            lines += [f'eks.CfnPodIdentityAssociation(self, "{_camel(w.name)}Association",',
                      f'    cluster_name="{c.name}", namespace="{w.namespace}", '
                      f'service_account="{w.service_account}",',
                      f"    role_arn={ident}_role.role_arn"
                      + (f', target_role_arn="{self.plan.target_role_arn(0)}")' if w.targets else ")")]
            lines.append("# the eks-pod-identity-agent add-on (eks.CfnAddon) must exist before the association")
        else:
            lines.append("# annotate the ServiceAccount with the role ARN (see service_account_manifest)")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Every artifact, JSON-ready."""
        data: dict[str, Any] = {"trust_policy": self.trust_policy, "permission_policy": self.permission_policy,
                                "sizes": self.sizes(), "cli_steps": self.cli_steps,
                                "eksctl_config": self.eksctl_config, "cdk_snippet": self.cdk_snippet,
                                "service_account_manifest": self.service_account_manifest}
        if self.abac_policy:
            data["abac_policy"] = self.abac_policy
        return data

    def text(self) -> str:
        """Every artifact as readable text."""
        parts = [f"== {self.workload.name}: {self.plan.mechanism} ==",
                 "-- trust policy --", json.dumps(self.trust_policy, indent=2)]
        for title, doc in (("permission policy", self.permission_policy), ("ABAC policy", self.abac_policy)):
            if doc:
                parts += [f"-- {title} --", json.dumps(doc, indent=2)]
        for index, target in enumerate(self.workload.targets):
            parts += [f"-- target role trust policy ({target.account}) --",
                      json.dumps(self.target_trust_policy(index), indent=2)]
        parts += ["-- aws CLI --", self.cli_steps, "-- eksctl --", self.eksctl_config, "-- CDK (Python) --",
                  self.cdk_snippet, "-- ServiceAccount --", self.service_account_manifest]
        return "\n".join(parts)

    # --- helpers ----------------------------------------------------------------------------------------

    def _binding(self) -> tuple[str, str, str]:
        """(issuer, namespace, service account) of this workload."""
        return (self.cluster.oidc_issuer, self.workload.namespace, self.workload.service_account)

    def _target_account(self, index: int) -> Account:
        """The Account of a target."""
        return self.plan.plan.inventory.accounts[self.workload.targets[index].account]

    def _templated(self, resource: str) -> str:
        """A resource ARN with this workload's namespace and service account replaced by session-tag variables."""
        resource = _replace_word(resource, self.workload.service_account, SERVICE_ACCOUNT_TAG)
        return _replace_word(resource, self.workload.namespace, NAMESPACE_TAG)


def _replace_word(text: str, word: str, replacement: str) -> str:
    """Replace `word` where it stands between non-alphanumeric characters (so `dev` spares `devices`)."""
    return re.sub(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", lambda _: replacement, text)


def _pairs(needs: tuple[Need, ...]) -> list[tuple[str, str]]:
    """(action, resource) pairs of needs."""
    return [(action, resource) for need in needs for action in need.actions for resource in need.resources]


def _heredoc(name: str, doc: dict[str, Any]) -> list[str]:
    """Shell lines writing a JSON document to a file."""
    return [f"cat > {name} <<'EOF'", json.dumps(doc, indent=2), "EOF"]


def _as_list(value: str | list[str]) -> list[str]:
    """A policy element as a list."""
    return [value] if isinstance(value, str) else list(value)


def _identifier(name: str) -> str:
    """A Python identifier from a workload name."""
    return re.sub(r"\W", "_", name.replace("-", "_")).lower()


def _camel(name: str) -> str:
    """CamelCase construct id from a workload name."""
    return "".join(part.capitalize() for part in re.split(r"[-_.]", name) if part)
