"""Authorization: every non-admin request is decided by labkit.policy with the context AWS supplies.

The principal's identity policies (role inline + attached), permissions boundary and session policy, and the
resource's policy (S3 bucket policies) go to `labkit.policy.evaluate`. A denial becomes the service's own
AccessDenied answer, worded as AWS words it (which policy type denied, explicitly or by default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labkit.policy import Decision
from labkit.policy import evaluate as engine
from labkit.sim.auth import Principal
from labkit.sim.aws_errors import REST_XML, access_denied, not_authorized_message
from labkit.sim.clock import LabClock
from labkit.sim.iam import get_role, get_user
from labkit.sim.operations import Access, ContextValue
from labkit.sim.sessions import Session

ALLOW, EXPLICIT_DENY = "Allow", "ExplicitDeny"
Policy = Mapping[str, Any]


def evaluate(request: Mapping[str, Any], **policies: Any) -> Decision:
    """The one call into the policy engine (contract 1 of design.md)."""
    return engine(request, **policies)


@dataclass(frozen=True)
class PolicySet:
    """The policies that decide one request."""

    identity_policies: tuple[Policy, ...] = ()
    resource_policy: Policy | None = None
    permissions_boundary: Policy | None = None
    session_policy: Policy | None = None

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `evaluate`."""
        return {"identity_policies": list(self.identity_policies), "resource_policy": self.resource_policy,
                "permissions_boundary": self.permissions_boundary, "session_policy": self.session_policy}


ALLOW_ALL: Policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class Caller:
    """What IAM knows about an authenticated caller: its policies and the context keys it brings."""

    identity_policies: tuple[Policy, ...]
    permissions_boundary: Policy | None
    session_policy: Policy | None
    context: Mapping[str, ContextValue]

    def policies(self, resource_policy: Policy | None = None) -> PolicySet:
        """The caller's policies together with the resource's."""
        return PolicySet(self.identity_policies, resource_policy, self.permissions_boundary, self.session_policy)


def caller(principal: Principal, region: str, clock: LabClock) -> Caller:
    """Policies and global condition keys (aws:PrincipalTag/*, aws:userid, ...) of `principal`."""
    now = clock.now()
    context: dict[str, ContextValue] = {
        "aws:PrincipalAccount": principal.account_id,
        "aws:userid": principal.user_id,
        "aws:RequestedRegion": region,
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SecureTransport": "true",  # every real AWS endpoint is TLS; the lab's loopback stands in for it
        "aws:PrincipalIsAWSService": "false",
        "aws:ViaAWSService": "false",
        "aws:PrincipalArn": principal.arn,
    }
    session = principal.session
    if session is not None:
        return _session_caller(session, context)
    if principal.user_name is not None:
        user = get_user(principal.account_id, principal.user_name)
        context.update({"aws:PrincipalType": "User", "aws:username": principal.user_name})
        return Caller(user.identity_policies if user else (), None, None, context)
    context["aws:PrincipalType"] = "Account"
    return Caller((ALLOW_ALL,), None, None, context)


def _session_caller(session: Session, context: dict[str, ContextValue]) -> Caller:
    role = get_role(session.role_arn)
    context.update({"aws:PrincipalArn": session.role_arn, "aws:PrincipalType": "AssumedRole"})
    tags = {**(role.tags if role else {}), **session.tags}  # session tags win over role tags
    context.update({f"aws:PrincipalTag/{key}": value for key, value in tags.items()})
    if session.source_identity:
        context["aws:SourceIdentity"] = session.source_identity
    if role is None:  # the role was deleted: its sessions keep no permissions
        return Caller((), None, session.session_policy, context)
    return Caller(role.identity_policies, role.permissions_boundary, session.session_policy, context)


class Authorizer:
    """Decides requests of IAM users and role sessions; admin (root) requests are always allowed."""

    def __init__(self, clock: LabClock) -> None:
        self._clock = clock

    def check(self, principal: Principal, service: str, protocol: str, region: str,
              checks: Sequence[Access], resource_policy: Policy | None = None) -> None:
        """Raise the service's AccessDenied unless every access in `checks` is allowed."""
        if principal.is_admin or not checks:
            return
        who = caller(principal, region, self._clock)
        policies = who.policies(resource_policy)
        for access in checks:
            request = self.request(principal, access, who.context)
            decision = evaluate(request, **policies.as_kwargs())
            if decision.effect != ALLOW:
                reason = denial_reason(request, policies, decision.effect)
                message = not_authorized_message(principal.arn, access.action, access.resource, reason,
                                                 quote_resource=protocol == REST_XML)
                raise access_denied(service, protocol, message)

    @staticmethod
    def request(principal: Principal, access: Access, base_context: Mapping[str, ContextValue]) -> dict[str, Any]:
        """The request mapping of contract 1 for one access."""
        request: dict[str, Any] = {
            "action": access.action,
            "resource": access.resource,
            "principal": {"type": "AWS", "id": principal.arn},
            "context": {**base_context, **access.context},
        }
        if access.resource_account:
            request["resource_account"] = access.resource_account
        return request


def resource_policy_grants(decision: Decision) -> bool:
    """Whether a statement of the resource (trust) policy itself allowed the request.

    A role's trust policy must always allow AssumeRole, even where an identity policy alone would do for
    other resources of the same account.
    """
    return any(s.applies and s.effect == ALLOW and s.where.split("/")[0] in ("resource", "trust")
               for s in decision.statements)


_POLICY_KINDS = (
    ("identity_policies", "an identity-based policy", "identity-based policy"),
    ("resource_policy", "a resource-based policy", "resource-based policy"),
    ("permissions_boundary", "a permissions boundary", "permissions boundary"),
    ("session_policy", "a session policy", "session policy"),
)


def denial_reason(request: Mapping[str, Any], policies: PolicySet, effect: str) -> str:
    """AWS's reason clause: which policy type denied, explicitly (`with an explicit deny in …`) or not."""
    action = request["action"]
    alone = {kind: _alone(request, kind, getattr(policies, kind)) for kind, _, _ in _POLICY_KINDS}
    if effect == EXPLICIT_DENY:
        for kind, article, _ in _POLICY_KINDS:
            if alone[kind] == EXPLICIT_DENY:
                return f"with an explicit deny in {article}"
        return "with an explicit deny"
    granted = ALLOW in (alone["identity_policies"], alone["resource_policy"])
    for kind, _, name in _POLICY_KINDS[2:]:
        if granted and alone[kind] not in (None, ALLOW):
            return f"because no {name} allows the {action} action"
    if policies.resource_policy is not None and alone["identity_policies"] == ALLOW:
        return f"because no resource-based policy allows the {action} action"
    return f"because no identity-based policy allows the {action} action"


def _alone(request: Mapping[str, Any], kind: str, policy: Any) -> str | None:
    """The effect of one policy type on its own (None when the principal has none of that type)."""
    if not policy:
        return None
    if kind == "resource_policy":
        return evaluate(request, resource_policy=policy).effect
    docs = list(policy) if kind == "identity_policies" else [policy]
    return evaluate(request, identity_policies=docs).effect
