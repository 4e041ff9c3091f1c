"""The parsed form of a policy: statements with their elements compiled once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from labkit.policy.action import ActionElement
from labkit.policy.condition import Clause, build_clauses
from labkit.policy.principal import PrincipalElement
from labkit.policy.resource import ResourceElement, ResourcePattern
from labkit.policy.variables import literal_template, parse_template

Kind = Literal["identity", "resource", "trust", "boundary", "session"]
KINDS: tuple[str, ...] = ("identity", "resource", "trust", "boundary", "session")
CURRENT_VERSION = "2012-10-17"


@dataclass(frozen=True)
class Statement:
    """One statement, compiled: effect, Sid, index, and its matchers."""

    index: int
    effect: str
    sid: str | None
    action: ActionElement
    resource: ResourceElement
    principal: PrincipalElement | None
    conditions: tuple[Clause, ...]
    document: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def path(self) -> str:
        """JSON path of the statement in its policy."""
        return f"$.Statement[{self.index}]"


@dataclass(frozen=True)
class Policy:
    """A parsed policy: what kind it is, an optional name for explanations, and its statements."""

    statements: tuple[Statement, ...]
    kind: Kind = "identity"
    name: str | None = None
    version: str | None = CURRENT_VERSION
    id: str | None = None
    document: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # (label, action) -> per statement: the Statement to evaluate, or its kept "Action does not cover" result
    plans: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"<Policy {self.kind}{label}: {len(self.statements)} statement(s)>"


def as_list(value: Any) -> list[Any]:
    """IAM lets a single value stand for a one-item list."""
    return value if isinstance(value, list) else [value]


def compile_policy(doc: Mapping[str, Any], *, kind: Kind = "identity", name: str | None = None) -> Policy:
    """Compile a validated document into a Policy."""
    version = doc.get("Version")
    variables = version == CURRENT_VERSION  # older grammars take ${...} literally
    statements = tuple(compile_statement(i, s, variables) for i, s in enumerate(as_list(doc["Statement"])))
    return Policy(statements, kind, name, version, doc.get("Id"), doc)


def compile_statement(index: int, s: Mapping[str, Any], variables: bool) -> Statement:
    """Compile one validated statement."""
    negated_action = "NotAction" in s
    action = ActionElement(tuple(as_list(s["NotAction" if negated_action else "Action"])), negated_action)
    return Statement(
        index=index,
        effect=s["Effect"],
        sid=s.get("Sid") or None,
        action=action,
        resource=_resource(s, variables),
        principal=_principal(s),
        conditions=build_clauses(s.get("Condition") or {}, variables=variables),
        document=s,
    )


def _resource(s: Mapping[str, Any], variables: bool) -> ResourceElement:
    """Resource, NotResource, or absent (trust and some resource policies)."""
    negated = "NotResource" in s
    raw = s.get("NotResource" if negated else "Resource")
    if raw is None:
        return ResourceElement((), absent=True)
    make = parse_template if variables else literal_template
    return ResourceElement(tuple(ResourcePattern(make(r)) for r in as_list(raw)), negated)


def _principal(s: Mapping[str, Any]) -> PrincipalElement | None:
    """Principal or NotPrincipal, when the statement has one."""
    if "NotPrincipal" in s:
        return PrincipalElement.from_json(s["NotPrincipal"], negated=True)
    if "Principal" in s:
        return PrincipalElement.from_json(s["Principal"])
    return None
