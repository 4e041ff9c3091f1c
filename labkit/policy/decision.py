"""Results: what each element of a statement said, each statement's verdict, and the Decision.

Deny is an answer, not an exception. Text explanations are computed from the trace only when asked.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from labkit.policy.condition import ConditionResult
    from labkit.policy.model import Statement
    from labkit.policy.request import Request

Effect = Literal["Allow", "ExplicitDeny", "ImplicitDeny"]
EFFECTS: tuple[Effect, ...] = ("Allow", "ExplicitDeny", "ImplicitDeny")


# The per-statement results are NamedTuples: immutable values like the frozen dataclasses elsewhere, but
# built several times per request, and a tuple is several times cheaper to create than a frozen dataclass.
class ElementMatch(NamedTuple):
    """Whether one element (Action, Resource, Principal and their Not- forms) matched, and the entry that decided."""

    matched: bool
    item: str | None
    element: str
    kind: str | None = None  # for Principal: how the entry named the caller (account, role, user, ...)
    missing: bool = False  # a policy variable in the entry had no value

    def describe(self, subject: str) -> str:
        """One phrase: `Action s3:Get* matched s3:GetObject`."""
        if self.missing:
            return f"{self.element} uses {self.item}, which has no value in the request"
        if self.element == "NotPrincipal" and self.matched and self.item:
            return f"NotPrincipal lists {self.item}, so the statement still covers {subject}"
        if self.element.startswith("Not"):
            if self.matched:
                return f"{self.element} does not list {subject}, so the statement covers it"
            return f"{self.element} lists {subject} (via {self.item}), so the statement does not cover it"
        if self.element == "Principal":
            if self.matched:
                return f"Principal {self.item} names the caller ({self.kind} match)"
            return f"Principal does not name the caller {subject}"
        if self.matched:
            if self.item is None:
                return f"no {self.element} element, so the statement covers {subject}"
            return f"{self.element} {self.item} matched {subject}"
        return f"{self.element} has no entry matching {subject}"


class StatementResult(NamedTuple):
    """One statement's verdict for the request: does it apply, and if not, which element stopped it."""

    where: str  # the policy: "identity", "identity/ReadOnly", "resource", "trust", "boundary", "session"
    statement: Statement
    applies: bool
    action: ElementMatch
    resource: ElementMatch | None = None
    principal: ElementMatch | None = None
    conditions: tuple[ConditionResult, ...] = ()

    @property
    def effect(self) -> str:
        """Allow or Deny, as the statement says."""
        return self.statement.effect

    @property
    def ref(self) -> str:
        """`identity:DenyS3#1`: the policy, the Sid when there is one, and the statement index."""
        sid = self.statement.sid
        return f"{self.where}:{sid}#{self.statement.index}" if sid else f"{self.where}#{self.statement.index}"

    @property
    def failed_condition(self) -> ConditionResult | None:
        """The first condition that did not hold, if the statement failed on its conditions."""
        return next((c for c in self.conditions if not c.matched), None)

    def reasons(self, request: Request) -> list[str]:
        """Why the statement applies or not: one phrase per element checked, in evaluation order."""
        parts = [self.action.describe(request.action)]
        if self.action.matched and self.resource is not None:
            parts.append(self.resource.describe(request.resource))
        if self.principal is not None and self.action.matched and (self.resource is None or self.resource.matched):
            parts.append(self.principal.describe(str(request.principal) if request.principal else "anonymous"))
        failed = self.failed_condition
        if failed is not None:
            parts.append(f"condition failed: {failed.describe()}")
        elif self.applies:
            parts += [f"condition held: {c.describe()}" for c in self.conditions]
        return parts

    def why(self, request: Request) -> str:
        """`reasons()` in one line."""
        return "; ".join(self.reasons(request))

    def to_dict(self, request: Request) -> dict[str, Any]:
        """JSON-ready summary."""
        failed = self.failed_condition
        return {"statement": self.ref, "effect": self.effect, "applies": self.applies,
                "why": self.why(request), "failed_condition": failed.describe() if failed else None}


_RULES: dict[str, str] = {
    "explicit-deny": "An explicit Deny in any policy overrides every Allow.",
    "identity-allow": "An identity policy allows it and nothing denies it.",
    "resource-allow": "Same account: a resource policy that names the caller is enough on its own.",
    "trust-allow": "The role's trust policy (its resource policy) allows this caller; AWS services and web "
                   "identities have no identity policies of their own.",
    "cross-account": "Cross-account: both the caller's identity policy and the resource policy allow it.",
    "no-allow": "Nothing allows it, so it is denied by default (implicit deny).",
    "boundary": "The permissions boundary does not allow it: a boundary caps what identity policies grant.",
    "session": "The session policy does not allow it: a session policy caps the role's permissions.",
    "cross-account-resource": "Cross-account: the resource policy in the resource's account does not allow it.",
    "cross-account-identity": "Cross-account: the caller's own identity policies do not allow it.",
    "root-user": "The account root user has full access in its own account unless something denies it explicitly.",
    "resource-policy-required": "A KMS key policy or a role trust policy must allow the request itself: naming "
                                "the caller, or trusting the account (its root) so that identity policies "
                                "can grant it.",
    "no-permission-needed": "sts:GetCallerIdentity needs no permission: AWS allows it even against an explicit deny.",
}


@dataclass(frozen=True)
class Decision:
    """The answer to one request: effect, the statements that decided, and every statement's verdict."""

    effect: Effect
    request: Request
    decided_by: tuple[StatementResult, ...]
    statements: tuple[StatementResult, ...]
    rule: str  # a key of _RULES: which part of the evaluation logic produced the effect

    @property
    def allowed(self) -> bool:
        """Whether the request is allowed."""
        return self.effect == "Allow"

    @property
    def reason(self) -> str:
        """The evaluation rule that produced the effect, in one sentence."""
        return _RULES[self.rule]

    def __repr__(self) -> str:
        if self.decided_by:
            return f"<Decision {self.effect} by {', '.join(s.ref for s in self.decided_by)}>"
        return f"<Decision {self.effect}: {self.rule}>"

    def decided(self, result: StatementResult) -> bool:
        """Whether `result` is one of the deciding statements (by identity: results are tuples)."""
        return any(result is d for d in self.decided_by)

    def explain(self) -> str:
        """Text a learner can follow: the request, the rule, the deciding statements, and why others did not apply."""
        r = self.request
        lines = [f"{self.effect}: {r.action} on {r.resource} by {r.principal or 'anonymous'}",
                 f"Rule: {self.reason}"]
        if self.decided_by:
            lines.append("Decided by:")
            lines += [_block(f"{s.ref} ({s.effect})", s.reasons(r)) for s in self.decided_by]
        others = [s for s in self.statements if not self.decided(s)]
        if others:
            lines.append("Other statements:" if self.decided_by else "Statements:")
            lines += [_block(f"{s.ref} ({s.effect}) {'applies' if s.applies else 'does not apply'}", s.reasons(r))
                      for s in others]
        elif not self.statements:
            lines.append("No policy statements were given.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (used by `labkit policy eval --json`)."""
        return {"effect": self.effect, "rule": self.rule, "reason": self.reason,
                "decided_by": [s.ref for s in self.decided_by],
                "statements": [s.to_dict(self.request) for s in self.statements]}

    def to_json(self) -> str:
        """`to_dict()` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2)

    def _repr_html_(self) -> str:
        """A small table for notebooks: the effect, the rule, and one row per statement."""
        colour = {"Allow": "#1a7f37", "ExplicitDeny": "#cf222e", "ImplicitDeny": "#9a6700"}[self.effect]
        rows = "".join(_html_row(s, self.decided(s), self.request) for s in self.statements)
        r = self.request
        return (f'<div class="labkit-decision"><p><b style="color:{colour}">{self.effect}</b> '
                f"<code>{html.escape(r.action)}</code> on <code>{html.escape(r.resource)}</code> by "
                f"<code>{html.escape(str(r.principal or 'anonymous'))}</code><br>{html.escape(self.reason)}</p>"
                f"<table><tr><th>statement</th><th>effect</th><th>applies</th><th>why</th></tr>{rows}</table></div>")


def _block(head: str, reasons: list[str]) -> str:
    """A statement's heading and its reasons, one per indented line."""
    return "\n".join([f"  {head}:"] + [f"      {reason}" for reason in reasons])


def _html_row(s: StatementResult, deciding: bool, request: Request) -> str:
    """One table row; the deciding statements are bold."""
    ref = f"<b>{html.escape(s.ref)}</b>" if deciding else html.escape(s.ref)
    return (f"<tr><td>{ref}</td><td>{s.effect}</td><td>{'yes' if s.applies else 'no'}</td>"
            f"<td>{'<br>'.join(html.escape(reason) for reason in s.reasons(request))}</td></tr>")
