"""The `Plan`: per-workload verdicts plus account, cluster and group views, as JSON, Markdown, text or pandas."""

from __future__ import annotations

import html
import json
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labkit.decide.inventory import Inventory
from labkit.decide.planner import AccountSummary, ClusterSummary, Finding, GroupPlan, Migration, WorkloadPlan
from labkit.errors import MissingDependency


@dataclass(frozen=True)
class Plan:
    """What the decision engine answers for an inventory."""

    inventory: Inventory
    workloads: tuple[WorkloadPlan, ...]
    accounts: tuple[AccountSummary, ...]
    clusters: tuple[ClusterSummary, ...]
    groups: tuple[GroupPlan, ...]
    findings: tuple[Finding, ...]
    migrations: tuple[Migration, ...]

    def workload(self, name: str) -> WorkloadPlan:
        """The plan of the workload called `name`."""
        for plan in self.workloads:
            if plan.workload.name == name:
                return plan
        raise KeyError(f"no workload {name!r}; known: {', '.join(p.workload.name for p in self.workloads[:20])}")

    def group(self, name: str) -> GroupPlan:
        """The plan of the sharing group called `name`."""
        for group in self.groups:
            if group.group.name == name:
                return group
        raise KeyError(f"no sharing group {name!r}")

    def account(self, name: str) -> AccountSummary:
        """The summary of the account called `name`."""
        for summary in self.accounts:
            if summary.account.name == name:
                return summary
        raise KeyError(f"no account {name!r}")

    def counts(self) -> dict[str, int]:
        """Totals across the inventory."""
        mechanisms = Counter(plan.verdict.mechanism for plan in self.workloads)
        return {"workloads": len(self.workloads), "pod-identity": mechanisms["pod-identity"],
                "irsa": mechanisms["irsa"], "blocked": sum(1 for p in self.workloads if p.verdict.blockers),
                "accounts": len(self.accounts), "clusters": len(self.clusters),
                "oidc_providers": sum(a.oidc_providers_needed for a in self.accounts),
                "pod_identity_associations": mechanisms["pod-identity"],
                "roles": sum(a.roles for a in self.accounts)}

    # --- machine forms -------------------------------------------------------------------------------

    def to_dict(self, *, artifacts: bool = False) -> dict[str, Any]:
        """JSON-ready form (contract 4: one entry per workload with `mechanism` and `reasons`)."""
        return {"inventory": self.inventory.name,
                "options": {"pod_identity_target_roles": self.inventory.options.pod_identity_target_roles},
                "counts": self.counts(),
                "workloads": [plan.to_dict(artifacts=artifacts) for plan in self.workloads],
                "accounts": [summary.to_dict() for summary in self.accounts],
                "clusters": [summary.to_dict() for summary in self.clusters],
                "sharing_groups": [group.to_dict() for group in self.groups],
                "findings": [finding.to_dict() for finding in self.findings],
                "migration": [migration.to_dict() for migration in self.migrations]}

    def to_json(self, *, indent: int | None = 2, artifacts: bool = False) -> str:
        """The plan as JSON text."""
        return json.dumps(self.to_dict(artifacts=artifacts), indent=indent)

    def to_frame(self) -> Any:
        """One row per workload as a pandas DataFrame (pandas is imported now, not with labkit.decide)."""
        try:
            import pandas as pd  # type: ignore[import-untyped]
        except ImportError as exc:
            raise MissingDependency("Plan.to_frame needs pandas: pip install pandas") from exc
        return pd.DataFrame([_row(plan) for plan in self.workloads],
                            columns=["workload", "cluster", "account", "namespace", "service_account", "compute",
                                     "mechanism", "reasons", "facts", "blockers", "sharing_group"])

    # --- human forms ---------------------------------------------------------------------------------

    def to_table(self, *, details: bool = True) -> str:
        """Readable text for learners: the verdicts, then why, then the accounts, clusters and groups."""
        return "\n".join(_text_sections(self, details)) + "\n"

    def to_markdown(self) -> str:
        """The plan as Markdown (tables and lists)."""
        return "\n".join(_markdown_sections(self)) + "\n"

    def __str__(self) -> str:
        return self.to_table()

    def __repr__(self) -> str:
        counts = self.counts()
        return (f"<Plan {self.inventory.name}: {counts['workloads']} workloads, {counts['pod-identity']} "
                f"pod-identity, {counts['irsa']} irsa, {len(self.findings)} findings>")

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(p.workload.name)}</td><td>{html.escape(p.cluster.name)}</td>"
                       f"<td>{p.compute}</td><td><b>{p.mechanism}</b></td>"
                       f"<td>{html.escape(p.verdict.fired[0].id)}</td></tr>" for p in self.workloads[:200])
        return (f"<p>{html.escape(repr(self))}</p><table><tr><th>workload</th><th>cluster</th><th>compute</th>"
                f"<th>mechanism</th><th>deciding rule</th></tr>{rows}</table>")


def _row(plan: WorkloadPlan) -> dict[str, Any]:
    """A DataFrame row for one workload."""
    w = plan.workload
    return {"workload": w.name, "cluster": plan.cluster.name, "account": plan.account.name,
            "namespace": w.namespace, "service_account": w.service_account, "compute": plan.compute,
            "mechanism": plan.mechanism, "reasons": [rule.id for rule in plan.verdict.fired],
            "facts": [rule.fact for rule in plan.verdict.fired],
            "blockers": [rule.id for rule in plan.verdict.blockers], "sharing_group": w.sharing_group}


def _columns(rows: Sequence[Sequence[object]], header: Sequence[str]) -> list[str]:
    """Rows aligned in columns under a header."""
    cells = [list(header)] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells]


def _wrap(text: str, indent: str) -> list[str]:
    """A paragraph wrapped at 100 columns under an indent."""
    return textwrap.wrap(text, 100, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_on_hyphens=False, break_long_words=False)


def _compact(doc: Any) -> str:
    """A policy on one line."""
    return json.dumps(doc, separators=(",", ":"))


def _text_sections(plan: Plan, details: bool) -> list[str]:
    """The text report, section by section."""
    counts = plan.counts()
    lines = [f"Plan for {plan.inventory.name}: {counts['workloads']} workloads -> {counts['pod-identity']} "
             f"pod-identity, {counts['irsa']} irsa", ""]
    lines += _columns([(p.workload.name, p.cluster.name, p.compute, p.mechanism, p.verdict.fired[0].id)
                       for p in plan.workloads], ("WORKLOAD", "CLUSTER", "COMPUTE", "MECHANISM", "DECIDED BY"))
    if details:
        for p in plan.workloads[:50]:
            lines += ["", f"{p.workload.name} -> {p.mechanism}"]
            for reason in p.reasons:
                mark = {"blocker": "!", "note": "-"}.get(reason.rule.outcome, "+")
                lines += _wrap(f"{mark} {reason.because} [{reason.rule.id}; fact {reason.rule.fact}]", "  ")
            if p.workload.targets:
                lines += _cross_account_text(p)
    lines += ["", "Accounts"]
    lines += _columns([(a.account.name, a.clusters, ",".join(a.irsa_clusters) or "-", a.oidc_providers_needed,
                        a.oidc_providers_if_all_irsa, a.oidc_provider_quota, a.roles) for a in plan.accounts],
                      ("ACCOUNT", "CLUSTERS", "IRSA CLUSTERS", "OIDC PROVIDERS", "IF ALL IRSA", "QUOTA", "ROLES"))
    lines += ["", "Clusters"]
    lines += _columns([(c.cluster.name, c.cluster.platform, c.pod_identity, c.association_quota, c.irsa,
                        "yes" if c.irsa_in_own_account else "no") for c in plan.clusters],
                      ("CLUSTER", "PLATFORM", "ASSOCIATIONS", "QUOTA", "IRSA", "OIDC PROVIDER"))
    for group in plan.groups:
        lines += ["", *_group_text(group)]
    if plan.findings:
        lines += ["", "Findings"]
        for finding in plan.findings:
            lines += _wrap(f"[{finding.severity}] {finding.scope} {finding.id}: {finding.message} Fix: {finding.fix} "
                           f"(fact {finding.fact})", "  ")
    for migration in plan.migrations:
        lines += ["", f"Migration IRSA -> Pod Identity on {migration.cluster.name}: "
                      f"{', '.join(w.workload.name for w in migration.workloads)}"]
        for number, step in enumerate(migration.steps(), 1):
            lines += _wrap(f"{number}. {step['step']} (fact {step['fact']})", "  ")
    return lines


def _cross_account_text(plan: WorkloadPlan) -> list[str]:
    """The cross-account chain with both trust policies, and the IRSA route."""
    lines = []
    for route in plan.artifacts.cross_account()["targets"]:
        lines.append(f"  cross-account to {route['account']} ({route['target_role_arn']}):")
        pod_identity = route.get("pod_identity_route")
        if pod_identity:
            lines += [f"    {number}. {hop}" for number, hop in enumerate(pod_identity["chain"], 1)]
            lines += [f"    source role trust: {_compact(pod_identity['source_trust_policy'])}",
                      f"    target role trust: {_compact(pod_identity['target_trust_policy'])}"]
            lines += _wrap(pod_identity["note"], "    ")
        irsa = route["irsa_route"]
        lines += _wrap(("Chosen route: " if plan.mechanism == "irsa" else "Alternative, ") + irsa["explanation"],
                       "    ")
        lines.append(f"    IRSA trust in {route['account']}: {_compact(irsa['trust_policy'])}")
    return lines


def _group_text(group: GroupPlan) -> list[str]:
    """Roles needed for a sharing group under IRSA and Pod Identity."""
    limits = sorted({row.limit for row in group.irsa})
    lines = [f"Sharing group {group.group.name} ({group.group.role_name}): {len(group.members)} service accounts "
             f"in {len(group.associations_per_cluster)} clusters -> {group.mechanism}"]
    lines += _columns([(f"IRSA {packing}", *(f"{group.roles(packing, limit)} roles" for limit in limits),
                        group.characters(packing))
                       for packing in ("per-sa", "per-cluster")],
                      ("TRUST POLICY QUOTA", *(f"{limit:,}" for limit in limits), "CHARS IN ONE POLICY"))
    lines.append(f"Pod Identity: 1 role, trust policy {group.pod_identity_trust_characters} characters, "
                 f"associations per cluster {group.associations_per_cluster}")
    for reason in group.reasons():
        lines += _wrap(f"- {reason['because']} (fact {reason['fact']})", "  ")
    return lines


def _markdown_sections(plan: Plan) -> list[str]:
    """The Markdown report."""
    counts = plan.counts()
    lines = [f"# Plan for {plan.inventory.name}", "",
             f"{counts['workloads']} workloads: **{counts['pod-identity']} pod-identity**, **{counts['irsa']} irsa**.",
             "", "| workload | cluster | compute | mechanism | reasons (fact) |", "|---|---|---|---|---|"]
    for p in plan.workloads:
        reasons = "<br>".join(f"{r.because} (`{r.rule.fact}`)" for r in p.reasons)
        lines.append(f"| {p.workload.name} | {p.cluster.name} | {p.compute} | **{p.mechanism}** | {reasons} |")
    lines += ["", "## Accounts", "", "| account | clusters | OIDC providers | if all IRSA | quota | roles |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {a.account.name} | {a.clusters} | {a.oidc_providers_needed} | {a.oidc_providers_if_all_irsa} | "
              f"{a.oidc_provider_quota} | {a.roles} |" for a in plan.accounts]
    lines += ["", "## Clusters", "", "| cluster | platform | associations | quota | IRSA workloads |",
              "|---|---|---|---|---|"]
    lines += [f"| {c.cluster.name} | {c.cluster.platform} | {c.pod_identity} | {c.association_quota:,} | {c.irsa} |"
              for c in plan.clusters]
    for p in plan.workloads:
        if p.workload.targets:
            lines += ["", f"## Cross-account: {p.workload.name}", "", "```", *_cross_account_text(p), "```"]
    for group in plan.groups:
        lines += ["", f"## Sharing group {group.group.name}", "", "```", *_group_text(group), "```"]
    if plan.findings:
        lines += ["", "## Findings", ""]
        lines += [f"- **{f.severity}** `{f.scope}` {f.id}: {f.message} *Fix:* {f.fix} (`{f.fact}`)"
                  for f in plan.findings]
    for migration in plan.migrations:
        lines += ["", f"## Migration on {migration.cluster.name}", ""]
        lines += [f"{n}. {step['step']} (`{step['fact']}`)" for n, step in enumerate(migration.steps(), 1)]
    return lines
