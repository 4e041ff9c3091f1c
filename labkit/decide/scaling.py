"""How IRSA and Pod Identity scale: roles, trust-policy characters and OIDC providers, as plain rows.

The numbers behind the plots (labkit.decide.plots) and the course's tables; measured on generated policies.
"""

from __future__ import annotations

import hashlib
from typing import Any

from labkit.decide import iam
from labkit.facts import value

ACCOUNT_ID = "111122223333"


def issuers(clusters: int, region: str = "us-east-1") -> list[str]:
    """Realistic EKS issuers (32 upper-case hex ids), one per cluster, stable across runs."""
    return [f"https://oidc.eks.{region}.amazonaws.com/id/"
            f"{hashlib.md5(f'cluster-{i}'.encode()).hexdigest().upper()}" for i in range(clusters)]


def bindings(service_accounts: int, clusters: int, namespace: str = "checkout",
             name: str = "checkout-svc-{index:02d}") -> list[tuple[str, str, str]]:
    """`service_accounts` bindings spread round-robin over `clusters` issuers."""
    found = issuers(clusters)
    return [(found[i % clusters], namespace, name.format(index=i + 1)) for i in range(service_accounts)]


def service_account_rows(max_service_accounts: int = 60, clusters: int = 3) -> list[dict[str, Any]]:
    """Per number of service accounts: IRSA roles per packing and quota, characters, and Pod Identity's."""
    pod_identity_characters = iam.characters(iam.pod_identity_trust())
    rows = []
    for count in range(1, max_service_accounts + 1):
        members = bindings(count, clusters)
        row: dict[str, Any] = {"service_accounts": count, "pod_identity_roles": 1,
                               "pod_identity_trust_characters": pod_identity_characters}
        for packing in iam.PACKINGS:
            row[f"irsa_{packing}_characters"] = iam.trust_characters(ACCOUNT_ID, members, packing)
            for limit in iam.ceilings():
                row[f"irsa_{packing}_roles_{limit}"] = iam.roles_needed(ACCOUNT_ID, members, packing, limit)
        rows.append(row)
    return rows


def oidc_provider_rows(max_clusters: int = 150) -> list[dict[str, Any]]:
    """Per number of clusters in one account: OIDC providers for IRSA (one each) and Pod Identity (none)."""
    quota = value("iam.oidc-providers-per-account")
    return [{"clusters": n, "irsa_oidc_providers": n, "pod_identity_oidc_providers": 0, "quota": quota,
             "irsa_over_quota": n > quota} for n in range(0, max_clusters + 1)]
