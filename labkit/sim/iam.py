"""IAM as the lab reads it from moto (roles, their policies, OIDC providers) and the checks moto skips.

moto stores IAM; it does not validate a trust policy on create_role, enforce any size quota or the OIDC
provider quota, or insist on https provider URLs (../shared/moto-notes.md Q3). `IamChecks.check` runs before
the call reaches moto and answers with the AWS errors (MalformedPolicyDocument, LimitExceeded, InvalidInput).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from labkit.policy.model import Kind
from labkit.policy.size import limit, policy_size
from labkit import facts
from labkit.sim.aws_errors import InvalidInput, LimitExceeded, MalformedPolicyDocument, NoSuchEntity
from labkit.sim.protocols import Call

PARTITION = "aws"
INVALID_JSON = "This policy contains invalid Json"
TRUST_QUOTA = "Cannot exceed quota for ACLSizePerRole: {limit}"
MANAGED_QUOTA = "Cannot exceed quota for PolicySize: {limit}"
INLINE_QUOTA = "Maximum policy size of {limit} bytes exceeded for role {role}"
OIDC_QUOTA = "Cannot exceed quota for OpenIdIdpsPerAccount: {limit}"
HTTPS_ONLY = "The URL must begin with https:// ({url})"


@dataclass(frozen=True)
class RoleView:
    """A role as authorization needs it: ARN, id, trust, identity policies, boundary, tags, max session."""

    arn: str
    name: str
    role_id: str
    account_id: str
    trust_policy: Mapping[str, Any]
    identity_policies: tuple[Mapping[str, Any], ...]
    permissions_boundary: Mapping[str, Any] | None
    tags: Mapping[str, str] = field(default_factory=dict)
    max_session_duration: int = 3600


@dataclass(frozen=True)
class OidcProviderView:
    """An IAM OIDC identity provider: ARN, URL (without https://) and its client-ID list (audiences)."""

    arn: str
    url: str
    client_ids: tuple[str, ...]


def parse_document(text: str | Mapping[str, Any]) -> dict[str, Any]:
    """A policy document as a dict, whether stored as JSON text, URL-encoded JSON or already parsed."""
    if isinstance(text, Mapping):
        return dict(text)
    return _parse_text(text)


@functools.lru_cache(maxsize=1024)
def _parse_text(text: str) -> dict[str, Any]:
    """Parsed once per text: the policy engine reuses its compiled form for the same dict (read-only here)."""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = json.loads(unquote(text))
    if not isinstance(parsed, dict):
        raise ValueError("a policy document is a JSON object")
    return parsed


def _backend(account_id: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account_id][PARTITION]


def role_arn_account(role_arn: str) -> str:
    """The account id inside an IAM ARN (`arn:aws:iam::<acct>:role/...`)."""
    parts = role_arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def get_role(role_arn: str) -> RoleView | None:
    """The role with this ARN (or None), read from moto."""
    account_id = role_arn_account(role_arn)
    if not account_id or ":role/" not in role_arn:
        return None
    backend = _backend(account_id)
    name = role_arn.rsplit("/", 1)[-1]
    role = next((r for r in list(backend.roles.values()) if r.name == name), None)
    if role is None or role.arn != role_arn:
        return None
    return _role_view(backend, role)


def _role_view(backend: Any, role: Any) -> RoleView:
    identity = [parse_document(doc) for doc in role.policies.values()]
    identity += [_managed_document(p) for p in role.managed_policies.values()]
    boundary = None
    if role.permissions_boundary_arn:
        boundary = _managed_document(backend.get_policy(role.permissions_boundary_arn))
    return RoleView(
        arn=role.arn, name=role.name, role_id=role.id, account_id=role.account_id,
        trust_policy=parse_document(role.assume_role_policy_document),
        identity_policies=tuple(identity), permissions_boundary=boundary,
        tags={t["Key"]: t["Value"] for t in (role.tags or [])} if isinstance(role.tags, list) else dict(role.tags or {}),
        max_session_duration=int(role.max_session_duration or 3600),
    )


@dataclass(frozen=True)
class UserView:
    """An IAM user as authorization needs it: ARN, id, name and identity policies (own and groups')."""

    arn: str
    name: str
    user_id: str
    account_id: str
    identity_policies: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class UserKey:
    """An IAM user's access key as moto stores it."""

    account_id: str
    user_name: str
    secret_access_key: str
    active: bool


def user_access_key(account_ids: Iterable[str], access_key_id: str) -> UserKey | None:
    """The IAM user access key with this id in one of the lab's accounts."""
    for account_id in account_ids:
        for key in _backend(account_id).get_all_access_keys_for_all_users():
            if key.access_key_id == access_key_id:
                return UserKey(account_id, key.user_name, key.secret_access_key, key.status == "Active")
    return None


def get_user(account_id: str, name: str) -> UserView | None:
    """The user with this name (or None), with its inline, attached and group policies."""
    backend = _backend(account_id)
    user = backend.users.get(name)
    if user is None:
        return None
    owners = [user, *backend.get_groups_for_user(name)]
    identity = [parse_document(doc) for owner in owners for doc in owner.policies.values()]
    identity += [_managed_document(p) for owner in owners for p in owner.managed_policies.values()]
    return UserView(user.arn, user.name, user.id, account_id, tuple(identity))


def _managed_document(policy: Any) -> dict[str, Any]:
    version = next(v for v in policy.versions if v.version_id == policy.default_version_id)
    return parse_document(version.document)


def oidc_provider(account_id: str, issuer_url: str) -> OidcProviderView | None:
    """The IAM OIDC provider of `account_id` for this issuer URL, if one exists."""
    host_path = issuer_url.removeprefix("https://").rstrip("/")
    for provider in list(_backend(account_id).open_id_providers.values()):
        if provider.url.rstrip("/") == host_path:
            return OidcProviderView(provider.arn, provider.url, tuple(provider.client_id_list or ()))
    return None


def oidc_provider_count(account_id: str) -> int:
    """How many OIDC providers the account has."""
    return len(_backend(account_id).open_id_providers)


@dataclass(frozen=True)
class IamQuotas:
    """The IAM quotas the lab enforces; raise `trust_policy` to model a Service Quotas increase."""

    trust_policy: int = field(default_factory=lambda: limit("trust"))
    oidc_providers: int = field(default_factory=lambda: int(facts.value("iam.oidc-providers-per-account")))
    role_inline: int = field(default_factory=lambda: limit("role-inline"))
    managed_policy: int = field(default_factory=lambda: limit("managed"))


AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"


def publish_aws_managed_policy(account_id: str, policy_arn: str) -> bool:
    """Make an AWS managed policy visible in `account_id`, as AWS shows them in every account.

    moto loads its copy of AWS's ~1,300 managed policies only with MOTO_IAM_LOAD_MANAGED_POLICIES=true (slow and
    global), so the lab publishes each one the first time a request names it. False when AWS has no such policy.
    """
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy

    backend = _backend(account_id)
    if policy_arn in backend.managed_policies:
        return True
    name = policy_arn.removeprefix(AWS_MANAGED_PREFIX).rsplit("/", 1)[-1]
    documents = _aws_managed_documents(aws_managed_policies_data)
    if name not in documents:
        return False
    policy = AWSManagedPolicy.from_data(name, account_id, "us-east-1", documents[name])
    backend.managed_policies.setdefault(policy.arn, policy)
    return True


@functools.cache
def _aws_managed_documents(data: str) -> dict[str, Any]:
    """moto's AWS managed policies, parsed once per process."""
    return json.loads(data)


class IamChecks:
    """What IAM checks before it stores a policy or provider and moto does not."""

    def __init__(self, quotas: IamQuotas) -> None:
        self.quotas = quotas

    def check(self, call: Call, account_id: str) -> None:
        """Raise the AWS error for `call` if IAM would refuse it; return quietly otherwise."""
        if call.params.get("PolicyArn", "").startswith(AWS_MANAGED_PREFIX):
            publish_aws_managed_policy(account_id, call.params["PolicyArn"])
        checker = getattr(self, f"_check_{call.operation}", None)
        if checker is not None:
            checker(call.params, account_id)

    def _check_CreateRole(self, params: Mapping[str, str], account_id: str) -> None:
        self._trust(params.get("AssumeRolePolicyDocument", ""))

    def _check_UpdateAssumeRolePolicy(self, params: Mapping[str, str], account_id: str) -> None:
        self._trust(params.get("PolicyDocument", ""))

    def _check_PutRolePolicy(self, params: Mapping[str, str], account_id: str) -> None:
        doc = _validated(params.get("PolicyDocument", ""), "identity")
        role_name = params.get("RoleName", "")
        try:
            role = _backend(account_id).get_role(role_name)
        except Exception:
            raise NoSuchEntity(f"The role with name {role_name} cannot be found.") from None
        others = [d for name, d in role.policies.items() if name != params.get("PolicyName")]
        total = policy_size(doc) + sum(policy_size(parse_document(d)) for d in others)
        if total > self.quotas.role_inline:
            raise LimitExceeded(INLINE_QUOTA.format(limit=self.quotas.role_inline, role=role_name))

    def _check_CreatePolicy(self, params: Mapping[str, str], account_id: str) -> None:
        self._managed(params.get("PolicyDocument", ""))

    def _check_CreatePolicyVersion(self, params: Mapping[str, str], account_id: str) -> None:
        self._managed(params.get("PolicyDocument", ""))

    def _check_CreateOpenIDConnectProvider(self, params: Mapping[str, str], account_id: str) -> None:
        url = params.get("Url", "")
        if urlsplit(url).scheme != "https":
            raise InvalidInput(HTTPS_ONLY.format(url=url))
        if oidc_provider_count(account_id) >= self.quotas.oidc_providers:
            raise LimitExceeded(OIDC_QUOTA.format(limit=self.quotas.oidc_providers))

    def _trust(self, text: str) -> None:
        doc = _validated(text, "trust")
        if policy_size(doc) > self.quotas.trust_policy:
            raise LimitExceeded(TRUST_QUOTA.format(limit=self.quotas.trust_policy))

    def _managed(self, text: str) -> None:
        doc = _validated(text, "identity")
        if policy_size(doc) > self.quotas.managed_policy:
            raise LimitExceeded(MANAGED_QUOTA.format(limit=self.quotas.managed_policy))


def _validated(text: str, kind: Kind) -> dict[str, Any]:
    """The parsed document, or MalformedPolicyDocument with the validator's first complaint."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise MalformedPolicyDocument(INVALID_JSON) from None
    if not isinstance(doc, dict):
        raise MalformedPolicyDocument(INVALID_JSON)
    from labkit.policy import validate

    problems = [issue for issue in validate(doc, kind) if issue.severity == "error"]
    if problems:
        raise MalformedPolicyDocument(problems[0].aws_message)  # IAM's words; labkit policy validate explains more
    return doc
