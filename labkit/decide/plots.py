"""Plots of how IRSA and Pod Identity scale (matplotlib is imported on first call, not with labkit.decide).

Each function takes `ax=None` (a new figure when None) and returns the Axes it drew on.
"""

from __future__ import annotations

from typing import Any

from labkit.decide import iam, scaling
from labkit.errors import MissingDependency
from labkit.facts import value


def _axes(ax: Any) -> Any:
    """The given Axes, or a new one."""
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise MissingDependency("labkit.decide.plots needs matplotlib: pip install matplotlib") from exc
    return plt.subplots(figsize=(7, 4))[1]


def plot_roles(ax: Any = None, *, max_service_accounts: int = 60, clusters: int = 3,
               packing: str = "per-sa") -> Any:
    """Roles needed to share one role among N service accounts: IRSA at each trust quota vs Pod Identity."""
    ax = _axes(ax)
    rows = scaling.service_account_rows(max_service_accounts, clusters)
    counts = [row["service_accounts"] for row in rows]
    for limit in iam.ceilings():
        ax.step(counts, [row[f"irsa_{packing}_roles_{limit}"] for row in rows], where="post",
                label=f"IRSA ({packing}), trust quota {limit:,}")
    ax.plot(counts, [row["pod_identity_roles"] for row in rows], color="black", linewidth=2, label="Pod Identity")
    ax.set(xlabel=f"service accounts sharing one role ({clusters} clusters)", ylabel="IAM roles needed",
           title="Roles for one shared permission set")
    ax.legend()
    return ax


def plot_trust_policy_characters(ax: Any = None, *, max_service_accounts: int = 60, clusters: int = 3) -> Any:
    """Characters of one trust policy holding N service accounts, against the trust-policy quotas."""
    ax = _axes(ax)
    rows = scaling.service_account_rows(max_service_accounts, clusters)
    counts = [row["service_accounts"] for row in rows]
    for packing in iam.PACKINGS:
        ax.plot(counts, [row[f"irsa_{packing}_characters"] for row in rows], label=f"IRSA, {packing} statements")
    ax.plot(counts, [row["pod_identity_trust_characters"] for row in rows], color="black", linewidth=2,
            label="Pod Identity (fixed)")
    for limit in iam.ceilings():
        ax.axhline(limit, linestyle="--", linewidth=1, color="grey")
        ax.annotate(f"{limit:,}", (counts[0], limit), textcoords="offset points", xytext=(2, 3), fontsize=8)
    ax.set(xlabel=f"service accounts in the trust policy ({clusters} clusters)",
           ylabel="characters (white space not counted)", title="Trust policy size")
    ax.legend()
    return ax


def plot_oidc_providers(ax: Any = None, *, max_clusters: int = 150, plan: Any = None) -> Any:
    """OIDC providers one account needs as clusters grow, with the quota line (and a plan's own point)."""
    ax = _axes(ax)
    rows = scaling.oidc_provider_rows(max_clusters)
    clusters = [row["clusters"] for row in rows]
    ax.plot(clusters, [row["irsa_oidc_providers"] for row in rows], label="IRSA (one provider per cluster)")
    ax.plot(clusters, [row["pod_identity_oidc_providers"] for row in rows], color="black", linewidth=2,
            label="Pod Identity (none)")
    quota = value("iam.oidc-providers-per-account")
    ax.axhline(quota, color="red", linestyle="--", label=f"default quota ({quota})")
    if plan is not None:
        for summary in plan.accounts:
            ax.scatter([summary.clusters], [summary.oidc_providers_needed], zorder=3)
            ax.annotate(summary.account.name, (summary.clusters, summary.oidc_providers_needed),
                        textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set(xlabel="EKS clusters in one account", ylabel="IAM OIDC providers",
           title="OIDC providers against the account quota")
    ax.legend()
    return ax
