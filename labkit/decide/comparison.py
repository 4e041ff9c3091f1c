"""The official IRSA vs Pod Identity comparison, as the course text has it and as it stands today.

The course text copies the table of the EKS User Guide (service-accounts.html) as it was in 2024. Each row here
keeps that wording next to today's, and names the facts (labkit.facts) behind the difference, so a learner sees
what changed and why. Numbers are computed from the facts and the policy engine, not typed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from labkit.facts import value

View = Literal["today", "course-text"]


@dataclass(frozen=True)
class ComparisonRow:
    """One attribute: Pod Identity and IRSA, today and in the course text, with the facts behind them."""

    attribute: str
    pod_identity: str
    irsa: str
    course_pod_identity: str
    course_irsa: str
    facts: tuple[str, ...] = ()
    change: str = ""  # what is different today; empty when the course text still holds

    @property
    def changed(self) -> bool:
        """Whether the course text's row no longer holds as written."""
        return bool(self.change)

    def cells(self, view: View) -> tuple[str, str]:
        """(Pod Identity, IRSA) in the chosen view."""
        return (self.pod_identity, self.irsa) if view == "today" else (self.course_pod_identity, self.course_irsa)


def _service_accounts_per_role(limit: int, packing: str) -> int:
    from labkit.policy import service_accounts_per_role

    issuer = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
    return service_accounts_per_role("111122223333", [issuer], packing=packing, limit=limit)  # type: ignore[arg-type]


@cache
def comparison_rows() -> tuple[ComparisonRow, ...]:
    """Every row of the comparison, in the course text's order, then the rows it lacks."""
    default, raised = value("iam.trust-policy-size-default"), value("iam.trust-policy-size-raised-2026")
    fits = {(limit, packing): _service_accounts_per_role(limit, packing)
            for limit in (default, raised) for packing in ("per-sa", "per-cluster")}
    oidc, oidc_max = value("iam.oidc-providers-per-account"), value("iam.oidc-providers-per-account-max")
    tags = value("eks.pod-identity-session-tags")
    return (
        ComparisonRow("Configuration", "EKS API (an association; no Kubernetes object)", "Annotation on the ServiceAccount",
                      "EKS API (no Kubernetes object)", "Annotation on the ServiceAccount"),
        ComparisonRow("OIDC provider per cluster", "No", "Yes", "No", "Yes", ("eks.irsa-oidc-provider-per-cluster",)),
        ComparisonRow("Trust policy changes per cluster", "No (fixed service principal pods.eks.amazonaws.com)",
                      "Yes (each cluster's provider and :sub)", "No (fixed, reusable service principal)",
                      "Yes (OIDC ARN per cluster)"),
        ComparisonRow("OIDC providers per account", "Not used", f"{oidc} by default, adjustable (auto-approved to {oidc_max})",
                      "N/A", "100 per account", ("iam.oidc-providers-per-account", "iam.oidc-providers-per-account-max"),
                      "100 is the default, not a hard limit: it can be raised (auto-approved up to 700)."),
        ComparisonRow("Service accounts per role (trust policy size)", "Unlimited: the trust policy never grows",
                      f"{fits[(default, 'per-sa')]} one statement each, {fits[(default, 'per-cluster')]} packed per cluster at "
                      f"{default:,} characters; {fits[(raised, 'per-sa')]} / {fits[(raised, 'per-cluster')]} at {raised:,} (2026)",
                      "N/A (not cluster-bound)", "~4-8 per role",
                      ("iam.trust-policy-size-default", "iam.trust-policy-size-raised-2026", "iam.whitespace-not-counted"),
                      "The count depends on packing, and the raised ceiling went from 4,096 to 8,192 characters (2026)."),
        ComparisonRow("STS calls from the pod", "No (EKS Auth assumes the role; the node agent caches)",
                      "Yes (the SDK calls AssumeRoleWithWebIdentity)", "No (EKS Auth assumes)", "Yes (SDK calls STS)"),
        ComparisonRow("Session tags for ABAC", f"Yes: {len(tags)} transitive tags ({', '.join(tags)}); can be disabled since June 2025",
                      "No", "Yes (cluster, namespace, service account)", "No",
                      ("eks.pod-identity-session-tags", "eks.pod-identity-disable-session-tags"),
                      "Six tags, not three; since June 2025 an association can turn them off."),
        ComparisonRow("One role across clusters", "Yes, unchanged", "Only by editing its trust policy for every cluster",
                      "Yes (no change)", "No (update trust)"),
        ComparisonRow("Cross-account", "Target role on the association (since June 2025): EKS chains the two roles",
                      "Directly: an OIDC provider for the cluster in the target account",
                      "Via role chaining", "Directly", ("eks.pod-identity-target-role", "eks.irsa-cross-account"),
                      "Since June 2025 EKS does the chaining itself through the association's target role."),
        ComparisonRow("Fargate", "No", "Yes", "No", "Yes", ("eks.pod-identity-unsupported",)),
        ComparisonRow("Where it works", "Amazon EKS, Linux pods on EC2 nodes (not Windows, Fargate, Outposts)",
                      "EKS (all compute), EKS Anywhere, ROSA, self-managed", "EKS only", "EKS, EKSa, ROSA, self-managed",
                      ("eks.pod-identity-unsupported",), "More precisely: Linux pods on EC2 nodes only."),
        ComparisonRow("Associations per cluster", f"{value('eks.pod-identity-associations-per-cluster'):,} (not adjustable)",
                      "Not used", "5,000 (section 3)", "Not used", ("eks.pod-identity-associations-per-cluster",)),
        ComparisonRow("Changing the role of a running pod", "Edit the association, then restart pods (agent cache 6 h / 59 min)",
                      "Edit the annotation, then restart pods", "(not in the table)", "(not in the table)",
                      ("eks.pod-identity-agent-cache",), "Missing from the table: the agent's cache delays role changes."),
        ComparisonRow("AWS's recommendation", "Use it whenever possible (2025)",
                      "Where Pod Identity cannot go: Fargate, Windows, EKS Anywhere, ROSA, self-managed",
                      "Use it whenever possible", "Fargate, cross-account without chaining, non-EKS, migration",
                      ("eks.aws-recommends-pod-identity",),
                      "Cross-account is no longer a reason for IRSA since target roles (June 2025)."),
    )


def comparison_frame(view: View = "today", *, changed_only: bool = False) -> Any:
    """The table as a pandas DataFrame, indexed by attribute."""
    import pandas as pd

    rows = [r for r in comparison_rows() if r.changed or not changed_only]
    data = [{"attribute": r.attribute, "Pod Identity": r.cells(view)[0], "IRSA": r.cells(view)[1],
             "what changed": r.change, "facts": ", ".join(r.facts)} for r in rows]
    return pd.DataFrame(data).set_index("attribute")
