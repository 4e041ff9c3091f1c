"""JWTs as the course looks at them: split, decode without verifying, and (for examples) encode.

Verification with keys happens where AWS does it, in the lab's STS and EKS Auth; this module only reads.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from labkit.errors import InputError


@dataclass(frozen=True)
class DecodedToken:
    """The three parts of a JWT: header and claims decoded, signature left as text."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signature: str

    def __repr__(self) -> str:
        return f"<DecodedToken alg={self.header.get('alg')} sub={self.claims.get('sub')!r}>"


def b64url_decode(segment: str) -> bytes:
    """Decode one base64url segment, adding the padding JWTs leave out."""
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url without padding, as JWTs do."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_unverified(token: str) -> DecodedToken:
    """Split and decode a JWT without checking its signature (for reading, never for trusting)."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise InputError(f"a JWT has 3 dot-separated parts, this one has {len(parts)}")
    try:
        header, claims = (json.loads(b64url_decode(part)) for part in parts[:2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not a JWT: its header or payload is not base64url JSON ({exc})") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InputError("not a JWT: header and payload must be JSON objects")
    return DecodedToken(header, claims, parts[2])


def encode_unsigned(header: dict[str, Any], claims: dict[str, Any], signature: str = "bm90LXNpZ25lZA") -> str:
    """Build a JWT-shaped string with a placeholder signature (for decoding exercises only)."""
    compact = (json.dumps(header, separators=(",", ":")), json.dumps(claims, separators=(",", ":")))
    return ".".join([*(b64url_encode(part.encode()) for part in compact), signature])


EXAMPLE_ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def example_irsa_token() -> str:
    """An IRSA-shaped token with the source text's example issuer (placeholder signature: for reading only)."""
    claims = {
        "aud": ["sts.amazonaws.com"],
        "exp": 1768554000,
        "iat": 1768467600,
        "iss": EXAMPLE_ISSUER,
        "kubernetes.io": {
            "namespace": "production",
            "pod": {"name": "checkout-api-7d9f8b6c5-x2x4q", "uid": "5b2f3c1e-0a4d-4e7b-9c61-2f8e7a9d1b3c"},
            "serviceaccount": {"name": "checkout-api-sa", "uid": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"},
        },
        "nbf": 1768467600,
        "sub": "system:serviceaccount:production:checkout-api-sa",
    }
    return encode_unsigned({"alg": "RS256", "kid": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}, claims)
