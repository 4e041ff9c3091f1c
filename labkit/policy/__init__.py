"""labkit.policy: parse, validate, size and evaluate IAM policies with AWS semantics, explained.

Pure Python: no boto3, moto or HTTP. Contract: ``evaluate(request, *, identity_policies=(),
resource_policy=None, permissions_boundary=None, session_policy=None) -> Decision``.
"""

from __future__ import annotations

from labkit.policy.builders import (
    abac_policy,
    irsa_trust_policy,
    least_privilege_policy,
    pod_identity_trust_policy,
)
from labkit.policy.size import fits, policy_size, service_accounts_per_role

__all__ = [
    "abac_policy",
    "fits",
    "irsa_trust_policy",
    "least_privilege_policy",
    "pod_identity_trust_policy",
    "policy_size",
    "service_accounts_per_role",
]
