"""Checks for the trust-policy exercises: the policy is judged by the policy engine, not by its text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labkit.grading import attempt, check, passed
from labkit.policy import evaluate, validate
from labkit.policy.requests import web_identity_request

ACCOUNT = "111122223333"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/5F4B3C2A1D0E9F8A7B6C5D4E3F2A1B0C"
OTHER_ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/CheckoutApiIRSARole"

# (what the token says, should it get in, hint when the answer gets it wrong)
_CASES = (
    ({"namespace": "production", "service_account": "checkout-api-sa"}, True,
     "The exact service account must get in: Federated principal = the provider ARN, "
     "Action sts:AssumeRoleWithWebIdentity, StringEquals on '<issuer>:sub' = 'system:serviceaccount:<ns>:<sa>'."),
    ({"namespace": "production", "service_account": "default"}, False,
     "Pin the service account name in ':sub' (StringEquals, no wildcard)."),
    ({"namespace": "staging", "service_account": "checkout-api-sa"}, False,
     "Pin the namespace too: ':sub' is 'system:serviceaccount:<namespace>:<name>'."),
    ({"namespace": "production", "service_account": "checkout-api-sa-evil"}, False,
     "A wildcard (StringLike with '*') admits look-alike names: use StringEquals with the full subject."),
    ({"namespace": "production", "service_account": "checkout-api-sa", "audience": "https://kubernetes.default.svc"}, False,
     "Pin the audience: StringEquals '<issuer>:aud' = 'sts.amazonaws.com'."),
    ({"namespace": "production", "service_account": "checkout-api-sa", "issuer": OTHER_ISSUER}, False,
     "Only this cluster's OIDC provider may be the Federated principal, and the condition keys name its issuer."),
)


def _request(case: dict[str, str]) -> dict[str, Any]:
    fields = dict(case)
    issuer = fields.pop("issuer", ISSUER)
    return web_identity_request(ROLE, issuer, **fields)


def check_single_service_account_trust(trust_policy_for: Callable[..., dict]) -> None:
    """``trust_policy_for(account_id, issuer, namespace, service_account)`` admits exactly that service account."""
    policy = attempt(trust_policy_for, ACCOUNT, ISSUER, "production", "checkout-api-sa")
    check(isinstance(policy, dict), f"expected a policy dict, got {type(policy).__name__}")
    issues = validate(policy, kind="trust")
    check(not issues, f"IAM would reject this trust policy: {issues[0] if issues else ''}",
          "Every statement needs Effect, Principal and Action; condition operators and keys must be valid.")
    for case, should_allow, hint in _CASES:
        effect = evaluate(_request(case), resource_policy=policy).effect
        who = f"{case.get('namespace')}/{case.get('service_account')}"
        extra = f" with audience {case['audience']!r}" if "audience" in case else ""
        extra += " from another cluster" if "issuer" in case else ""
        if should_allow:
            check(effect == "Allow", f"a token for {who} should assume the role, but the result is {effect}", hint)
        else:
            check(effect != "Allow", f"a token for {who}{extra} got in; it must not", hint)
    passed("the trust policy admits production/checkout-api-sa and nothing else")
