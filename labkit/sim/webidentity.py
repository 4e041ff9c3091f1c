"""Web identity tokens as STS checks them: discovery + JWKS fetched over HTTP, RS256 by kid, claims on the clock.

The issuer keeps its real https name; `OidcFetcher` sends the request to the lab's loopback endpoint with the
issuer's host in the Host header (the name is never looked up in DNS, and nothing leaves loopback).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import jwt
from jwt.algorithms import RSAAlgorithm

from labkit.sim.aws_errors import ExpiredTokenException, IDPCommunicationError, IDPRejectedClaim, InvalidIdentityToken
from labkit.tokens import decode_unverified

CLOCK_SKEW_SECONDS = 300  # STS tolerates a few minutes of clock difference with the identity provider
ACCEPTED_ALGORITHMS = ("RS256", "RS384", "RS512")
NOT_VALIDATED = ("The web identity token that was passed could not be validated by AWS. Get a new identity "
                 "token from the identity provider and then retry the request.")
NO_PROVIDER = "No OpenIDConnect provider found in your account for {issuer}"
WRONG_AUDIENCE = "Incorrect token audience"
EXPIRED = "Token expired: current date/time {now} must be before the expiration date/time{exp}"
NOT_YET_VALID = "The token is not yet valid: current date/time {now} is before its {claim} date/time {value}"
MISSING_CLAIM = "The identity token is missing the required claim: {claim}"
NO_KEYS = ("Couldn't retrieve verification key from your identity provider, please reference "
           "AssumeRoleWithWebIdentity documentation for requirements")


class OidcFetcher:
    """GETs an issuer's discovery document and JWKS from the lab's loopback endpoint, caching keys per issuer."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._keys: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get_json(self, url: str) -> dict[str, Any]:
        """GET an https URL of a lab-served issuer; IDPCommunicationError if it is not there."""
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise IDPCommunicationError(NO_KEYS)
        connection = http.client.HTTPConnection(self._host, self._port, timeout=5)
        try:
            connection.request("GET", parts.path or "/", headers={"Host": parts.hostname})
            response = connection.getresponse()
            body = response.read()
        except OSError:
            raise IDPCommunicationError(NO_KEYS) from None
        finally:
            connection.close()
        document = json.loads(body) if response.status == 200 else None
        if not isinstance(document, dict):
            raise IDPCommunicationError(NO_KEYS)
        return document

    def signing_key(self, issuer: str, kid: str) -> Any:
        """The public key `kid` of `issuer`, refetching the JWKS once when the kid is new (key rotation)."""
        with self._lock:
            keys = self._keys.get(issuer, {})
            if kid not in keys:
                keys = self._keys[issuer] = self._fetch_keys(issuer)
        if kid not in keys:
            raise InvalidIdentityToken(NOT_VALIDATED)
        return RSAAlgorithm.from_jwk(json.dumps(keys[kid]))

    def _fetch_keys(self, issuer: str) -> dict[str, dict[str, Any]]:
        discovery = self.get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if discovery.get("issuer") != issuer or "jwks_uri" not in discovery:
            raise IDPCommunicationError(NO_KEYS)
        jwks = self.get_json(discovery["jwks_uri"])
        return {key["kid"]: key for key in jwks.get("keys", []) if key.get("kty") == "RSA" and "kid" in key}


@dataclass(frozen=True)
class VerifiedToken:
    """A token whose signature and times checked out: its claims and the audience STS accepted."""

    claims: Mapping[str, Any]
    issuer: str
    audience: str

    @property
    def subject(self) -> str:
        """The `sub` claim."""
        return str(self.claims["sub"])


def unverified_claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a JWT without checking it; InvalidIdentityToken when it is not a JWT."""
    try:
        decoded = decode_unverified(token)
    except Exception:
        raise InvalidIdentityToken(NOT_VALIDATED) from None
    return decoded.header, decoded.claims


def check_algorithm(header: Mapping[str, Any]) -> str:
    """The token's kid; refuses alg none, HMAC and anything but RSA signatures."""
    if header.get("alg") not in ACCEPTED_ALGORITHMS or not header.get("kid"):
        raise InvalidIdentityToken(NOT_VALIDATED)
    return str(header["kid"])


def verify_signature(token: str, public_key: Any, algorithm: str) -> dict[str, Any]:
    """The claims, if `public_key` signed the token (times are checked separately, on the lab clock)."""
    try:
        return jwt.decode(token, public_key, algorithms=[algorithm],
                          options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                                   "verify_aud": False, "verify_iss": False})
    except jwt.PyJWTError:
        raise InvalidIdentityToken(NOT_VALIDATED) from None


def check_times(claims: Mapping[str, Any], now: datetime, skew: int = CLOCK_SKEW_SECONDS) -> None:
    """exp must lie ahead, nbf and iat not in the future (with `skew` seconds of tolerance)."""
    stamp = int(now.timestamp())
    if not isinstance(claims.get("exp"), (int, float)):
        raise IDPRejectedClaim(MISSING_CLAIM.format(claim="exp"))
    if stamp >= claims["exp"] + skew:
        raise ExpiredTokenException(EXPIRED.format(now=stamp, exp=int(claims["exp"])))
    for claim in ("nbf", "iat"):
        value = claims.get(claim)
        if isinstance(value, (int, float)) and value > stamp + skew:
            raise IDPRejectedClaim(NOT_YET_VALID.format(now=stamp, claim=claim, value=int(value)))


def audiences(claims: Mapping[str, Any]) -> list[str]:
    """The `aud` claim as a list."""
    aud = claims.get("aud")
    return [aud] if isinstance(aud, str) else [str(a) for a in aud or []]


def epoch(moment: datetime) -> int:
    """Seconds since the epoch (JWT NumericDate)."""
    return int(moment.astimezone(timezone.utc).timestamp())
