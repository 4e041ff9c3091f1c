"""The Principal / NotPrincipal element: AWS accounts, users, roles, sessions, `*`, Federated, Service."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labkit.policy.decision import ElementMatch
from labkit.policy.request import ACCOUNT_ID, Principal

# How a Principal entry names the caller. Same-account semantics depend on it (see evaluate.py):
# "account" delegates to identity policies; "role" is still limited by a boundary or session policy;
# "user", "session", "federated" and "service" grants stand on their own.
MATCH_KINDS = ("any", "account", "user", "role", "session", "federated", "service", "exact")
_ROOT = re.compile(r"^arn:[^:]+:iam::(\d{12}):root$")


@dataclass(frozen=True)
class PrincipalElement:
    """Compiled Principal or NotPrincipal entries: (type, value) pairs; `"*"` alone is ("*", "*")."""

    entries: tuple[tuple[str, str], ...]
    negated: bool = False

    @classmethod
    def from_json(cls, value: Any, negated: bool = False) -> PrincipalElement:
        """From the element's JSON: `"*"` or `{"AWS": ..., "Federated": ..., "Service": ...}`."""
        if value == "*":
            return cls((("*", "*"),), negated)
        entries: list[tuple[str, str]] = []
        for kind, values in (value or {}).items():
            for item in [values] if isinstance(values, str) else values:
                entries.append((kind, str(item)))
        return cls(tuple(entries), negated)

    @property
    def element(self) -> str:
        """The element name as written in the policy."""
        return "NotPrincipal" if self.negated else "Principal"

    def match(self, principal: Principal | None) -> ElementMatch:
        """Whether the statement names the caller, with the entry and how it matched (ElementMatch.kind)."""
        if self.negated:
            return self._match_not(principal)
        for kind, value in self.entries:
            how = match_entry(kind, value, principal)
            if how:
                return ElementMatch(True, f"{kind}: {value}" if kind != "*" else "*", self.element, kind=how)
        return ElementMatch(False, None, self.element)

    def _match_not(self, principal: Principal | None) -> ElementMatch:
        """NotPrincipal spares an IAM caller only when both its account and the caller itself are listed.

        AWS checks the account first, then the role, then the session, so a listed role without its
        account is still denied (IAM User Guide, NotPrincipal key points).
        """
        hits = [(f"{k}: {v}", how) for k, v in self.entries if (how := match_entry(k, v, principal))]
        kinds = {how for _, how in hits}
        if principal is not None and principal.type == "AWS" and principal.kind != "account":
            spared = bool(kinds & {"account", "any"}) and bool(kinds & {"user", "role", "session", "exact", "any"})
        else:
            spared = bool(kinds)
        listed = ", ".join(item for item, _ in hits) or None
        if hits and not spared:
            listed = f"{listed} (but not both the caller and its account)"
        return ElementMatch(not spared, listed, self.element, kind="exact" if not spared else None)


def match_entry(kind: str, value: str, principal: Principal | None) -> str | None:
    """How one Principal entry matches the caller (a MATCH_KINDS name), or None."""
    if value == "*" and kind in ("*", "AWS"):
        return "any"
    if principal is None:
        return None
    if kind == "Service":
        return "service" if principal.type == "Service" and value.lower() == principal.id.lower() else None
    if kind != principal.type:
        return None
    if kind == "Federated":
        return "federated" if value == principal.id else None
    if kind == "AWS":
        return _match_aws(value, principal)
    return "exact" if value == principal.id else None


def _match_aws(value: str, principal: Principal) -> str | None:
    """AWS entries: account id or root ARN covers the account; a role ARN covers its sessions."""
    root = _ROOT.match(value)
    account = value if ACCOUNT_ID.match(value) else root.group(1) if root else None
    if account is not None:
        return "account" if account == principal.account else None
    if value == principal.id:
        return {"user": "user", "role": "role", "session": "session"}.get(principal.kind, "exact")
    if principal.kind == "session" and ":role/" in value and _role_without_path(value) == principal.role_arn:
        return "role"
    return None


def _role_without_path(role_arn: str) -> str:
    """`arn:aws:iam::1:role/path/name` -> `arn:aws:iam::1:role/name`, as sessions name their role."""
    head, _, rest = role_arn.partition(":role/")
    return f"{head}:role/{rest.rsplit('/', 1)[-1]}"


def principal_entries(value: Mapping[str, Any] | str) -> list[tuple[str, str]]:
    """(type, value) pairs of a Principal element, for validation."""
    return list(PrincipalElement.from_json(value).entries)
