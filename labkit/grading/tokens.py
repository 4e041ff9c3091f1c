"""Checks for the token exercises (decoding a JWT by hand)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labkit.grading import attempt, check, check_equal, passed
from labkit.tokens import decode_unverified, encode_unsigned

_PADDING_HINT = (
    "A JWT is header.payload.signature, each part base64url without '=' padding. Take the middle part, "
    "add '=' until its length is a multiple of 4, decode it with base64.urlsafe_b64decode, then json.loads."
)


def _samples() -> list[dict[str, Any]]:
    """Claim sets whose encodings need 0, 1 and 2 padding characters."""
    base = {"iss": "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
            "aud": ["sts.amazonaws.com"], "exp": 1768554000, "iat": 1768467600}
    return [dict(base, sub=f"system:serviceaccount:production:{name}") for name in ("api", "api1", "api12")]


def check_decode_payload(decode_payload: Callable[[str], dict]) -> None:
    """The learner's ``decode_payload(token)`` must return the claims of any JWT."""
    for claims in _samples():
        token = encode_unsigned({"alg": "RS256", "kid": "example"}, claims)
        result = attempt(decode_payload, token, hint=_PADDING_HINT)
        check(isinstance(result, dict), f"decode_payload returned {type(result).__name__}, not a dict of claims",
              "json.loads turns the decoded bytes into a dict.")
        check_equal(result, decode_unverified(token).claims, what=f"claims of the token for {claims['sub']}",
                    hint=_PADDING_HINT)
    passed("decode_payload returns the claims of every token, whatever padding its payload needs")
