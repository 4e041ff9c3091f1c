"""OIDC issuers of lab clusters: RSA signing keys that rotate every seven days, discovery + JWKS, tokens.

An issuer keeps its real name (`https://oidc.eks.<region>.amazonaws.com/id/<32 HEX>`); the gateway serves its
discovery document and keys on loopback, and the lab's fetcher maps the name there (never through DNS).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from labkit import facts
from labkit.sim.clock import LabClock
from labkit.sim.ids import IdSource
from labkit.tokens import b64url_encode

DISCOVERY_PATH = "/.well-known/openid-configuration"
KEYS_PATH = "/keys"
ROTATION = timedelta(days=facts.value("eks.oidc-key-rotation-days"))


@dataclass(frozen=True)
class SigningKey:
    """One RSA signing key of an issuer, named by `kid`."""

    kid: str
    private_key: rsa.RSAPrivateKey
    created: datetime

    def public_jwk(self) -> dict[str, str]:
        """The key as a JWKS entry (RS256, use sig), the way EKS publishes it."""
        numbers = self.private_key.public_key().public_numbers()
        return {"kty": "RSA", "e": _b64_uint(numbers.e), "use": "sig", "kid": self.kid, "alg": "RS256",
                "n": _b64_uint(numbers.n)}


def _b64_uint(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class Issuer:
    """An OIDC issuer on the lab clock: the current key signs, older keys stay published."""

    def __init__(self, url: str, clock: LabClock, ids: IdSource, rotation: timedelta = ROTATION) -> None:
        self.url = url
        self._clock = clock
        self._ids = ids
        self._rotation = rotation
        self._keys: list[SigningKey] = []
        self._lock = threading.Lock()
        self.current_key()

    @property
    def host_path(self) -> str:
        """The issuer without `https://`, as IAM names the provider and prefixes condition keys."""
        return self.url.removeprefix("https://")

    @property
    def path(self) -> str:
        """The URL path of the issuer (`/id/<HEX>`)."""
        return urlsplit(self.url).path

    def current_key(self) -> SigningKey:
        """The signing key in force now, rotating first if the newest one is seven days old."""
        with self._lock:
            now = self._clock.now()
            if not self._keys or now - self._keys[-1].created >= self._rotation:
                self._keys.append(self._new_key(now))
            return self._keys[-1]

    def _new_key(self, created: datetime) -> SigningKey:
        kid = self._ids.fixed("kid", self.url, len(self._keys), length=40, alphabet="0123456789abcdef")
        return SigningKey(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048), created)

    def keys(self) -> tuple[SigningKey, ...]:
        """Every key published in the JWKS, oldest first."""
        self.current_key()
        return tuple(self._keys)

    def key(self, kid: str) -> SigningKey | None:
        """The published key with this kid, if any."""
        return next((k for k in self.keys() if k.kid == kid), None)

    def discovery(self) -> dict[str, Any]:
        """The `/.well-known/openid-configuration` document, shaped like EKS's."""
        return {
            "issuer": self.url,
            "jwks_uri": self.url + KEYS_PATH,
            "authorization_endpoint": "urn:kubernetes:programmatic_authorization",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "claims_supported": ["sub", "iss"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JSON Web Key Set with every published key."""
        return {"keys": [key.public_jwk() for key in self.keys()]}

    def sign(self, claims: Mapping[str, Any]) -> str:
        """Sign `claims` with the current key (RS256, kid in the header)."""
        key = self.current_key()
        return jwt.encode(dict(claims), key.private_key, algorithm="RS256", headers={"kid": key.kid})

    def __repr__(self) -> str:
        return f"<Issuer {self.url} keys={len(self._keys)}>"


class IssuerRegistry:
    """The issuers the gateway serves, by URL."""

    def __init__(self) -> None:
        self._by_url: dict[str, Issuer] = {}

    def add(self, issuer: Issuer) -> Issuer:
        """Serve this issuer from now on."""
        self._by_url[issuer.url] = issuer
        return issuer

    def get(self, url: str) -> Issuer | None:
        """The issuer with exactly this URL."""
        return self._by_url.get(url.rstrip("/"))

    def document(self, host: str | None, path: str) -> dict[str, Any] | None:
        """The discovery document or JWKS at `path` of the issuer this request is for, if any."""
        for suffix, render in ((DISCOVERY_PATH, Issuer.discovery), (KEYS_PATH, Issuer.jwks)):
            if path.endswith(suffix):
                issuer = self._find(host, path.removesuffix(suffix))
                return render(issuer) if issuer else None
        return None

    def _find(self, host: str | None, issuer_path: str) -> Issuer | None:
        candidates = [i for i in self._by_url.values() if i.path == issuer_path]
        if host and not host.startswith(("127.", "localhost")):
            candidates = [i for i in candidates if urlsplit(i.url).hostname == host.split(":")[0]]
        return candidates[0] if len(candidates) == 1 else None
