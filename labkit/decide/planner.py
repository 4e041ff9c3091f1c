"""Plan an inventory: per workload a mechanism with its reasons, per account and cluster the quotas, per
sharing group the role and trust-policy numbers, and the migration from IRSA to EKS Pod Identity."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from labkit.decide import iam
from labkit.decide.gcpause import gc_paused
from labkit.decide.inventory import Account, Cluster, Inventory, SharingGroup, Workload
from labkit.decide.proxy import agent_bypassed
from labkit.decide.rules import Rule, Traits, Verdict, decide
from labkit.facts import value

if TYPE_CHECKING:
    from labkit.decide.result import Plan


@dataclass(frozen=True)
class Reason:
    """A fired rule, with its because-text filled in for one workload."""

    rule: Rule
    because: str

    def to_dict(self) -> dict[str, str]:
        """JSON form: rule id, outcome, the fact it rests on, and why."""
        return {"rule": self.rule.id, "outcome": self.rule.outcome, "fact": self.rule.fact,
                "because": self.because}


@dataclass(frozen=True, slots=True)
class WorkloadPlan:
    """The plan for one workload: mechanism, the rules behind it, and (lazily) its set-up artifacts."""

    workload: Workload
    cluster: Cluster
    account: Account
    compute: str
    fargate_profile: str | None
    verdict: Verdict
    role_name: str
    role_account: Account  # where the pod's role lives (the audit account for IRSA's direct cross-account)
    plan: _PlanContext

    @property
    def mechanism(self) -> str:
        """`pod-identity` or `irsa`."""
        return self.verdict.mechanism

    @property
    def role_arn(self) -> str:
        """ARN of the role the pod's credentials come from first."""
        return f"arn:{self.role_account.partition}:iam::{self.role_account.id}:role/{self.role_name}"

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Every fired rule with its because-text."""
        context = self.context()
        return tuple(Reason(rule, rule.because.format(**context)) for rule in self.verdict.fired)

    @property
    def blockers(self) -> tuple[Reason, ...]:
        """Fired rules that must be fixed before the mechanism works."""
        return tuple(reason for reason in self.reasons if reason.rule.outcome == "blocker")

    @property
    def not_applicable(self) -> tuple[str, ...]:
        """Ids of the rules that did not apply."""
        return tuple(rule.id for rule in self.verdict.not_applicable)

    @property
    def artifacts(self) -> Any:
        """Set-up artifacts (trust policy, permissions, CLI, eksctl, CDK, manifest), built on first use."""
        from labkit.decide.artifacts import Artifacts

        return Artifacts(self)

    def target_role_arn(self, index: int = 0) -> str:
        """ARN of a cross-account target role."""
        target = self.workload.targets[index]
        account = self.plan.inventory.accounts[target.account]
        return f"arn:{account.partition}:iam::{account.id}:role/{target.role_name}"

    def context(self) -> dict[str, str]:
        """Fields the rules' because-texts may use."""
        w, c = self.workload, self.cluster
        return {
            "name": w.name, "cluster": c.name, "namespace": w.namespace, "service_account": w.service_account,
            "platform": c.platform, "compute": self.compute, "declared_compute": w.compute or "unspecified",
            "kubernetes_version": c.kubernetes_version, "platform_version": c.platform_version or "latest",
            "fargate_profile": self.fargate_profile or "none", "account": self.account.name,
            "provider_account": self.role_account.name,
            "issuer_host": c.issuer_host, "role_arn": self.role_arn, "sharing_group": w.sharing_group or "",
            "target_accounts": ", ".join(t.account for t in w.targets) or "none",
            "target_role_arns": ", ".join(self.target_role_arn(i) for i in range(len(w.targets))) or "none",
            "sdk": " ".join(w.sdk) if w.sdk else "unknown",
            "sdk_minimum": f"{w.sdk[0]} {_sdk_minimum(w.sdk[0])}" if w.sdk else "",
        }

    def to_dict(self, *, artifacts: bool = False) -> dict[str, Any]:
        """JSON form of this workload's plan."""
        w = self.workload
        data: dict[str, Any] = {
            "name": w.name, "cluster": self.cluster.name, "account": self.account.name,
            "namespace": w.namespace, "service_account": w.service_account, "compute": self.compute,
            "mechanism": self.mechanism, "role": {"name": self.role_name, "arn": self.role_arn},
            "reasons": [reason.to_dict() for reason in self.reasons],
            "blockers": [reason.to_dict() for reason in self.blockers],
            "not_applicable": list(self.not_applicable),
        }
        if w.sharing_group:
            data["sharing_group"] = w.sharing_group
        if w.current != "none":
            data["current"] = w.current
        if w.targets:
            data["cross_account"] = self.artifacts.cross_account()
        if artifacts:
            data["artifacts"] = self.artifacts.to_dict()
        return data

    def __repr__(self) -> str:
        return f"<WorkloadPlan {self.workload.name} -> {self.mechanism}>"


@dataclass(frozen=True)
class Finding:
    """An account-, cluster- or group-level finding of the plan."""

    id: str
    severity: str  # error | warning | info
    scope: str  # e.g. "account:platform", "cluster:prod", "group:checkout-domain"
    message: str
    fix: str
    fact: str

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"id": self.id, "severity": self.severity, "scope": self.scope, "message": self.message,
                "fix": self.fix, "fact": self.fact}


@dataclass(frozen=True)
class AccountSummary:
    """What the plan costs one account: OIDC providers against the quota, roles."""

    account: Account
    clusters: int
    irsa_clusters: tuple[str, ...]  # clusters of this account that need their OIDC provider here
    foreign_issuers: tuple[str, ...]  # other accounts' clusters whose IRSA roles live here
    oidc_provider_quota: int
    roles: int

    @property
    def oidc_providers_needed(self) -> int:
        """Providers the plan needs in this account, including the non-EKS ones already there."""
        return len(self.irsa_clusters) + len(self.foreign_issuers) + self.account.other_oidc_providers

    @property
    def oidc_providers_if_all_irsa(self) -> int:
        """Providers if every cluster of the account used IRSA (the course's starting point)."""
        return self.clusters + len(self.foreign_issuers) + self.account.other_oidc_providers

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"account": self.account.name, "id": self.account.id, "clusters": self.clusters,
                "irsa_clusters": list(self.irsa_clusters), "oidc_providers_needed": self.oidc_providers_needed,
                "oidc_providers_if_all_irsa": self.oidc_providers_if_all_irsa,
                "oidc_provider_quota": self.oidc_provider_quota,
                "oidc_provider_quota_fact": "iam.oidc-providers-per-account", "roles": self.roles}


@dataclass(frozen=True)
class ClusterSummary:
    """Pod Identity associations and IRSA use in one cluster."""

    cluster: Cluster
    pod_identity: int
    irsa: int
    association_quota: int
    irsa_in_own_account: int = 0  # IRSA workloads whose role (and so the OIDC provider) is in the cluster's account

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"cluster": self.cluster.name, "account": self.cluster.account, "platform": self.cluster.platform,
                "pod_identity_associations": self.pod_identity, "association_quota": self.association_quota,
                "association_quota_fact": "eks.pod-identity-associations-per-cluster",
                "irsa_workloads": self.irsa, "needs_oidc_provider": self.irsa_in_own_account > 0,
                "needs_pod_identity_agent": self.pod_identity > 0}


@dataclass(frozen=True)
class PackingRow:
    """Roles an IRSA sharing group needs for one packing and one trust-policy quota."""

    packing: str
    limit: int
    roles: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"packing": self.packing, "limit": self.limit, "roles": self.roles}


@dataclass(frozen=True)
class GroupPlan:
    """One role for many service accounts: what IRSA and Pod Identity each need."""

    group: SharingGroup
    account: Account
    bindings: tuple[tuple[str, str, str], ...]  # (issuer, namespace, service account) of every member
    members: tuple[tuple[str, str, str], ...]  # (cluster, namespace, service account)
    irsa_members: tuple[tuple[str, str, str], ...]  # members that cannot use Pod Identity
    irsa: tuple[PackingRow, ...]
    pod_identity_trust_characters: int
    associations_per_cluster: dict[str, int]

    @property
    def mechanism(self) -> str:
        """`pod-identity` when every member can use it, else `irsa` for the shared role."""
        return "irsa" if self.irsa_members else "pod-identity"

    def characters(self, packing: str = "per-sa") -> int:
        """Characters of one IRSA trust policy holding every member (measured when asked: it can be long)."""
        return iam.trust_characters(self.account.id, self.bindings, packing)  # type: ignore[arg-type]

    def roles(self, packing: str = "per-sa", limit: int | None = None) -> int:
        """IRSA roles needed for a packing and quota (the default quota when not given)."""
        limit = limit or iam.ceilings()[0]
        return next(row.roles for row in self.irsa if row.packing == packing and row.limit == limit)

    def reasons(self) -> list[dict[str, str]]:
        """The numbers that decide, each citing its fact."""
        default, raised, raised_2026 = iam.ceilings()
        n = len(self.members)
        clusters = len(self.associations_per_cluster)
        per_sa = {row.limit: row.roles for row in self.irsa if row.packing == "per-sa"}
        per_cluster = {row.limit: row.roles for row in self.irsa if row.packing == "per-cluster"}
        reasons = [
            {"fact": "iam.trust-policy-size-default",
             "because": f"IRSA: {n} service accounts in {clusters} clusters need {per_sa[default]} roles with one "
                        f"statement per service account ({per_cluster[default]} packing one statement per "
                        f"cluster) under the default {default:,}-character trust policy quota."},
            {"fact": "iam.trust-policy-size-raised",
             "because": f"Raised to {raised:,}: {per_sa[raised]} roles per service account "
                        f"({per_cluster[raised]} per cluster)."},
            {"fact": "iam.trust-policy-size-raised-2026",
             "because": f"Raised to {raised_2026:,} (reported since May 2026): {per_sa[raised_2026]} roles "
                        f"({per_cluster[raised_2026]} per cluster); every new cluster edits every trust policy."},
            {"fact": "eks.pod-identity-associations-per-cluster",
             "because": f"Pod Identity: 1 role whose trust policy is {self.pod_identity_trust_characters} "
                        f"characters whatever the count, and {max(self.associations_per_cluster.values())} "
                        f"associations in the busiest cluster (quota {value('eks.pod-identity-associations-per-cluster'):,})."},
            {"fact": "eks.pod-identity-session-tags",
             "because": "Session tags (kubernetes-namespace, kubernetes-service-account, eks-cluster-name, ...) let "
                        "the one role scope each service's access with ABAC."},
        ]
        if self.irsa_members:
            reasons.append({"fact": "eks.pod-identity-unsupported",
                            "because": f"{len(self.irsa_members)} members cannot use Pod Identity (Fargate, Windows "
                                       "or a non-EKS platform), so the shared role stays on IRSA for them."})
        return reasons

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"name": self.group.name, "role_name": self.group.role_name, "account": self.account.name,
                "service_accounts": len(self.members), "clusters": len(self.associations_per_cluster),
                "mechanism": self.mechanism, "irsa_members": len(self.irsa_members),
                "irsa": [row.to_dict() for row in self.irsa],
                "irsa_characters_in_one_policy": {packing: self.characters(packing) for packing in iam.PACKINGS},
                "pod_identity": {"roles": 1, "trust_policy_characters": self.pod_identity_trust_characters,
                                 "associations_per_cluster": self.associations_per_cluster},
                "reasons": self.reasons()}


@dataclass(frozen=True)
class Migration:
    """Moving one cluster's IRSA workloads to EKS Pod Identity, in a safe order."""

    cluster: Cluster
    workloads: tuple[WorkloadPlan, ...]

    def steps(self) -> list[dict[str, str]]:
        """Ordered steps, each with the fact that makes the order matter."""
        cache = value("eks.pod-identity-agent-cache")
        names = ", ".join(w.workload.name for w in self.workloads)
        c = self.cluster.name
        return [
            {"step": f"Install the eks-pod-identity-agent add-on on {c} (the agent uses the node role).",
             "command": f"aws eks create-addon --cluster-name {c} --addon-name eks-pod-identity-agent",
             "fact": "eks.pod-identity-agent-uses-node-role"},
            {"step": f"Add the pods.eks.amazonaws.com trust (sts:AssumeRole + sts:TagSession) to the roles of {names}, "
                     "keeping the OIDC statements while pods still use IRSA.",
             "command": "aws iam update-assume-role-policy --role-name ROLE --policy-document file://trust.json",
             "fact": "eks.pod-identity-audience"},
            {"step": "Create one association per service account, then wait a few seconds (eventual consistency).",
             "command": f"aws eks create-pod-identity-association --cluster-name {c} --namespace NS "
                        "--service-account SA --role-arn ROLE_ARN",
             "fact": "eks.pod-identity-eventual-consistency"},
            {"step": "Remove the eks.amazonaws.com/role-arn annotation: while it stays, the webhook injects IRSA "
                     "variables and the SDK's web-identity provider wins over the container provider.",
             "command": "kubectl annotate serviceaccount SA -n NS eks.amazonaws.com/role-arn-",
             "fact": "sdk.credential-chain-order"},
            {"step": "Restart the pods so they get the Pod Identity variables (new pods only are mutated).",
             "command": "kubectl rollout restart deployment/NAME -n NS", "fact": "eks.pod-identity-agent-cache"},
            {"step": f"Caveat: the agent caches credentials {cache['default'] // 3600} h "
                     f"({cache['target-role'] // 60} min with a target role); editing an association later does "
                     "not refresh them: recreate the pods.",
             "command": "", "fact": "eks.pod-identity-agent-cache"},
            {"step": "When no IRSA workload is left in the cluster, drop the OIDC statements from the trust policies "
                     "and the cluster's OIDC provider (frees quota). eksctl can do the steps above: "
                     f"eksctl utils migrate-to-pod-identity --cluster {c} --approve.",
             "command": f"eksctl utils migrate-to-pod-identity --cluster {c} --approve "
                        "--remove-oidc-provider-trust-relationship",
             "fact": "iam.oidc-providers-per-account"},
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"cluster": self.cluster.name, "workloads": [w.workload.name for w in self.workloads],
                "steps": self.steps()}


@dataclass(frozen=True)
class _PlanContext:
    """What a workload plan needs from the whole plan (inventory, group members), shared, not copied."""

    inventory: Inventory
    group_members: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    def group_bindings(self, group: str) -> list[tuple[str, str, str]]:
        """(issuer, namespace, service account) of every member of a sharing group."""
        clusters = self.inventory.clusters
        return [(clusters[c].oidc_issuer, ns, sa) for c, ns, sa in self.group_members.get(group, ())]


def plan(inventory: Inventory, *, pod_identity_target_roles: bool | None = None) -> Plan:
    """Plan every workload of an inventory, then the account, cluster and group views.

    `pod_identity_target_roles=False` overrides the inventory's option to model EKS before June 2025.
    """
    from labkit.decide.result import Plan

    if pod_identity_target_roles is not None:
        inventory = replace(inventory, options=replace(inventory.options,
                                                       pod_identity_target_roles=pod_identity_target_roles))
    with gc_paused():
        context = _PlanContext(inventory)
        workloads = tuple(_plan_workload(w, inventory, context) for w in inventory.workloads)
        groups = _plan_groups(inventory, workloads, context)
        clusters = _summarize_clusters(inventory, workloads)
        accounts = _summarize_accounts(inventory, workloads)
        findings = _findings(inventory, accounts, clusters, groups)
        return Plan(inventory, workloads, accounts, clusters, groups, findings, _migrations(inventory, workloads))


def _plan_workload(workload: Workload, inventory: Inventory, context: _PlanContext) -> WorkloadPlan:
    """The verdict for one workload (the rules are cached per shape of workload)."""
    cluster = inventory.clusters[workload.cluster]
    account = inventory.accounts[cluster.account]
    profile = cluster.fargate_profile_for(workload.namespace, dict(workload.labels)) \
        if cluster.fargate_profiles else None
    compute = "fargate" if profile else workload.compute or _default_compute(cluster)
    proxy = workload.proxy
    traits = Traits(
        platform=cluster.platform, compute=compute, pod_identity_version=_runs_pod_identity(cluster),
        cross_account=bool(workload.targets), target_roles=inventory.options.pod_identity_target_roles,
        shared=workload.sharing_group is not None, current=workload.current,
        proxy_without_agent=bool(proxy and (proxy.http_proxy or proxy.https_proxy)
                                 and not agent_bypassed(proxy.no_proxy, ipv6=cluster.ip_family == "ipv6")),
        fargate_unselected=workload.compute == "fargate" and profile is None,
        fargate_selected=profile is not None and workload.compute not in (None, "fargate"),
        direct_cross_account=len(workload.targets) == 1 and not workload.needs,
        sdk_too_old=workload.sdk is not None and _older(workload.sdk[1], _sdk_minimum(workload.sdk[0])),
    )
    verdict = decide(traits)
    role_name, role_account = _role(workload, cluster, account, verdict, inventory)
    return WorkloadPlan(workload, cluster, account, compute, profile.name if profile else None, verdict,
                        role_name, role_account, context)


def _sdk_minimum(sdk: str) -> str:
    """The first version of `sdk` that supports Pod Identity."""
    return str(value("eks.pod-identity-min-sdk")[sdk])


def _older(version: str, minimum: str) -> bool:
    """Whether a dotted version is older than `minimum`."""
    return tuple(int(part) for part in version.split(".")) < tuple(int(part) for part in minimum.split("."))


def _default_compute(cluster: Cluster) -> str:
    """Where an undeclared pod lands: Linux EC2 nodes if the cluster has them, else its only node kind."""
    ec2 = [kind for kind in cluster.node_kinds if kind != "fargate"]
    return "ec2-linux" if "ec2-linux" in ec2 or not ec2 else ec2[0]


def _runs_pod_identity(cluster: Cluster) -> bool:
    """Whether the cluster's Kubernetes and platform versions run Pod Identity."""
    return _version_runs_pod_identity(cluster.kubernetes_version, cluster.platform_version)


@lru_cache(maxsize=256)
def _version_runs_pod_identity(kubernetes_version: str, platform_version: str | None) -> bool:
    """Whether EKS `kubernetes_version` at `platform_version` (None: current) runs Pod Identity."""
    major, minor = (int(part) for part in kubernetes_version.split("."))
    if (major, minor) < (1, 24):
        return False
    minimum = value("eks.pod-identity-min-platform-versions").get(kubernetes_version)
    if minimum is None or platform_version is None:
        return True  # newer versions run it on every platform version
    return int(platform_version.split(".")[1]) >= int(minimum.split(".")[1])


def _role(workload: Workload, cluster: Cluster, account: Account, verdict: Verdict,
          inventory: Inventory) -> tuple[str, Account]:
    """The name and account of the role the pod gets first."""
    if workload.sharing_group:
        group = inventory.sharing_groups[workload.sharing_group]
        return group.role_name, inventory.accounts[group.account or cluster.account]
    if verdict.mechanism == "irsa" and len(workload.targets) == 1 and not workload.needs:
        # IRSA's direct route: the SA is annotated with the other account's role (provider created there).
        target = workload.targets[0]
        return target.role_name, inventory.accounts[target.account]
    suffix = "pod-identity" if verdict.mechanism == "pod-identity" else f"irsa-{cluster.name}"
    return f"{workload.name}-{suffix}"[:64], account


def _plan_groups(inventory: Inventory, workloads: tuple[WorkloadPlan, ...],
                 context: _PlanContext) -> tuple[GroupPlan, ...]:
    """Members and numbers of every sharing group."""
    members: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    irsa_members: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for plan_ in workloads:
        group = plan_.workload.sharing_group
        if group:
            binding = (plan_.cluster.name, plan_.workload.namespace, plan_.workload.service_account)
            members[group].append(binding)
            if plan_.mechanism == "irsa":
                irsa_members[group].append(binding)
    for sharing_group in inventory.sharing_groups.values():
        _add_projected(sharing_group, inventory, context, members[sharing_group.name],
                       irsa_members[sharing_group.name])
    context.group_members.update(members)
    return tuple(_plan_group(group, inventory, members[group.name], irsa_members[group.name], context)
                 for group in inventory.sharing_groups.values() if members[group.name])


def _add_projected(group: SharingGroup, inventory: Inventory, context: _PlanContext,
                   members: list[tuple[str, str, str]], irsa_members: list[tuple[str, str, str]]) -> None:
    """Add a group's planned members, each judged like a workload with no labels and no declared compute."""
    existing = set(members)
    for cluster, namespace, service_account in group.projected.bindings() if group.projected else ():
        if (cluster, namespace, service_account) in existing:
            continue
        member = Workload(service_account, cluster, namespace, service_account, None, sharing_group=group.name)
        members.append((cluster, namespace, service_account))
        if _plan_workload(member, inventory, context).mechanism == "irsa":
            irsa_members.append((cluster, namespace, service_account))


def _plan_group(group: SharingGroup, inventory: Inventory, members: list[tuple[str, str, str]],
                irsa_members: list[tuple[str, str, str]], context: _PlanContext) -> GroupPlan:
    """IRSA packing at every quota and packing, against one Pod Identity role."""
    account = inventory.accounts[group.account or inventory.clusters[members[0][0]].account]
    bindings = context.group_bindings(group.name)
    rows = tuple(PackingRow(packing, limit, iam.roles_needed(account.id, bindings, packing, limit))
                 for packing in iam.PACKINGS for limit in iam.ceilings())
    per_cluster = Counter(cluster for cluster, _, _ in members)
    return GroupPlan(group, account, tuple(bindings), tuple(members), tuple(irsa_members), rows,
                     iam.characters(iam.pod_identity_trust()), dict(per_cluster))


def _summarize_clusters(inventory: Inventory, workloads: tuple[WorkloadPlan, ...]) -> tuple[ClusterSummary, ...]:
    """Associations and IRSA workloads per cluster."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for plan_ in workloads:
        counts[plan_.cluster.name][plan_.verdict.mechanism] += 1
        if plan_.verdict.mechanism == "irsa" and plan_.role_account is plan_.account:
            counts[plan_.cluster.name]["irsa-own-account"] += 1
    quota = value("eks.pod-identity-associations-per-cluster")
    return tuple(ClusterSummary(cluster, counts[name]["pod-identity"], counts[name]["irsa"], quota,
                                counts[name]["irsa-own-account"])
                 for name, cluster in inventory.clusters.items())


def _summarize_accounts(inventory: Inventory, workloads: tuple[WorkloadPlan, ...]) -> tuple[AccountSummary, ...]:
    """OIDC providers and roles per account."""
    irsa_clusters: dict[str, dict[str, None]] = defaultdict(dict)
    foreign: dict[str, dict[str, None]] = defaultdict(dict)
    roles: dict[str, set[str]] = defaultdict(set)
    for plan_ in workloads:
        roles[plan_.role_account.name].add(plan_.role_name)
        if plan_.verdict.mechanism == "irsa":
            if plan_.role_account is plan_.account:
                irsa_clusters[plan_.account.name][plan_.cluster.name] = None
            else:
                foreign[plan_.role_account.name][plan_.cluster.oidc_issuer] = None
        for target in plan_.workload.targets:
            roles[target.account].add(target.role_name)
    cluster_counts = Counter(cluster.account for cluster in inventory.clusters.values())
    default_quota = value("iam.oidc-providers-per-account")
    return tuple(AccountSummary(account, cluster_counts[name], tuple(irsa_clusters[name]), tuple(foreign[name]),
                                account.oidc_provider_quota or default_quota, len(roles[name]))
                 for name, account in inventory.accounts.items())


def _findings(inventory: Inventory, accounts: tuple[AccountSummary, ...], clusters: tuple[ClusterSummary, ...],
              groups: tuple[GroupPlan, ...]) -> tuple[Finding, ...]:
    """Quota findings per account and cluster, trust-policy findings per group, IMDS per cluster."""
    findings = [f for a in accounts for f in _account_findings(a)]
    findings += [f for c in clusters for f in _cluster_findings(c)]
    findings += [f for g in groups for f in _group_findings(g)]
    return tuple(findings)


def _account_findings(summary: AccountSummary) -> list[Finding]:
    """The OIDC provider quota, planned and if everything used IRSA."""
    name, needed, quota = summary.account.name, summary.oidc_providers_needed, summary.oidc_provider_quota
    maximum = value("iam.oidc-providers-per-account-max")
    if needed > quota:
        return [Finding("oidc-provider-quota", "error", f"account:{name}",
                        f"The plan needs {needed} IAM OIDC providers in {name}; the quota is {quota}.",
                        f"Move EC2 Linux workloads of those clusters to Pod Identity (no provider needed), or "
                        f"request a quota increase (auto-approved up to {maximum}).",
                        "iam.oidc-providers-per-account")]
    if summary.oidc_providers_if_all_irsa > quota:
        return [Finding("oidc-provider-quota-avoided", "info", f"account:{name}",
                        f"IRSA everywhere would need {summary.oidc_providers_if_all_irsa} OIDC providers "
                        f"(quota {quota}); the plan needs {needed}.",
                        "Keep new EC2 Linux workloads on Pod Identity.", "iam.oidc-providers-per-account")]
    if not summary.clusters and not summary.foreign_issuers:
        return []
    using = ", ".join(summary.irsa_clusters + summary.foreign_issuers) or "none"
    return [Finding("oidc-providers", "info", f"account:{name}",
                    f"IRSA needs one OIDC provider per cluster: the plan needs {needed} (IRSA clusters: {using}); "
                    f"IRSA everywhere would need {summary.oidc_providers_if_all_irsa}, well within the quota of "
                    f"{quota}. It becomes a problem past {quota} clusters in one account.",
                    "Nothing now; create each provider once per cluster (eksctl utils associate-iam-oidc-provider).",
                    "iam.oidc-providers-per-account")]


def _cluster_findings(summary: ClusterSummary) -> list[Finding]:
    """Association quota, and IMDS hardening wherever nodes are EC2 instances (not EKS Anywhere)."""
    cluster, findings = summary.cluster, []
    if summary.pod_identity > summary.association_quota:
        findings.append(Finding(
            "pod-identity-association-quota", "error", f"cluster:{cluster.name}",
            f"{summary.pod_identity} Pod Identity associations planned; the quota is {summary.association_quota} "
            "per cluster and cannot be raised.",
            "Split the workloads across clusters, or keep some on IRSA.",
            "eks.pod-identity-associations-per-cluster"))
    if any(kind != "fargate" for kind in cluster.node_kinds) and cluster.platform != "eks-anywhere":
        findings.append(_imds_finding(cluster))
    return findings


def _imds_finding(cluster: Cluster) -> Finding:
    """How the cluster's EC2 nodes keep pods away from the node role."""
    metadata = cluster.node_metadata
    hardened = metadata is not None and metadata.http_tokens == "required" and metadata.hop_limit == 1
    fix = ("Launch template MetadataOptions: HttpTokens=required, HttpPutResponseHopLimit=1 (or eksctl "
           "disablePodIMDS / a NetworkPolicy denying 169.254.169.254/32); hostNetwork pods still reach IMDS, "
           "so admit hostNetwork only for system daemons. Fargate pods never reach IMDS.")
    if hardened:
        return Finding("imds-hardened", "info", f"cluster:{cluster.name}",
                       "IMDSv2 is required with hop limit 1: pods without hostNetwork cannot reach the node role.",
                       "Nothing to do; keep it in the launch template.", "eks.imds-hardening")
    if metadata is None:
        return Finding("imds-hardening", "warning", f"cluster:{cluster.name}",
                       "The node IMDS settings are not in the inventory: unless IMDSv2 is required with hop limit 1, "
                       "any pod can take the node role's credentials instead of its own.", fix, "eks.imds-hardening")
    return Finding("imds-open", "error", f"cluster:{cluster.name}",
                   f"Nodes allow {'IMDSv1' if metadata.http_tokens != 'required' else 'IMDSv2'} with hop limit "
                   f"{metadata.hop_limit or 'default'}: pods can reach the node role's credentials.",
                   fix, "eks.imds-hardening")


def _group_findings(group: GroupPlan) -> list[Finding]:
    """A shared IRSA role that outgrows one trust policy."""
    default = iam.ceilings()[0]
    roles = group.roles("per-sa", default)
    if roles <= 1:
        return []
    severity = "warning" if group.mechanism == "irsa" else "info"
    return [Finding("shared-role-trust-policy-size", severity, f"group:{group.group.name}",
                    f"{len(group.members)} service accounts do not fit one IRSA trust policy: {roles} roles at "
                    f"{default:,} characters (one statement per service account), {group.roles('per-cluster', default)} "
                    "with one statement per cluster.",
                    "Use EKS Pod Identity (one role, fixed trust policy) where members run on EC2 Linux nodes; "
                    "otherwise pack subjects per cluster and request the raised trust-policy quota.",
                    "iam.trust-policy-size-default")]


def _migrations(inventory: Inventory, workloads: tuple[WorkloadPlan, ...]) -> tuple[Migration, ...]:
    """Per cluster, the IRSA workloads the plan moves to Pod Identity."""
    moving: dict[str, list[WorkloadPlan]] = defaultdict(list)
    for plan_ in workloads:
        if plan_.workload.current == "irsa" and plan_.mechanism == "pod-identity":
            moving[plan_.cluster.name].append(plan_)
    return tuple(Migration(inventory.clusters[name], tuple(plans)) for name, plans in moving.items())
