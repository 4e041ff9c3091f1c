"""Authentication: who signed this request? SigV4 checked against credentials the lab issued.

Admin credentials (one pair per account) act as the account root; IAM users' access keys (moto stores them)
act as those users; every other key must belong to a session in the session table, carry its session token,
and not be expired on the lab clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from labkit.sim.accounts import Accounts
from labkit.sim.aws_errors import auth_error
from labkit.sim.clock import LabClock
from labkit.sim.iam import get_user, user_access_key
from labkit.sim.sessions import Session, SessionTable
from labkit.sim.sigv4 import (
    MalformedSignature,
    SignedRequest,
    parse_authorization,
    parse_presigned,
    signature_matches,
)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: an account's admin (root), an IAM user, or a role session."""

    account_id: str
    arn: str
    user_id: str
    session: Session | None = None
    user_name: str | None = None

    @property
    def is_admin(self) -> bool:
        """True for an account's admin credentials, which IAM never limits (the root user)."""
        return self.session is None and self.user_name is None


@dataclass(frozen=True)
class HttpRequest:
    """The parts of an HTTP request that SigV4 covers."""

    method: str
    url: str  # scheme://host + the raw path and query exactly as sent
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class Authenticator:
    """Checks signatures and maps access keys to principals."""

    def __init__(self, accounts: Accounts, sessions: SessionTable, clock: LabClock) -> None:
        self._accounts = accounts
        self._sessions = sessions
        self._clock = clock

    def signature(self, request: HttpRequest) -> SignedRequest | None:
        """The parsed SigV4 header or presigned query, None when the request is unsigned."""
        query = urlsplit(request.url).query
        try:
            if "authorization" in request.headers:
                return parse_authorization(request.headers)
            if "X-Amz-Signature=" in query:
                return parse_presigned(query)
        except MalformedSignature:
            return None
        return None

    def authenticate(self, request: HttpRequest, signed: SignedRequest, protocol: str) -> Principal:
        """The principal who signed `request`, or the service's authentication error."""
        account = self._accounts.by_admin_key(signed.access_key_id)
        if account is not None:
            self._verify(request, signed, account.admin.secret_access_key, protocol)
            return Principal(account.account_id, account.root_arn, account.account_id)
        session = self._sessions.get(signed.access_key_id)
        if session is None:
            return self._iam_user(request, signed, protocol)
        if signed.security_token != session.credentials.session_token:
            raise auth_error("bad-token", protocol)
        self._verify(request, signed, session.credentials.secret_access_key, protocol)
        if self._clock.now() >= session.expiration:
            raise auth_error("expired", protocol)
        return Principal(session.account_id, session.arn, session.user_id, session)

    def _iam_user(self, request: HttpRequest, signed: SignedRequest, protocol: str) -> Principal:
        """An IAM user's long-term access key (created with iam:CreateAccessKey)."""
        key = user_access_key(self._accounts.ids(), signed.access_key_id)
        if key is None or not key.active:
            raise auth_error("unknown-key", protocol)
        self._verify(request, signed, key.secret_access_key, protocol)
        user = get_user(key.account_id, key.user_name)
        if user is None:
            raise auth_error("unknown-key", protocol)
        return Principal(key.account_id, user.arn, user.user_id, user_name=user.name)

    @staticmethod
    def _verify(request: HttpRequest, signed: SignedRequest, secret: str, protocol: str) -> None:
        if signed.expired(datetime.now(timezone.utc)):
            raise auth_error("request-expired", protocol)
        if not signature_matches(signed, secret, method=request.method, url=request.url,
                                 headers=request.headers, body=request.body):
            raise auth_error("bad-signature", protocol)
