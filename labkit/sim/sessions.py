"""Role sessions the lab issued: credentials keyed by access key id, with what authorization needs to know."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from labkit.sim.ids import SECRET_ALPHABET, UPPER_ALNUM, IdSource

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Credentials:
    """An access key, its secret, and for temporary credentials a session token and expiration."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: datetime | None = None

    def as_boto(self) -> dict[str, str]:
        """Keyword arguments for `boto3.client(...)` / `boto3.Session(...)`."""
        kwargs = {"aws_access_key_id": self.access_key_id, "aws_secret_access_key": self.secret_access_key}
        if self.session_token:
            kwargs["aws_session_token"] = self.session_token
        return kwargs

    def as_env(self) -> dict[str, str]:
        """The AWS_* environment variables that carry these credentials."""
        env = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        return env

    def __repr__(self) -> str:
        return f"<Credentials {self.access_key_id} expires {self.expiration and self.expiration.isoformat()}>"


@dataclass(frozen=True)
class Session:
    """One role session: whose it is, until when, and the context it brings to every request it signs."""

    credentials: Credentials
    account_id: str
    role_arn: str
    role_id: str
    session_name: str
    issued_by: str  # the operation that created it: AssumeRole, AssumeRoleWithWebIdentity, ...
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    transitive_tag_keys: frozenset[str] = frozenset()
    source_identity: str | None = None
    session_policy: Mapping[str, Any] | None = None
    chained: bool = False  # created by role chaining (AssumeRole called with role-session credentials)

    @property
    def role_name(self) -> str:
        """The role's name (the last part of its ARN, without path)."""
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def arn(self) -> str:
        """`arn:aws:sts::<acct>:assumed-role/<role>/<session>`, the caller ARN of this session."""
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.role_name}/{self.session_name}"

    @property
    def user_id(self) -> str:
        """`<RoleId>:<session name>`, the value of aws:userid."""
        return f"{self.role_id}:{self.session_name}"

    @property
    def expiration(self) -> datetime:
        """When the credentials stop working (lab clock)."""
        assert self.credentials.expiration is not None
        return self.credentials.expiration

    def __repr__(self) -> str:
        return f"<Session {self.arn} until {self.expiration.isoformat()}>"


class SessionTable:
    """Every session the lab issued, by access key id; mints the keys deterministically."""

    def __init__(self, ids: IdSource) -> None:
        self._ids = ids
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def new_credentials(self, expiration: datetime) -> Credentials:
        """Fresh temporary credentials (ASIA… key, secret, session token) expiring at `expiration`."""
        return Credentials(
            access_key_id="ASIA" + self._ids.text("session-key", 16, UPPER_ALNUM),
            secret_access_key=self._ids.text("session-secret", 40, SECRET_ALPHABET),
            session_token="IQoJb3JpZ2luX2VjE" + self._ids.text("session-token", 300, SECRET_ALPHABET),
            expiration=expiration,
        )

    def add(self, session: Session) -> Session:
        """Record a session so the gateway can authenticate its requests."""
        with self._lock:
            self._sessions[session.credentials.access_key_id] = session
        return session

    def get(self, access_key_id: str) -> Session | None:
        """The session these credentials belong to, if the lab issued them."""
        return self._sessions.get(access_key_id)

    def __len__(self) -> int:
        return len(self._sessions)
