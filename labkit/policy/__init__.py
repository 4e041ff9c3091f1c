"""labkit.policy: parse, validate, size and evaluate IAM policies with AWS semantics, explained.

Pure Python: no boto3, moto or HTTP. Contract: ``evaluate(request, *, identity_policies=(),
resource_policy=None, permissions_boundary=None, session_policy=None) -> Decision``.

A module per concept: ``parse`` (JSON/dict/file -> cached ``Policy``), ``validate`` (issues with JSON
paths and lines), ``model``, ``action`` / ``resource`` / ``principal`` / ``condition`` (one element each,
answering with a result that says why), ``variables``, ``request``, ``evaluate`` (the combining rules),
``decision`` (``Decision`` and its explanations), ``size`` (quotas from ``labkit.facts``), ``builders``
(IRSA, Pod Identity, ABAC, least privilege) and ``cli`` (``labkit policy validate|eval``).

    >>> from labkit.policy import evaluate, pod_identity_trust_policy
    >>> evaluate({"action": "sts:AssumeRole", "resource": "arn:aws:iam::111122223333:role/app",
    ...           "principal": {"type": "Service", "id": "pods.eks.amazonaws.com"}},
    ...          resource_policy=pod_identity_trust_policy()).effect
    'Allow'
"""

from __future__ import annotations

from labkit.policy.builders import (
    abac_policy,
    irsa_trust_policy,
    least_privilege_policy,
    pod_identity_trust_policy,
)
from labkit.policy.decision import Decision, StatementResult
from labkit.policy.evaluate import evaluate
from labkit.policy.model import Policy, Statement
from labkit.policy.parse import load_policy, parse_policy
from labkit.policy.request import Principal, Request
from labkit.policy.size import fits, policy_size, service_accounts_per_role
from labkit.policy.validate import Issue, validate

__all__ = [
    "Decision",
    "Issue",
    "Policy",
    "Principal",
    "Request",
    "Statement",
    "StatementResult",
    "abac_policy",
    "evaluate",
    "fits",
    "irsa_trust_policy",
    "least_privilege_policy",
    "load_policy",
    "parse_policy",
    "pod_identity_trust_policy",
    "policy_size",
    "service_accounts_per_role",
    "validate",
]
