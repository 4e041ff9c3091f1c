"""The rules that choose IRSA or EKS Pod Identity, as data: id, condition, outcome, because-text, fact.

A rule reads only a workload's `Traits` (a small hashable summary), so the verdict for a shape of workload is
computed once and shared by every workload of that shape. Mechanism rules run first: any `irsa` outcome
wins (Pod Identity cannot work there), otherwise `pod-identity`, the mechanism AWS recommends. Rules with a
`mechanism` then run only for workloads that got it: they add notes and blockers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

Outcome = Literal["irsa", "pod-identity", "blocker", "note"]
Mechanism = Literal["pod-identity", "irsa"]


class Traits(NamedTuple):
    """What the rules may look at for one workload."""

    platform: str  # eks | eks-anywhere | self-managed | rosa | outposts
    compute: str  # effective: ec2-linux | ec2-windows | fargate
    pod_identity_version: bool  # the cluster's Kubernetes/platform version runs Pod Identity
    cross_account: bool  # the workload has targets in other accounts
    target_roles: bool  # association target roles exist (EKS since June 2025)
    shared: bool  # the workload's role is shared by a sharing group
    current: str  # irsa | pod-identity | none
    proxy_without_agent: bool  # a proxy is set and NO_PROXY lacks the agent address
    fargate_unselected: bool  # declared Fargate, but no Fargate profile selects the pod
    fargate_selected: bool  # declared EC2, but a Fargate profile selects the pod
    direct_cross_account: bool = False  # one target and no needs of its own: IRSA can use the target's role
    sdk_too_old: bool = False  # the declared SDK predates Pod Identity support


@dataclass(frozen=True)
class Rule:
    """One rule: when `condition` holds for a workload's traits, `outcome` follows, because of `fact`."""

    id: str
    outcome: Outcome
    fact: str
    because: str  # str.format text; fields: see labkit.decide.planner.WorkloadPlan.context
    condition: Callable[[Traits], bool]
    mechanism: Mechanism | None = None  # only for workloads that got this mechanism

    def __repr__(self) -> str:
        return f"<Rule {self.id} -> {self.outcome}>"


RULES: tuple[Rule, ...] = (
    Rule("platform-without-pod-identity", "irsa", "eks.pod-identity-unsupported",
         "{platform} clusters cannot run EKS Pod Identity (it needs the EKS Auth API and the agent on EKS "
         "EC2 nodes); IRSA works with the cluster's own OIDC issuer.",
         lambda t: t.platform != "eks"),
    Rule("fargate-needs-irsa", "irsa", "eks.pod-identity-unsupported",
         "The pod runs on Fargate (profile {fargate_profile}); Pod Identity is not available on Fargate, "
         "Linux or Windows, so it uses IRSA.",
         lambda t: t.compute == "fargate"),
    Rule("windows-needs-irsa", "irsa", "eks.pod-identity-unsupported",
         "The pod runs on Windows EC2 nodes; the Pod Identity agent runs only on Linux nodes, so it uses IRSA.",
         lambda t: t.compute == "ec2-windows"),
    Rule("version-below-pod-identity-minimum", "irsa", "eks.pod-identity-min-platform-versions",
         "Kubernetes {kubernetes_version} ({platform_version}) is older than the first EKS version that runs "
         "Pod Identity; use IRSA until the cluster is upgraded.",
         lambda t: t.platform == "eks" and not t.pod_identity_version),
    Rule("cross-account-without-target-roles", "irsa", "eks.pod-identity-target-role",
         "It needs roles in {target_accounts}, and without association target roles (EKS before June 2025) a "
         "Pod Identity role must live in the cluster's account; IRSA reaches the other account directly "
         "through an OIDC provider for this cluster created there.",
         lambda t: t.cross_account and not t.target_roles),
    Rule("aws-recommends-pod-identity", "pod-identity", "eks.aws-recommends-pod-identity",
         "Linux pods on EC2 nodes of an EKS cluster: AWS recommends EKS Pod Identity, with no OIDC provider per "
         "cluster and a trust policy that does not grow with clusters or service accounts.",
         lambda t: t.platform == "eks" and t.compute == "ec2-linux"),
    # Notes and blockers, once the mechanism is known.
    Rule("cross-account-target-role", "note", "eks.pod-identity-target-role",
         "Cross-account through the association's target role: EKS assumes {role_arn} (this account), then "
         "{target_role_arns} (chained; credentials cached 59 minutes). No OIDC provider in {target_accounts}.",
         lambda t: t.cross_account, mechanism="pod-identity"),
    Rule("shared-role-abac", "note", "eks.pod-identity-session-tags",
         "The role is shared by sharing group {sharing_group}: one trust policy for every member, and session "
         "tags (kubernetes-namespace, kubernetes-service-account, ...) scope each pod's access (ABAC).",
         lambda t: t.shared, mechanism="pod-identity"),
    Rule("irsa-needs-oidc-provider", "note", "eks.irsa-oidc-provider-per-cluster",
         "IRSA needs the IAM OIDC provider for cluster {cluster} ({issuer_host}) in account {provider_account}: one "
         "provider per cluster, counted against the account's quota.",
         lambda t: True, mechanism="irsa"),
    Rule("irsa-cross-account-provider", "note", "eks.irsa-cross-account",
         "Cross-account with IRSA: {target_accounts} must create an OIDC provider for this cluster's issuer and "
         "a role trusting it; the service account is annotated with that role's ARN.",
         lambda t: t.cross_account, mechanism="irsa"),
    Rule("irsa-cross-account-chain", "note", "eks.irsa-cross-account",
         "It also needs its own account and a service account carries one IRSA role, so the plan takes the other "
         "documented route: the pod keeps {role_arn} and chains AssumeRole into {target_role_arns} (an SDK profile "
         "with source_profile and web_identity_token_file); each target role trusts {role_arn}, and no OIDC "
         "provider is needed in {target_accounts}.",
         lambda t: t.cross_account and not t.direct_cross_account, mechanism="irsa"),
    Rule("shared-role-trust-policy-size", "note", "iam.trust-policy-size-default",
         "The role is shared by sharing group {sharing_group}: under IRSA its trust policy lists every service "
         "account of every cluster and must fit the trust policy size quota (see the group's numbers).",
         lambda t: t.shared, mechanism="irsa"),
    Rule("fargate-profile-overrides-compute", "note", "eks.fargate-profile-selection",
         "Declared as {declared_compute}, but Fargate profile {fargate_profile} selects namespace {namespace} "
         "with these labels, so the pod runs on Fargate.",
         lambda t: t.fargate_selected),
    Rule("fargate-without-profile", "blocker", "eks.fargate-profile-selection",
         "Declared as Fargate, but no Fargate profile of cluster {cluster} selects namespace {namespace} with "
         "these labels: the pod would go to EC2 nodes. Add a profile selector or fix the labels.",
         lambda t: t.fargate_unselected),
    Rule("proxy-hides-agent", "blocker", "eks.pod-identity-agent-address",
         "HTTP(S)_PROXY is set and NO_PROXY lacks 169.254.170.23: the SDK would send the credential request to "
         "the proxy and fail. Add 169.254.170.23 (and fd00:ec2::23 on IPv6) to NO_PROXY.",
         lambda t: t.proxy_without_agent, mechanism="pod-identity"),
    Rule("sdk-too-old-for-pod-identity", "blocker", "eks.pod-identity-min-sdk",
         "The pods' SDK ({sdk}) predates EKS Pod Identity support ({sdk_minimum}): it skips the container "
         "credential provider and falls through to the node role. Upgrade the SDK first.",
         lambda t: t.sdk_too_old, mechanism="pod-identity"),
    Rule("migrate-from-irsa", "note", "sdk.credential-chain-order",
         "Today on IRSA: create the association first, then remove the eks.amazonaws.com/role-arn annotation "
         "and restart the pods (IRSA outranks Pod Identity in the SDK chain while the annotation stays).",
         lambda t: t.current == "irsa", mechanism="pod-identity"),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


@dataclass(frozen=True)
class Verdict:
    """The outcome of the rules for one shape of workload."""

    mechanism: Mechanism
    fired: tuple[Rule, ...]
    not_applicable: tuple[Rule, ...]

    @property
    def blockers(self) -> tuple[Rule, ...]:
        """Fired rules that must be fixed before the mechanism works."""
        return tuple(rule for rule in self.fired if rule.outcome == "blocker")


@lru_cache(maxsize=4096)
def decide(traits: Traits) -> Verdict:
    """Run every rule against the traits (cached: many workloads share a shape)."""
    choosers = [rule for rule in RULES if rule.mechanism is None and rule.condition(traits)]
    mechanism: Mechanism = "irsa" if any(rule.outcome == "irsa" for rule in choosers) else "pod-identity"
    fired: list[Rule] = []
    not_applicable: list[Rule] = []
    for rule in RULES:
        applies = rule.mechanism in (None, mechanism) and rule.condition(traits)
        # A mechanism rule that lost (pod-identity when IRSA is forced) did not decide: not applicable.
        decided = applies and not (rule.outcome in ("irsa", "pod-identity") and rule.outcome != mechanism)
        (fired if decided else not_applicable).append(rule)
    return Verdict(mechanism, tuple(fired), tuple(not_applicable))
