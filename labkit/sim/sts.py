"""The lab's STS: AssumeRole (session tags, transitive tags, chaining), AssumeRoleWithWebIdentity, identity.

moto's STS checks nothing (../shared/moto-notes.md Q4); these handlers do what AWS does and record each
session, with its tags and policies, in the session table the gateway authenticates against.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape

from labkit import facts
from labkit.policy.size import limit, policy_size
from labkit.sim.auth import Principal
from labkit.sim.authorize import ALLOW, caller, evaluate, resource_policy_grants
from labkit.sim.aws_errors import (
    AccessDenied,
    InvalidIdentityToken,
    InvalidParameterValue,
    MalformedPolicyDocument,
    PackedPolicyTooLarge,
    ValidationError,
    not_authorized_message,
)
from labkit.sim.clock import LabClock
from labkit.sim.iam import RoleView, get_role, oidc_provider, parse_document, role_arn_account
from labkit.sim.operations import request_tag_context, session_tags_from_query
from labkit.sim.sessions import Session, SessionTable
from labkit.sim.webidentity import (
    NO_PROVIDER,
    WRONG_AUDIENCE,
    OidcFetcher,
    VerifiedToken,
    audiences,
    check_algorithm,
    check_times,
    unverified_claims,
    verify_signature,
)

SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$")
DURATION_MIN = facts.value("sts.duration-min")
DURATION_MAX = facts.value("sts.duration-max")
DURATION_DEFAULT = facts.value("sts.duration-default")
CHAINING_MAX = facts.value("sts.role-chaining-max")
SESSION_TAGS_MAX = facts.value("sts.session-tags-max")
TAGS_CLAIM = "https://aws.amazon.com/tags"

EXCEEDS_ROLE_MAX = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
EXCEEDS_CHAINING = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
DURATION_RANGE = ("1 validation error detected: Value '{value}' at 'durationSeconds' failed to satisfy "
                  "constraint: Member must have value between {low} and {high}")
BAD_SESSION_NAME = ("1 validation error detected: Value '{value}' at 'roleSessionName' failed to satisfy "
                    "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
BAD_ROLE_ARN = "{value} is invalid"
TOO_MANY_TAGS = "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
TRANSITIVE_CONFLICT = "One or more session tags conflict with transitive tags of the calling session: {keys}"
PACKED_TOO_LARGE = "Packed policy consumes {percent}% of allotted space, please use smaller policy."
NOT_AUTHORIZED_WEB_IDENTITY = "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def wire_time(clock: LabClock, moment: datetime) -> datetime:
    """A lab-clock instant as the SDK must see it: the same distance from the host's real now.

    botocore compares credential expirations with the host clock and refuses credentials it believes expired,
    so expirations on the wire keep their remaining lifetime rather than their lab date.
    """
    return datetime.now(timezone.utc).replace(microsecond=0) + (moment - clock.now())


def iso(moment: datetime) -> str:
    """`2026-01-15T10:00:00Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SessionRequest:
    """What a new role session should carry."""

    role: RoleView
    session_name: str
    duration: int
    issued_by: str
    tags: Mapping[str, str]
    transitive_tag_keys: frozenset[str] = frozenset()
    source_identity: str | None = None
    session_policy: Mapping[str, Any] | None = None
    chained: bool = False


class Sts:
    """STS operations; every session lands in `sessions`."""

    def __init__(self, sessions: SessionTable, clock: LabClock, fetcher: OidcFetcher) -> None:
        self.sessions = sessions
        self.clock = clock
        self.fetcher = fetcher

    # -- issuing ------------------------------------------------------------------------------------------------
    def issue(self, request: SessionRequest) -> Session:
        """Mint credentials for a role session and record it."""
        expiration = self.clock.now() + timedelta(seconds=request.duration)
        return self.sessions.add(Session(
            credentials=self.sessions.new_credentials(expiration),
            account_id=request.role.account_id, role_arn=request.role.arn, role_id=request.role.role_id,
            session_name=request.session_name, issued_by=request.issued_by, tags=dict(request.tags),
            transitive_tag_keys=request.transitive_tag_keys, source_identity=request.source_identity,
            session_policy=request.session_policy, chained=request.chained,
        ))

    def credentials_xml(self, session: Session) -> str:
        """`<Credentials>` and `<AssumedRoleUser>` of an STS answer."""
        creds = session.credentials
        return (f"<Credentials><AccessKeyId>{creds.access_key_id}</AccessKeyId>"
                f"<SecretAccessKey>{escape(creds.secret_access_key)}</SecretAccessKey>"
                f"<SessionToken>{escape(creds.session_token or '')}</SessionToken>"
                f"<Expiration>{iso(wire_time(self.clock, session.expiration))}</Expiration></Credentials>"
                f"<AssumedRoleUser><AssumedRoleId>{session.user_id}</AssumedRoleId>"
                f"<Arn>{session.arn}</Arn></AssumedRoleUser>")

    # -- GetCallerIdentity --------------------------------------------------------------------------------------
    def get_caller_identity(self, principal: Principal) -> str:
        """The result XML of GetCallerIdentity."""
        return (f"<Arn>{principal.arn}</Arn><UserId>{principal.user_id}</UserId>"
                f"<Account>{principal.account_id}</Account>")

    # -- AssumeRole ---------------------------------------------------------------------------------------------
    def assume_role(self, principal: Principal, params: Mapping[str, str], region: str) -> str:
        """AssumeRole: validate, evaluate identity + trust (+ TagSession), apply chaining, mint."""
        role_arn, session_name = _required_role_and_session(params)
        tags = session_tags_from_query(params)
        session_policy = _session_policy(params.get("Policy"))
        chained = principal.session is not None
        duration = _duration(params.get("DurationSeconds"))
        if len(tags) > SESSION_TAGS_MAX:
            raise ValidationError(TOO_MANY_TAGS)
        inherited = _inherited_transitive_tags(principal)
        if set(tags) & set(inherited):
            raise InvalidParameterValue(TRANSITIVE_CONFLICT.format(keys=", ".join(sorted(set(tags) & set(inherited)))))
        role = get_role(role_arn)
        self.authorize_assume_role(principal, role, role_arn, params, tags, region)
        assert role is not None
        duration = _bounded_duration(duration, role, chained)
        transitive = frozenset(_member_list(params, "TransitiveTagKeys")) | frozenset(inherited)
        session = self.issue(SessionRequest(
            role=role, session_name=session_name, duration=duration, issued_by="AssumeRole",
            tags={**inherited, **tags}, transitive_tag_keys=transitive,
            source_identity=params.get("SourceIdentity") or _inherited_source_identity(principal),
            session_policy=session_policy, chained=chained,
        ))
        return self.credentials_xml(session) + _packed_size_xml(session_policy, tags) + _source_identity_xml(session)

    def authorize_assume_role(self, principal: Principal, role: RoleView | None, role_arn: str,
                               params: Mapping[str, str], tags: Mapping[str, str], region: str) -> None:
        """AccessDenied unless the caller's policies and the role's trust policy allow each action needed."""
        who = caller(principal, region, self.clock)
        policies = who.policies(role.trust_policy if role else None)
        context = dict(who.context)
        context["sts:RoleSessionName"] = params.get("RoleSessionName", "")
        if params.get("ExternalId"):
            context["sts:ExternalId"] = params["ExternalId"]
        if params.get("SourceIdentity"):
            context["sts:SourceIdentity"] = params["SourceIdentity"]
        actions = ["sts:AssumeRole"] + (["sts:TagSession"] if tags else [])
        actions += ["sts:SetSourceIdentity"] if params.get("SourceIdentity") else []
        for action in actions:
            request = {"action": action, "resource": role_arn, "principal": {"type": "AWS", "id": principal.arn},
                       "context": {**context, **(request_tag_context(tags) if tags else {})},
                       "resource_account": role_arn_account(role_arn)}
            decision = evaluate(request, **policies.as_kwargs()) if role else None
            if decision is not None and decision.effect == ALLOW and resource_policy_grants(decision):
                continue
            # STS states no reason clause for AssumeRole/TagSession refusals ("User: … is not authorized to
            # perform: sts:AssumeRole on resource: …"), whichever side (identity or trust policy) refused.
            raise AccessDenied(not_authorized_message(principal.arn, action, role_arn, ""))

    # -- AssumeRoleWithWebIdentity ------------------------------------------------------------------------------
    def assume_role_with_web_identity(self, params: Mapping[str, str]) -> str:
        """AssumeRoleWithWebIdentity as AWS does it (module docstring of labkit.sim.webidentity)."""
        role_arn, session_name = _required_role_and_session(params)
        token = params.get("WebIdentityToken", "")
        if not 4 <= len(token) <= 20000:
            raise ValidationError("1 validation error detected: Value at 'webIdentityToken' failed to satisfy "
                                  "constraint: Member must have length between 4 and 20000")
        session_policy = _session_policy(params.get("Policy"))
        duration = _duration(params.get("DurationSeconds"))
        verified, provider_arn = self._verify_web_identity(token, role_arn_account(role_arn))
        role = get_role(role_arn)
        if role is None or not self._trusts_web_identity(role, verified, provider_arn, session_name):
            raise AccessDenied(NOT_AUTHORIZED_WEB_IDENTITY)
        tags, transitive = _token_session_tags(verified.claims)
        session = self.issue(SessionRequest(
            role=role, session_name=session_name, duration=_bounded_duration(duration, role, False),
            issued_by="AssumeRoleWithWebIdentity", tags=tags, transitive_tag_keys=transitive,
            session_policy=session_policy,
        ))
        return (self.credentials_xml(session) + _packed_size_xml(session_policy, tags)
                + f"<SubjectFromWebIdentityToken>{escape(verified.subject)}</SubjectFromWebIdentityToken>"
                + f"<Audience>{escape(verified.audience)}</Audience><Provider>{escape(verified.issuer)}</Provider>")

    def _verify_web_identity(self, token: str, account_id: str) -> tuple[VerifiedToken, str]:
        header, claims = unverified_claims(token)
        kid = check_algorithm(header)
        issuer = str(claims.get("iss", ""))
        provider = oidc_provider(account_id, issuer) if issuer.startswith("https://") else None
        if provider is None:
            raise InvalidIdentityToken(NO_PROVIDER.format(issuer=issuer or "(no iss claim)"))
        accepted = [aud for aud in audiences(claims) if aud in provider.client_ids]
        if not accepted:
            raise InvalidIdentityToken(WRONG_AUDIENCE)
        claims = verify_signature(token, self.fetcher.signing_key(issuer, kid), header["alg"])
        check_times(claims, self.clock.now())
        if not claims.get("sub"):
            raise InvalidIdentityToken(NOT_AUTHORIZED_WEB_IDENTITY)
        return VerifiedToken(claims, issuer, accepted[0]), provider.arn

    def _trusts_web_identity(self, role: RoleView, token: VerifiedToken, provider_arn: str, session_name: str) -> bool:
        prefix = token.issuer.removeprefix("https://")
        context: dict[str, Any] = {f"{prefix}:sub": token.subject, f"{prefix}:aud": token.audience,
                                   "aws:FederatedProvider": provider_arn, "sts:RoleSessionName": session_name}
        if token.claims.get("amr"):
            context[f"{prefix}:amr"] = [str(v) for v in token.claims["amr"]] if isinstance(token.claims["amr"], list) else str(token.claims["amr"])
        request = {"action": "sts:AssumeRoleWithWebIdentity", "resource": role.arn,
                   "principal": {"type": "Federated", "id": provider_arn}, "context": context,
                   "resource_account": role.account_id}
        return evaluate(request, resource_policy=role.trust_policy).effect == ALLOW


def _required_role_and_session(params: Mapping[str, str]) -> tuple[str, str]:
    role_arn, session_name = params.get("RoleArn", ""), params.get("RoleSessionName", "")
    if not ROLE_ARN.match(role_arn):
        raise InvalidParameterValue(BAD_ROLE_ARN.format(value=role_arn or "RoleArn"))
    if not SESSION_NAME.match(session_name):
        raise ValidationError(BAD_SESSION_NAME.format(value=session_name))
    return role_arn, session_name


def _duration(value: str | None) -> int:
    duration = int(value) if value else DURATION_DEFAULT
    if not DURATION_MIN <= duration <= DURATION_MAX:
        raise ValidationError(DURATION_RANGE.format(value=duration, low=DURATION_MIN, high=DURATION_MAX))
    return duration


def _bounded_duration(duration: int, role: RoleView, chained: bool) -> int:
    if chained and duration > CHAINING_MAX:
        raise ValidationError(EXCEEDS_CHAINING)
    if duration > role.max_session_duration:
        raise ValidationError(EXCEEDS_ROLE_MAX)
    return duration


def _session_policy(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        doc = parse_document(text)
    except ValueError:
        raise MalformedPolicyDocument("This policy contains invalid Json") from None
    if policy_size(doc) > limit("session"):
        raise PackedPolicyTooLarge(PACKED_TOO_LARGE.format(percent=100 * policy_size(doc) // limit("session")))
    return doc


def _member_list(params: Mapping[str, str], name: str) -> list[str]:
    values, index = [], 1
    while f"{name}.member.{index}" in params:
        values.append(params[f"{name}.member.{index}"])
        index += 1
    return values


def _inherited_transitive_tags(principal: Principal) -> dict[str, str]:
    session = principal.session
    if session is None:
        return {}
    return {key: value for key, value in session.tags.items() if key in session.transitive_tag_keys}


def _inherited_source_identity(principal: Principal) -> str | None:
    """A source identity, once set, stays with every session chained from it."""
    return principal.session.source_identity if principal.session else None


def _token_session_tags(claims: Mapping[str, Any]) -> tuple[dict[str, str], frozenset[str]]:
    """Session tags passed in the `https://aws.amazon.com/tags` claim of a web identity token."""
    tag_claim = claims.get(TAGS_CLAIM) or {}
    principal_tags = tag_claim.get("principal_tags") or {}
    tags = {k: (v[0] if isinstance(v, list) and v else str(v)) for k, v in principal_tags.items()}
    return tags, frozenset(tag_claim.get("transitive_tag_keys") or ())


def _packed_size_xml(session_policy: Mapping[str, Any] | None, tags: Mapping[str, str]) -> str:
    if not session_policy and not tags:
        return ""
    used = (policy_size(session_policy) if session_policy else 0) + sum(len(k) + len(v) for k, v in tags.items())
    return f"<PackedPolicySize>{max(1, 100 * used // limit('session'))}</PackedPolicySize>"


def _source_identity_xml(session: Session) -> str:
    return f"<SourceIdentity>{escape(session.source_identity)}</SourceIdentity>" if session.source_identity else ""
