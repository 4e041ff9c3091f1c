"""The request being authorized: action, resource, principal, context, resource account."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from labkit.errors import PolicyError

ACCOUNT_ID = re.compile(r"^\d{12}$")
PRINCIPAL_TYPES = ("AWS", "Federated", "Service", "CanonicalUser")
ContextValue = str | list[str] | tuple[str, ...]


@dataclass(frozen=True)
class Principal:
    """Who makes the request: a type as in the Principal element (AWS, Federated, Service) and an id."""

    type: str
    id: str

    @classmethod
    def parse(cls, text: str) -> Principal:
        """Guess the type from the id: provider ARNs are Federated, `*.amazonaws.com` is a Service."""
        if re.search(r":(oidc|saml)-provider/", text) or text in ("cognito-identity.amazonaws.com",
                                                                   "accounts.google.com", "graph.facebook.com"):
            return cls("Federated", text)
        if text.endswith(".amazonaws.com") or text.endswith(".amazonaws.com.cn"):
            return cls("Service", text)
        return cls("AWS", text)

    @cached_property
    def account(self) -> str | None:
        """The account the principal belongs to, when its id says so."""
        if ACCOUNT_ID.match(self.id):
            return self.id
        parts = self.id.split(":", 5)
        if len(parts) == 6 and parts[0] == "arn" and ACCOUNT_ID.match(parts[4]):
            return parts[4]
        return None

    @cached_property
    def kind(self) -> str:
        """account, user, role, session, federated-user, federated, service or other."""
        if self.type != "AWS":
            return {"Federated": "federated", "Service": "service"}.get(self.type, "other")
        if ACCOUNT_ID.match(self.id) or self.id.endswith(":root"):
            return "account"
        resource = self.id.split(":", 5)[-1]
        for prefix, kind in (("user/", "user"), ("role/", "role"), ("assumed-role/", "session"),
                             ("federated-user/", "federated-user")):
            if resource.startswith(prefix):
                return kind
        return "other"

    @cached_property
    def role_arn(self) -> str | None:
        """For a role session, the ARN of its role (without path: IAM keeps only the name in sessions)."""
        if self.kind != "session":
            return None
        partition = self.id.split(":")[1]
        role_name = self.id.split(":", 5)[5].split("/")[1]
        return f"arn:{partition}:iam::{self.account}:role/{role_name}"

    def __str__(self) -> str:
        return self.id if self.type == "AWS" else f"{self.type}:{self.id}"


@dataclass(frozen=True)
class Request:
    """One authorization request; context keys are stored lower-cased because IAM compares them so."""

    action: str
    resource: str
    principal: Principal | None = None
    context: Mapping[str, Any] = field(default_factory=dict, hash=False)  # str | list[str]; stored normalized
    resource_account: str | None = None

    def __post_init__(self) -> None:
        # Normalize once, whoever built the request: lower-case keys, tuples of strings, derived aws: keys.
        object.__setattr__(self, "context", normalize_context(self.context, self.principal))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Request:
        """Build from `{action, resource, principal: {type, id}, context, resource_account?}`."""
        action, resource = data.get("action"), data.get("resource")
        if type(action) is not str or not action or type(resource) is not str or not resource:
            name = "action" if type(action) is not str or not action else "resource"
            raise PolicyError(f"request needs a string {name!r}", path=f"$.{name}")
        account = data.get("resource_account")
        return cls(action, resource, _principal(data.get("principal")), data.get("context") or {},
                   str(account) if account else None)

    @property
    def account(self) -> str | None:
        """The account that owns the resource: as given, else from the resource ARN."""
        return self.resource_account or arn_account(self.resource)

    def values(self, key: str) -> tuple[str, ...] | None:
        """The context values of `key` (any case), or None when the request lacks the key."""
        return self.context.get(key.lower())


@lru_cache(maxsize=4096)
def arn_account(arn: str) -> str | None:
    """The account segment of an ARN, when it has one (S3 bucket ARNs do not)."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and ACCOUNT_ID.match(parts[4]):
        return parts[4]
    return None


def as_request(request: Request | Mapping[str, Any]) -> Request:
    """Accept a Request or the mapping form used by iam-sample.json."""
    return request if type(request) is Request else Request.from_mapping(request)  # type: ignore[arg-type]


def _principal(value: Any) -> Principal | None:
    """The principal from `{type, id}`, a bare id string, or nothing."""
    if value is None:
        return None
    if type(value) is not dict:
        if isinstance(value, Principal):
            return value
        if isinstance(value, str):
            return Principal.parse(value)
    if isinstance(value, (dict, Mapping)) and isinstance(value.get("id"), str):
        return _interned(value.get("type"), value["id"])
    raise PolicyError("principal must be {type, id} or an ARN string", path="$.principal")


@lru_cache(maxsize=1024)
def _interned(kind: str | None, principal_id: str) -> Principal:
    """One Principal per (type, id), so its parsed properties and derived keys are computed once."""
    kind = kind or Principal.parse(principal_id).type
    if kind not in PRINCIPAL_TYPES:
        raise PolicyError(f"principal type must be one of {', '.join(PRINCIPAL_TYPES)}", path="$.principal.type")
    return Principal(kind, principal_id)


def normalize_context(context: Mapping[str, Any], principal: Principal | None) -> dict[str, tuple[str, ...]]:
    """Lower-case keys, make every value a tuple of strings, and add the keys AWS derives from the principal."""
    out = {str(key).lower(): (value,) if type(value) is str else _strings(value) for key, value in context.items()}
    for key, values in _derived(principal).items():
        if key not in out:
            out[key] = values
    return out


def _strings(value: Any) -> tuple[str, ...]:
    """A context value as a tuple of strings (JSON spelling for booleans and numbers)."""
    if isinstance(value, (list, tuple)):
        return tuple(_string(v) for v in value)
    return (_string(value),)


def _string(value: Any) -> str:
    """One context value as IAM sees it."""
    return value if isinstance(value, str) else json.dumps(value)


@lru_cache(maxsize=1024)
def _derived(principal: Principal | None) -> dict[str, tuple[str]]:
    """Global keys AWS puts in every request from an AWS principal (aws:PrincipalArn is the role for sessions)."""
    if principal is None or principal.type != "AWS":
        return {}
    derived: dict[str, tuple[str]] = {}
    if principal.account:
        derived["aws:principalaccount"] = (principal.account,)
    if principal.kind in ("user", "role", "session", "federated-user"):
        derived["aws:principalarn"] = (principal.role_arn or principal.id,)
    if principal.kind == "user":
        derived["aws:username"] = (principal.id.rsplit("/", 1)[-1],)
    return derived
