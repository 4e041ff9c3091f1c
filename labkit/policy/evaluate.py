"""AWS policy evaluation: explicit deny > allow > implicit deny, across identity, resource, boundary and session.

Same account: a resource policy that names the caller allows on its own (a grant to a role ARN is still
capped by a boundary or session policy; a grant to the account delegates to identity policies).
Cross-account: the identity side and the resource policy must both allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from labkit.policy.decision import Decision, ElementMatch, StatementResult
from labkit.policy.model import Kind, Policy, Statement
from labkit.policy.parse import PolicyLike, as_policy, is_named_pair
from labkit.policy.request import Principal, Request, as_request

_NO_PRINCIPAL = ElementMatch(False, None, "Principal")
# Resource-policy grants that stand alone in the same account, whatever the identity side says.
_STANDALONE = frozenset({"any", "user", "session", "federated", "service", "exact"})
# STS actions a role's trust policy governs: the trust policy must allow them, even in the same account.
_TRUST_ACTIONS = frozenset({"assumerole", "assumerolewithwebidentity", "assumerolewithsaml", "tagsession",
                            "setsourceidentity", "setcontext"})
_PLANS_PER_POLICY = 4096  # (label, action) plans kept per parsed policy


def evaluate(
    request: Request | Mapping[str, Any],
    *,
    identity_policies: Iterable[PolicyLike] | PolicyLike | None = (),
    resource_policy: PolicyLike | None = None,
    permissions_boundary: PolicyLike | None = None,
    session_policy: PolicyLike | None = None,
) -> Decision:
    """Decide `request` the way AWS does; deny is a Decision, bad input a PolicyError."""
    req = as_request(request)
    boundary = _optional(permissions_boundary, "boundary")
    session = _optional(session_policy, "session")
    return Results(
        req,
        identity=_evaluate_all(_identity(identity_policies), req),
        resource=_evaluate_resource(resource_policy, req, boundary is not None),
        boundary=None if boundary is None else _evaluate_all(_single("boundary", boundary), req),
        session=None if session is None else _evaluate_all(_single("session", session), req),
    ).decide()


class Results:
    """Statement verdicts per policy type (None: no such policy), and the rules that combine them."""

    def __init__(self, req: Request, *, identity: list[StatementResult], resource: list[StatementResult] | None,
                 boundary: list[StatementResult] | None, session: list[StatementResult] | None) -> None:
        self.req = req
        everything = identity if not (resource or boundary or session) else \
            identity + (resource or []) + (boundary or []) + (session or [])
        self.all = tuple(everything)
        self.has_resource_policy = resource is not None
        self.identity, self.resource = _allows(identity), _allows(resource)
        self.boundary, self.session = _allows(boundary), _allows(session)
        self.boundary_ok = boundary is None or bool(self.boundary)  # no boundary, or it allows
        self.session_ok = session is None or bool(self.session)  # no session policy, or it allows

    def caps(self) -> list[StatementResult]:
        """The boundary and session statements that let an allow through."""
        return self.boundary + self.session

    def decide(self) -> Decision:
        """Explicit deny first, then the allow rules for the caller's kind and account."""
        if self.req.action.lower() == "sts:getcalleridentity":
            return self._decision("Allow", [], "no-permission-needed")
        denies = [r for r in self.all if r.applies and r.effect == "Deny"]
        if denies:
            return self._decision("ExplicitDeny", denies, "explicit-deny")
        req, principal = self.req, self.req.principal
        if principal is None or principal.type != "AWS":
            return self._decide_service_or_federated()
        owner = req.account
        same_account = owner is None or principal.account is None or owner == principal.account
        if principal.kind == "account":
            return self._decide_root(same_account)
        if same_account:
            return self._decide_same_account(principal)
        return self._decide_cross_account()

    def _decide_root(self, same_account: bool) -> Decision:
        """The account root user: full access in its own account; elsewhere the resource policy must allow."""
        if same_account:
            return self._decision("Allow", [], "root-user")
        if self.resource:
            return self._decision("Allow", self.resource, "cross-account")
        return self._decision("ImplicitDeny", [], "cross-account-resource")

    def _decide_service_or_federated(self) -> Decision:
        """Service and web-identity callers have no identity policies: the trust policy decides."""
        if self.resource:
            return self._decision("Allow", self.resource, "trust-allow")
        return self._identity_or_deny([])

    def _decide_same_account(self, principal: Principal) -> Decision:
        """Same account: the union of identity and resource grants, with the caps that apply to each."""
        grants = self.resource
        standalone = [g for g in grants if _standalone(g, principal)]
        if standalone:
            return self._decision("Allow", standalone, "resource-allow")
        role_grants = [g for g in grants if g.principal is not None and g.principal.kind == "role"]
        if role_grants and self.boundary_ok and self.session_ok:
            return self._decision("Allow", role_grants + self.caps(), "resource-allow")
        if self.resource_policy_blocks_iam():
            return self._decision("ImplicitDeny", [], "resource-policy-required")
        return self._identity_or_deny(role_grants)

    def resource_policy_blocks_iam(self) -> bool:
        """KMS keys and role trust: identity policies count only when that policy allows the account (root)."""
        if not self.has_resource_policy or not _needs_resource_policy(self.req.action):
            return False
        return not any(g.principal is not None and g.principal.kind == "account" for g in self.resource)

    def _decide_cross_account(self) -> Decision:
        """Cross-account: the identity side and the resource policy must both allow."""
        grants, own = self.resource, self.identity
        if grants and own and self.boundary_ok and self.session_ok:
            return self._decision("Allow", own + grants + self.caps(), "cross-account")
        rule = ("cross-account-resource" if not grants else "cross-account-identity" if not own
                else "boundary" if not self.boundary_ok else "session")
        return self._decision("ImplicitDeny", [], rule)

    def _identity_or_deny(self, other_grants: list[StatementResult]) -> Decision:
        """Allow through identity policies within the caps, else an implicit deny naming the missing piece."""
        own = self.identity
        if own and self.boundary_ok and self.session_ok:
            return self._decision("Allow", own + self.caps(), "identity-allow")
        if own or other_grants:
            return self._decision("ImplicitDeny", [], "boundary" if not self.boundary_ok else "session")
        return self._decision("ImplicitDeny", [], "no-allow")

    def _decision(self, effect: Any, decided_by: list[StatementResult], rule: str) -> Decision:
        """The Decision, carrying every statement's verdict."""
        return Decision(effect, self.req, tuple(decided_by), self.all, rule)


def _allows(results: list[StatementResult] | None) -> list[StatementResult]:
    """Statements that apply with Allow."""
    return [r for r in results if r.applies and r.effect == "Allow"] if results else []


def _standalone(grant: StatementResult, principal: Principal) -> bool:
    """A same-account resource grant that needs nothing else (`*`, users, sessions, services, federation)."""
    return grant.principal is not None and grant.principal.kind in _STANDALONE


def _needs_resource_policy(action: str) -> bool:
    """Whether the resource's own policy must allow: KMS key policies, and role trust policies for STS."""
    service, _, name = action.lower().partition(":")
    return service == "kms" or (service == "sts" and name in _TRUST_ACTIONS)


def _identity(policies: Iterable[PolicyLike] | PolicyLike | None) -> list[tuple[str, Policy]]:
    """Identity policies with their labels: `identity`, `identity/<name>` or `identity[<i>]`."""
    if policies is None:
        return []
    if type(policies) not in (list, tuple) or is_named_pair(policies):  # lists first: isinstance(x, Mapping) is slow
        single = isinstance(policies, (Mapping, str, Policy)) or is_named_pair(policies)
        policies = [policies] if single else list(policies)  # type: ignore[arg-type, list-item]
    parsed = [p if type(p) is Policy else as_policy(p, kind="identity") for p in policies]  # type: ignore[union-attr]
    if len(parsed) == 1:
        return [(_label("identity", parsed[0], None), parsed[0])]
    return [(_label("identity", p, i), p) for i, p in enumerate(parsed)]


def _label(slot: str, policy: Policy, index: int | None) -> str:
    """How explanations name a policy."""
    if policy.name:
        return f"{slot}/{policy.name}"
    return f"{slot}[{index}]" if index is not None else slot


def _optional(value: PolicyLike | None, kind: Kind) -> Policy | None:
    """Parse an optional policy argument."""
    return None if value is None else as_policy(value, kind=kind)


def _single(slot: str, policy: Policy | None) -> list[tuple[str, Policy]]:
    """A one-policy slot as a labelled list."""
    return [(_label(slot, policy, None), policy)] if policy else []


def _evaluate_resource(value: PolicyLike | None, req: Request, has_boundary: bool) -> list[StatementResult] | None:
    """The resource (or trust) policy's statements, with Principal matching; None without one."""
    policy = _optional(value, "resource")
    if policy is None:
        return None
    # A role's resource policy is its trust policy: say so in explanations of sts: calls.
    slot = "trust" if policy.kind == "trust" or req.action[:4].lower() == "sts:" else "resource"
    label = _label(slot, policy, None)
    return [_evaluate_statement(s, label, req, principal=True, has_boundary=has_boundary)
            for s in policy.statements]


def _evaluate_all(policies: Iterable[tuple[str, Policy]], req: Request) -> list[StatementResult]:
    """Every statement of identity-side policies (no Principal element there)."""
    return [_evaluate_statement(item, label, req) if isinstance(item, Statement) else item
            for label, policy in policies for item in _plan(policy, label, req.action)]


def _plan(policy: Policy, label: str, action: str) -> tuple[Statement | StatementResult, ...]:
    """Per statement, what `action` leaves to do: nothing (its kept result) or the Statement to evaluate.

    Statements whose Action does not cover the request answer the same way every time; the plan is kept
    per (policy label, action), so a request only pays for the statements that could apply.
    """
    key = (label, action)
    plan = policy.plans.get(key)
    if plan is None:
        plan = tuple(_miss_or_statement(s, label, action) for s in policy.statements)
        if len(policy.plans) < _PLANS_PER_POLICY:
            policy.plans[key] = plan
    return plan


def _miss_or_statement(s: Statement, label: str, action: str) -> Statement | StatementResult:
    """The kept result when the Action element does not cover `action`, else the statement itself."""
    match = s.action.match(action)
    return s if match.matched else StatementResult(label, s, False, match)


def _evaluate_statement(s: Statement, where: str, req: Request, *, principal: bool = False,
                        has_boundary: bool = False) -> StatementResult:
    """One statement: action, then resource, then principal, then conditions; stops at the first miss."""
    action = s.action.match(req.action)
    if not action.matched:
        return StatementResult(where, s, False, action)
    resource = s.resource.match(req.resource, req.context)
    if not resource.matched:
        return StatementResult(where, s, False, action, resource)
    who = _principal_match(s, req, has_boundary) if principal else None
    if who is not None and not who.matched:
        return StatementResult(where, s, False, action, resource, who)
    conditions = []
    for clause in s.conditions:
        result = clause.evaluate(req.context)
        conditions.append(result)
        if not result.matched:
            return StatementResult(where, s, False, action, resource, who, tuple(conditions))
    return StatementResult(where, s, True, action, resource, who, tuple(conditions))


def _principal_match(s: Statement, req: Request, has_boundary: bool) -> ElementMatch:
    """Principal matching, including AWS's rule that Deny + NotPrincipal always hits a bounded IAM principal."""
    if s.principal is None:
        return _NO_PRINCIPAL
    if (s.principal.negated and s.effect == "Deny" and has_boundary and req.principal is not None
            and req.principal.type == "AWS"):
        return ElementMatch(True, "NotPrincipal with Deny always denies a principal that has a permissions "
                                  "boundary", "NotPrincipal", kind="exact")
    return s.principal.match(req.principal)
