"""Checks for the token exercises (decoding a JWT by hand)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labkit.errors import CheckFailed
from labkit.grading import attempt, check, check_equal, passed
from labkit.tokens import b64url_encode, decode_unverified, encode_unsigned

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


def _rsa_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(private_key: Any, kid: str) -> dict[str, Any]:
    import json

    from jwt.algorithms import RSAAlgorithm

    return dict(json.loads(RSAAlgorithm.to_jwk(private_key.public_key())), kid=kid, alg="RS256", use="sig")


def _verify_cases() -> tuple[dict[str, Any], list[tuple[str, str, bool, str]]]:
    """A JWKS and (what, token, should-accept, hint) cases built with fresh keys."""
    import jwt
    from cryptography.hazmat.primitives import serialization

    old, new, stranger = _rsa_key(), _rsa_key(), _rsa_key()
    jwks = {"keys": [_jwk(old, "old-key"), _jwk(new, "new-key")]}
    claims = {"iss": _ISSUER, "sub": "system:serviceaccount:production:checkout-api-sa", "aud": ["sts.amazonaws.com"],
              "iat": _NOW - 600, "nbf": _NOW - 600, "exp": _NOW + 3600}

    def sign(key: Any, kid: str, **changes: Any) -> str:
        return jwt.encode(dict(claims, **changes), key, algorithm="RS256", headers={"kid": kid})

    good = sign(new, "new-key")
    header, payload, signature = good.split(".")
    forged_payload = b64url_encode(json_bytes(dict(claims, sub="system:serviceaccount:kube-system:admin")))
    public_pem = new.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    cases = [
        ("a valid token", good, True, "Find the key whose kid is in the token's header, then verify with it."),
        ("a valid token signed with the older key still published", sign(old, "old-key"), True,
         "Keys rotate: pick the key by kid, never the first key of the set."),
        ("a tampered payload", f"{header}.{forged_payload}.{signature}", False, "Verify the signature."),
        ("an unsigned token (alg none)", encode_unsigned({"alg": "none", "kid": "new-key"}, claims, signature=""), False,
         "Accept RS256 only: never let the token choose its own algorithm."),
        ("an HS256 token keyed with the public key", _hs256_with(public_pem, claims), False,
         "Key confusion: allow only algorithms=['RS256'] when decoding."),
        ("a key that is not published", sign(stranger, "stranger-key"), False, "An unknown kid means no key: reject."),
        ("another audience", sign(new, "new-key", aud=["vault"]), False, "Check aud (jwt.decode(..., audience=...))."),
        ("another issuer", sign(new, "new-key", iss="https://evil.example/id/X"), False, "Check iss (jwt.decode(..., issuer=...))."),
        ("an expired token", sign(new, "new-key", exp=_NOW - 1), False,
         "Compare exp with the `now` you are given (not the machine's clock)."),
        ("a token that is not valid yet", sign(new, "new-key", nbf=_NOW + 600, iat=_NOW + 600), False,
         "Compare nbf with `now` too."),
    ]
    return jwks, cases


_ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/5F4B3C2A1D0E9F8A7B6C5D4E3F2A1B0C"
_NOW = 1768467600


def json_bytes(value: Any) -> bytes:
    """Compact JSON bytes, as JWT segments carry them."""
    import json

    return json.dumps(value, separators=(",", ":")).encode()


def _hs256_with(secret: bytes, claims: dict[str, Any]) -> str:
    """An HS256 token whose HMAC key is the RSA public key's PEM (the classic key-confusion forgery)."""
    import hashlib
    import hmac

    signing_input = f"{b64url_encode(json_bytes({'alg': 'HS256', 'kid': 'new-key'}))}.{b64url_encode(json_bytes(claims))}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(mac)}"


def check_verify_token(verify: Callable[..., dict]) -> None:
    """``verify(token, jwks, issuer=, audience=, now=)`` accepts exactly the tokens STS accepts."""
    jwks, cases = _verify_cases()
    for what, token, accept, hint in cases:
        try:
            result = verify(token, jwks, issuer=_ISSUER, audience="sts.amazonaws.com", now=_NOW)
        except NotImplementedError as exc:
            raise CheckFailed("verify is not written yet.", str(exc) or hint) from None
        except Exception:  # a refusal: any exception means "rejected"
            check(not accept, f"verify rejected {what}; STS would accept it", hint)
            continue
        check(accept, f"verify accepted {what}; STS would reject it", hint)
        check(isinstance(result, dict) and result.get("sub") == "system:serviceaccount:production:checkout-api-sa",
              f"for {what}, verify should return the claims dict", "Return what jwt.decode returns.")
    passed("verify accepts valid tokens under either published key and rejects all 8 forgeries and mistakes")
