"""The requests STS evaluates against a role's trust policy, built the way AWS builds them.

IRSA: STS takes the token's claims as context keys named after the issuer (``<issuer>:sub``, ``<issuer>:aud``)
and the IAM OIDC provider as a Federated principal. Pod Identity: EKS Auth calls AssumeRole and TagSession as
the service principal ``pods.eks.amazonaws.com``.
"""

from __future__ import annotations

from typing import Any

from labkit.policy.builders import issuer_host_path, oidc_provider_arn, service_account_subject

POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"


def _account_of(role_arn: str) -> str:
    """The account id inside an IAM role ARN."""
    parts = role_arn.split(":")
    if len(parts) < 6 or not parts[4]:
        raise ValueError(f"not an IAM role ARN: {role_arn!r}")
    return parts[4]


def web_identity_request(
    role_arn: str,
    issuer: str,
    *,
    namespace: str,
    service_account: str,
    audience: str = "sts.amazonaws.com",
    provider_account: str | None = None,
) -> dict[str, Any]:
    """The trust-policy request for AssumeRoleWithWebIdentity with a service-account token."""
    host_path = issuer_host_path(issuer)
    provider = oidc_provider_arn(provider_account or _account_of(role_arn), issuer)
    return {
        "action": "sts:AssumeRoleWithWebIdentity",
        "resource": role_arn,
        "principal": {"type": "Federated", "id": provider},
        "context": {
            f"{host_path}:sub": service_account_subject(namespace, service_account),
            f"{host_path}:aud": audience,
        },
        "resource_account": _account_of(role_arn),
    }


def pod_identity_request(role_arn: str, action: str = "sts:AssumeRole", **context: str) -> dict[str, Any]:
    """The trust-policy request EKS Auth makes for a Pod Identity association (AssumeRole or TagSession)."""
    return {
        "action": action,
        "resource": role_arn,
        "principal": {"type": "Service", "id": POD_IDENTITY_PRINCIPAL},
        "context": dict(context),
        "resource_account": _account_of(role_arn),
    }
