"""The EKS Pod Identity agent: the node-local HTTP server a Pod Identity pod gets its credentials from.

Built from ``aws/eks-pod-identity-agent`` (``../shared/webhook-agent-spec.md`` part B). On a node the agent
listens on ``169.254.170.23:80`` and ``[fd00:ec2::23]:80``; a pod's SDK sends
``GET http://169.254.170.23/v1/credentials`` with the projected token file's content, verbatim, as the
``Authorization`` header. The agent checks the Host header and the token's shape and time claims, calls EKS Auth
``AssumeRoleForPodIdentity`` with the *node role's* credentials, caches the answer keyed by the token and returns
``{AccessKeyId, SecretAccessKey, Token, AccountId, Expiration}``.

How the lab reaches it
----------------------
`PodIdentityAgent` is a real ``http.server`` on ``127.0.0.1`` (ephemeral port). Pods are subprocesses whose
Python loads ``labkit.netguard`` through its sitecustomize; the lab passes
``netguard.child_environment(env, address_map=agent.address_map())``, so inside the pod a connection to
``169.254.170.23:80`` really goes to ``127.0.0.1:<port>`` (and ``[fd00:ec2::23]:80`` to
``[::ffff:127.0.0.1]:<port>``). Only the socket address is rewritten: the HTTP ``Host`` header the SDK sends
stays ``169.254.170.23``, so the agent's Host check passes exactly as on a node. A client that calls the
loopback port directly is refused with the real 403, like a pod that used a wrong address.

Time is the lab's: token ``exp``/``nbf`` checks and every cache deadline read the injected `LabClock`, and the
cache janitor is `PodIdentityAgent.sweep`, which the lab calls when its clock moves (the real agent sweeps every
minute of wall time). Only request throttling (1000 req/s per route) and the in-flight wait use real time,
because they are about real concurrency.

Not modelled: the metrics server (counts are kept in `PodIdentityAgent.metrics` instead), ``--rotate-credentials``
and the ``initialize`` command (the address map stands in for the dummy link).
"""

from __future__ import annotations

import base64
import binascii
import collections
import dataclasses
import http.client
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from labkit.sim.clock import LabClock

__all__ = [
    "AGENT_IPV4",
    "AGENT_IPV6",
    "EKS_AUTH_CLIENT_CONFIG",
    "AgentConfig",
    "AgentRequest",
    "EksAuthClient",
    "PodIdentityAgent",
    "PodIdentityCredentials",
]

AGENT_IPV4 = "169.254.170.23"
AGENT_IPV6 = "fd00:ec2::23"
AGENT_PORT = 80
CREDENTIALS_PATH = "/v1/credentials"
PROBE_PATHS = ("/healthz", "/readyz")
MIN_CREDENTIAL_TTL = timedelta(seconds=15)
RENEWAL_RETRY = timedelta(minutes=1)
IRRECOVERABLE_CODES = frozenset(
    {"ResourceNotFoundException", "ExpiredTokenException", "InvalidTokenException", "AccessDeniedException"}
)
# Fault of each modelled EKS Auth error (botocore's eks-auth model); anything else is "unknown" to the Go SDK.
EKS_AUTH_FAULTS = {
    "ThrottlingException": "client",
    "InvalidRequestException": "client",
    "AccessDeniedException": "client",
    "InternalServerException": "server",
    "InvalidTokenException": "client",
    "InvalidParameterException": "client",
    "ExpiredTokenException": "client",
    "ResourceNotFoundException": "client",
    "ServiceUnavailableException": "server",
}
# The agent's EKS Auth client: 500 ms dial timeout, 1 s per attempt, the SDK's standard retryer (3 attempts).
# The lab builds its boto3 ``eks-auth`` client with this config, the node role's credentials and its endpoint.
EKS_AUTH_CLIENT_CONFIG = Config(
    connect_timeout=0.5, read_timeout=1, retries={"mode": "standard", "total_max_attempts": 3}
)
_JWT_ALGORITHMS = frozenset(
    {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512",
     "EdDSA", "none"}
)
_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class EksAuthClient(Protocol):
    """What the agent needs from EKS Auth: a boto3 ``eks-auth`` client (node role credentials) fits."""

    def assume_role_for_pod_identity(self, *, clusterName: str, token: str) -> dict[str, Any]: ...  # noqa: N803


@dataclass(frozen=True)
class AgentConfig:
    """The agent's ``server`` flags that change behaviour, with the real defaults."""

    max_credential_retention: timedelta = timedelta(hours=3)  # 0 disables the cache
    max_cache_size: int = 2000  # 0 disables the cache
    max_service_qps: int = 3  # background renewals per (lab) second; <= 0 means 3
    requests_per_second: float = 1000.0  # per route; burst is half of it
    in_flight_wait: float = 0.2  # seconds between checks while another request for the token is in flight
    in_flight_retries: int = 9
    probe_timeout: float = 10.0

    @property
    def caching(self) -> bool:
        """Whether the credential cache is on."""
        return self.max_credential_retention > timedelta(0) and self.max_cache_size > 0


@dataclass(frozen=True)
class PodIdentityCredentials:
    """Credentials as the agent returns them."""

    access_key_id: str
    secret_access_key: str
    token: str
    account_id: str
    expiration: datetime

    def to_json(self) -> bytes:
        """The agent's JSON body: Go field order, omitempty, RFC 3339 (nano) UTC expiration."""
        body = {"AccessKeyId": self.access_key_id, "SecretAccessKey": self.secret_access_key, "Token": self.token,
                "AccountId": self.account_id, "Expiration": rfc3339_nano(self.expiration)}
        return json.dumps({key: value for key, value in body.items() if value}, separators=(",", ":")).encode()

    def __repr__(self) -> str:
        until = rfc3339_nano(self.expiration)
        return f"<PodIdentityCredentials {self.access_key_id} account={self.account_id} until {until}>"


@dataclass(frozen=True)
class AgentRequest:
    """One request the agent answered (for notebooks: what the pod sent and what it got)."""

    method: str
    path: str
    host: str
    authorization: str
    status: int


class AgentRefusal(Exception):
    """An error answer of the agent: HTTP status, plain-text message, and the EKS Auth error code if any."""

    def __init__(self, status: int, message: str, *, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code


# --- request validation (spec B.3 steps 2 and 3) ----------------------------------------------------------------


def check_target_host(host_header: str) -> None:
    """Refuse (403) a request whose Host is not one of the agent's two link-local addresses."""
    host = _go_split_host(host_header)
    if len(host) > 1 and host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host not in (AGENT_IPV4, AGENT_IPV6):
        message = (f"Access Denied. Called agent through invalid address, please use either "
                   f"[{AGENT_IPV4} {AGENT_IPV6}] address not {host}")
        raise AgentRefusal(HTTPStatus.FORBIDDEN, message)


def check_token(token: str, now: datetime) -> None:
    """Refuse (400) an empty token, one that does not parse as a JWT, or one outside its exp/nbf window."""
    if token == "":
        raise AgentRefusal(HTTPStatus.BAD_REQUEST, "Service account token cannot be empty")
    try:
        claims = _parse_unverified(token)
    except ValueError as error:
        raise AgentRefusal(HTTPStatus.BAD_REQUEST, f"Service account token cannot be parsed: {error}") from None
    problems = _time_claim_problems(claims, now)
    if problems:
        message = f"Service account token failed basic claim validations: {', '.join(problems)}"
        raise AgentRefusal(HTTPStatus.BAD_REQUEST, message)


def _go_split_host(host_port: str) -> str:
    """The host part as Go's ``net.SplitHostPort`` gives it; the input unchanged when that fails."""
    if host_port.startswith("["):
        end = host_port.find("]")
        if end > 0 and host_port[end + 1 : end + 2] == ":":
            return host_port[1:end]
        return host_port
    if host_port.count(":") == 1:
        return host_port.split(":", 1)[0]
    return host_port


def _parse_unverified(token: str) -> dict[str, Any]:
    """golang-jwt v5 ``ParseUnverified`` into RegisteredClaims: the claims, or ValueError with its message."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("token is malformed: token contains an invalid number of segments")
    header = _json_segment(parts[0], "header")
    claims = _json_segment(parts[1], "claim")
    if not isinstance(header, dict) or not isinstance(claims, (dict, type(None))):
        what = "header" if not isinstance(header, dict) else "claim"
        raise ValueError(f"token is malformed: could not JSON decode {what}: json: cannot unmarshal into Go value")
    _check_registered_claim_types(claims or {})
    algorithm = header.get("alg")
    if not isinstance(algorithm, str):
        raise ValueError("token is unverifiable: signing method (alg) is unspecified")
    if algorithm not in _JWT_ALGORITHMS:
        raise ValueError("token is unverifiable: signing method (alg) is unavailable")
    return claims or {}


def _json_segment(segment: str, what: str) -> Any:
    """Decode one raw-base64url JSON segment the way jwt-go does (no padding; CR/LF ignored)."""
    segment = segment.replace("\r", "").replace("\n", "")
    bad = next((i for i, char in enumerate(segment) if char not in _BASE64URL), None)
    if bad is None and len(segment) % 4 == 1:
        bad = len(segment) - 1
    if bad is not None:
        raise ValueError(f"token is malformed: could not base64 decode {what}: illegal base64 data at input byte {bad}")
    try:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"token is malformed: could not JSON decode {what}: {error}") from None


def _check_registered_claim_types(claims: dict[str, Any]) -> None:
    """RegisteredClaims decoding: string claims must be strings, time claims numbers, aud a string or list."""
    for name in ("iss", "sub", "jti"):
        if claims.get(name) is not None and not isinstance(claims[name], str):
            raise ValueError(f"token is malformed: could not JSON decode claim: json: cannot unmarshal into {name}")
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError("token is malformed: could not JSON decode claim: could not parse NumericData")
    audience = claims.get("aud")
    if audience is not None and not isinstance(audience, str) and not (
        isinstance(audience, list) and all(isinstance(item, str) for item in audience)
    ):
        raise ValueError("token is malformed: could not JSON decode claim: invalid type for claim")


def _time_claim_problems(claims: dict[str, Any], now: datetime) -> list[str]:
    """golang-jwt v5's default validator: exp (now must be before it) and nbf; iat is not checked by default."""
    problems = []
    instant = now.timestamp()
    if claims.get("exp") is not None and not instant < int(claims["exp"]):
        problems.append("token is expired")
    if claims.get("nbf") is not None and instant < int(claims["nbf"]):
        problems.append("token is not valid yet")
    return problems


# --- EKS Auth (spec B.5) ------------------------------------------------------------------------------------------


def assume_role_for_pod_identity(client: EksAuthClient, cluster_name: str, token: str) -> PodIdentityCredentials:
    """Call EKS Auth; the agent's credentials, or an `AgentRefusal` worded as the agent words it."""
    try:
        reply = client.assume_role_for_pod_identity(clusterName=cluster_name, token=token)
    except ClientError as error:
        raise _api_refusal(error) from None
    except (BotoCoreError, OSError) as error:  # no HTTP answer: transport failure or timeout
        message = f"unable to fetch credentials from EKS Auth: {error}"
        raise AgentRefusal(HTTPStatus.INTERNAL_SERVER_ERROR, message) from None
    return _credentials_from_reply(reply)


def _api_refusal(error: ClientError) -> AgentRefusal:
    """EKS Auth's own status, and ``[<request-id>]: (<Code>): <message>, fault: <client|server>``."""
    details = error.response.get("Error", {})
    metadata = error.response.get("ResponseMetadata", {})
    code = str(details.get("Code", ""))
    request_id = metadata.get("RequestId") or (metadata.get("HTTPHeaders") or {}).get("x-amzn-requestid", "")
    fault = EKS_AUTH_FAULTS.get(code, "unknown")
    message = f"[{request_id}]: ({code}): {details.get('Message', '')}, fault: {fault}"
    return AgentRefusal(int(metadata.get("HTTPStatusCode") or 500), message, error_code=code)


def _credentials_from_reply(reply: dict[str, Any]) -> PodIdentityCredentials:
    credentials, user = reply.get("credentials"), reply.get("assumedRoleUser")
    if not credentials or not user:
        raise AgentRefusal(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            f"invalid response from server: credentials or assumed role empty: {_redacted(reply)}",
        )
    return PodIdentityCredentials(
        access_key_id=credentials["accessKeyId"],
        secret_access_key=credentials["secretAccessKey"],
        token=credentials["sessionToken"],
        account_id=_account_from_arn(user.get("arn", "")),
        expiration=_utc(credentials["expiration"]),
    )


def _account_from_arn(arn: str) -> str:
    """The account field of an ARN, with Go's ``arn.Parse`` errors."""
    if not arn.startswith("arn:"):
        message = "unable to parse arn from assumed role: arn: invalid prefix"
        raise AgentRefusal(HTTPStatus.INTERNAL_SERVER_ERROR, message)
    sections = arn.split(":", 5)
    if len(sections) != 6:
        message = "unable to parse arn from assumed role: arn: not enough sections"
        raise AgentRefusal(HTTPStatus.INTERNAL_SERVER_ERROR, message)
    return sections[4]


def _redacted(reply: dict[str, Any]) -> dict[str, Any]:
    """The reply without secrets, for an error message."""
    return {key: value for key, value in reply.items() if key not in ("credentials", "ResponseMetadata")}


def _utc(value: datetime | float | int | str) -> datetime:
    """A botocore timestamp (aware or naive datetime, epoch seconds or ISO text) in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def rfc3339_nano(moment: datetime) -> str:
    """Go's ``time.RFC3339Nano`` in UTC: fraction without trailing zeros, ``Z``."""
    moment = moment.astimezone(timezone.utc)
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


# --- the credential cache (spec B.4) ----------------------------------------------------------------------------


class TokenBucket:
    """``golang.org/x/time/rate.Limiter``'s Allow: starts full, refills at ``rate`` per second up to ``burst``."""

    def __init__(self, rate: float, burst: int, now: Callable[[], float]) -> None:
        self._rate, self._burst, self._now = rate, burst, now
        self._tokens, self._last = float(burst), now()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Take one token if there is one."""
        with self._lock:
            current = self._now()
            self._tokens = min(self._burst, self._tokens + max(0.0, current - self._last) * self._rate)
            self._last = current
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


@dataclass(frozen=True)
class _CacheEntry:
    token: str
    credentials: PodIdentityCredentials
    refresh_at: datetime
    expires_at: datetime


class CredentialCache:
    """The agent's refreshing cache: key = the raw token; refresh after min(expiry, retention); 15 s rule."""

    def __init__(
        self,
        fetch: Callable[[str], PodIdentityCredentials],
        clock: LabClock,
        config: AgentConfig,
        *,
        rng: random.Random,
        metrics: collections.Counter[str],
    ) -> None:
        self._fetch, self._clock, self._config, self._rng, self._metrics = fetch, clock, config, rng, metrics
        self._entries: collections.OrderedDict[str, _CacheEntry] = collections.OrderedDict()
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()
        qps = config.max_service_qps if config.max_service_qps > 0 else 3
        self._renewals = TokenBucket(qps, qps, clock.time)

    def get(self, token: str) -> PodIdentityCredentials:
        """Cached credentials with more than 15 s left, else fetch (waiting briefly for an in-flight fetch)."""
        for attempt in range(self._config.in_flight_retries + 1):
            with self._lock:
                entry = self._live(token)
                if entry is not None:
                    if self._left(entry.credentials) > MIN_CREDENTIAL_TTL:
                        return entry.credentials
                    self._delete(token)  # too close to expiry: drop it and fetch fresh ones
                    break
                if token not in self._in_flight:
                    break
            if attempt < self._config.in_flight_retries:
                time.sleep(self._config.in_flight_wait)
        with self._lock:
            self._in_flight.add(token)
        self._metrics["cache_miss"] += 1
        try:
            return self._fetch_and_store(token)
        finally:
            with self._lock:
                self._in_flight.discard(token)

    def sweep(self) -> None:
        """One janitor pass at the lab clock's time: renew entries due for refresh, then evict expired ones."""
        now = self._clock.now()
        with self._lock:
            due = [entry for entry in self._entries.values() if now > entry.refresh_at]
        for entry in due:
            self._renew(entry)
        with self._lock:
            for token in [t for t, entry in self._entries.items() if now > entry.expires_at]:
                self._delete(token)

    def tokens(self) -> list[str]:
        """The cached keys, oldest first."""
        with self._lock:
            return list(self._entries)

    def entry_times(self, token: str) -> tuple[datetime, datetime] | None:
        """(refresh after, hard expiry) of a cached token, or None."""
        with self._lock:
            entry = self._entries.get(token)
            return None if entry is None else (entry.refresh_at, entry.expires_at)

    def _fetch_and_store(self, token: str) -> PodIdentityCredentials:
        try:
            credentials = self._fetch(token)
        except AgentRefusal as refusal:
            if refusal.error_code is None:  # the agent wraps non-API errors; API errors keep their own text
                raise AgentRefusal(refusal.status, f"error getting credentials to cache: {refusal.message}") from None
            raise
        left = self._left(credentials)
        if left <= MIN_CREDENTIAL_TTL:
            seconds = left.total_seconds()
            message = f"fetched credentials are expired or will expire within the next {seconds:.2f} seconds"
            raise AgentRefusal(HTTPStatus.INTERNAL_SERVER_ERROR, message)
        self._store(token, credentials, refresh=min(left, self._config.max_credential_retention), expire=left)
        return credentials

    def _renew(self, entry: _CacheEntry) -> None:
        """Renew one entry with its original token; keep, evict or retry later as the agent does."""
        if self._renewals.allow():
            try:
                self._fetch_and_store(entry.token)
                self._metrics["cache_renewed"] += 1
                return
            except AgentRefusal as refusal:
                if refusal.error_code in IRRECOVERABLE_CODES:
                    self._metrics[f"cache_error_nonrecoverable:{refusal.error_code}"] += 1
                    with self._lock:
                        self._delete(entry.token)
                    return
                self._metrics[f"cache_error_recoverable:{refusal.error_code or 'Unknown'}"] += 1
        else:
            self._metrics["cache_renewal_rate_limited"] += 1
        left = self._left(entry.credentials)
        if left > MIN_CREDENTIAL_TTL:  # keep the old credentials and try again after 1 min + jitter
            retry = RENEWAL_RETRY + timedelta(seconds=self._rng.uniform(0, RENEWAL_RETRY.total_seconds()))
            self._store(entry.token, entry.credentials, refresh=min(left, retry), expire=left)

    def _store(self, token: str, credentials: PodIdentityCredentials, *, refresh: timedelta, expire: timedelta) -> None:
        now = self._clock.now()
        with self._lock:
            self._entries[token] = _CacheEntry(token, credentials, now + refresh, now + expire)
            self._entries.move_to_end(token)  # the LRU orders by last store; reads do not touch it
            while len(self._entries) > self._config.max_cache_size:
                self._delete(next(iter(self._entries)))

    def _live(self, token: str) -> _CacheEntry | None:
        entry = self._entries.get(token)
        return None if entry is None or self._clock.now() > entry.expires_at else entry

    def _delete(self, token: str) -> None:
        if self._entries.pop(token, None) is not None:
            self._metrics["cache_evicted"] += 1

    def _left(self, credentials: PodIdentityCredentials) -> timedelta:
        return credentials.expiration - self._clock.now()


# --- the servers (spec B.2) -------------------------------------------------------------------------------------


class PodIdentityAgent:
    """The agent for one node: a credential server and a probe server on loopback, answering as the real one."""

    def __init__(
        self,
        cluster_name: str,
        eks_auth: EksAuthClient,
        clock: LabClock,
        *,
        config: AgentConfig = AgentConfig(),
        rng: random.Random | None = None,
        rate_clock: Callable[[], float] = time.monotonic,
        render_time: Callable[[datetime], datetime] | None = None,
    ) -> None:
        self.cluster_name = cluster_name
        # How the JSON's Expiration is written for the SDK; the lab passes wire time (real now + lab time left).
        self._render_time = render_time or (lambda moment: moment)
        self.config = config
        self.clock = clock
        self.metrics: collections.Counter[str] = collections.Counter()
        self.requests: collections.deque[AgentRequest] = collections.deque(maxlen=1000)
        self._eks_auth = eks_auth
        self._rate_clock = rate_clock
        self._cache = CredentialCache(self._call_eks_auth, clock, config, rng=rng or random.Random(0),
                                      metrics=self.metrics) if config.caching else None
        self._credential_server = self._server({CREDENTIALS_PATH: self._credentials_route})
        self._probe_server = self._server({path: self._probe_route for path in PROBE_PATHS})
        self._threads: list[threading.Thread] = []

    # lifecycle

    def start(self) -> PodIdentityAgent:
        """Serve in background threads; returns self."""
        for server in (self._credential_server, self._probe_server):
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"pod-identity-agent-{self.cluster_name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop both servers and close their sockets."""
        for server in (self._credential_server, self._probe_server):
            server.shutdown()
            server.server_close()
        self._threads.clear()

    def __enter__(self) -> PodIdentityAgent:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # where it listens

    @property
    def port(self) -> int:
        """The credential server's loopback port (stands for port 80 on the link-local addresses)."""
        return int(self._credential_server.server_address[1])

    @property
    def url(self) -> str:
        """The credential endpoint on loopback (a direct call here fails the Host check, as on a node)."""
        return f"http://127.0.0.1:{self.port}{CREDENTIALS_PATH}"

    @property
    def probe_url(self) -> str:
        """The probe server's base URL (stands for ``localhost:2703``)."""
        return f"http://127.0.0.1:{self._probe_server.server_address[1]}"

    def address_map(self) -> dict[tuple[str, int], tuple[str, int]]:
        """The netguard address map that sends a pod's ``169.254.170.23:80`` / ``[fd00:ec2::23]:80`` here."""
        return {(AGENT_IPV4, AGENT_PORT): ("127.0.0.1", self.port),
                (AGENT_IPV6, AGENT_PORT): ("::ffff:127.0.0.1", self.port)}

    # behaviour

    def credentials(self, authorization: str, host: str = AGENT_IPV4) -> PodIdentityCredentials:
        """What ``/v1/credentials`` does, without HTTP: validate, then cache or EKS Auth; raises `AgentRefusal`."""
        check_target_host(host)
        check_token(authorization, self.clock.now())
        if self._cache is None:
            return self._call_eks_auth(authorization)
        return self._cache.get(authorization)

    def sweep(self) -> None:
        """Run the cache janitor once at the lab clock's time (call it whenever the lab clock advances)."""
        if self._cache is not None:
            self._cache.sweep()

    def cached_tokens(self) -> list[str]:
        """Tokens with an entry in the cache, oldest first."""
        return [] if self._cache is None else self._cache.tokens()

    def cache_times(self, token: str) -> tuple[datetime, datetime] | None:
        """(refresh after, hard expiry) of a cached token, or None."""
        return None if self._cache is None else self._cache.entry_times(token)

    def _call_eks_auth(self, token: str) -> PodIdentityCredentials:
        self.metrics["eks_auth_calls"] += 1
        return assume_role_for_pod_identity(self._eks_auth, self.cluster_name, token)

    def _credentials_route(self, request: _Request) -> _Response:
        try:
            credentials = self.credentials(request.authorization, request.host)
        except AgentRefusal as refusal:
            return _Response.error(refusal.status, refusal.message)
        rendered = dataclasses.replace(credentials, expiration=self._render_time(credentials.expiration))
        return _Response(HTTPStatus.OK, rendered.to_json(), "application/json")

    def _probe_route(self, request: _Request) -> _Response:
        """/healthz and /readyz: GET the credential server's root, which must answer 404."""
        deadline = time.monotonic() + self.config.probe_timeout
        host, port = self._credential_server.server_address[:2]
        connection = http.client.HTTPConnection(str(host), int(port), timeout=self.config.probe_timeout)
        try:
            connection.request("GET", "/")
            status = connection.getresponse().status
        except TimeoutError:
            return _Response(HTTPStatus.REQUEST_TIMEOUT, b"", None)
        except OSError:
            return _Response(HTTPStatus.INTERNAL_SERVER_ERROR, b"Internal Server Error occurred", None)
        finally:
            connection.close()
        if time.monotonic() > deadline:
            return _Response(HTTPStatus.REQUEST_TIMEOUT, b"", None)
        if status != HTTPStatus.NOT_FOUND:
            return _Response(HTTPStatus.INTERNAL_SERVER_ERROR, b"Internal Server Error occurred", None)
        return _Response(HTTPStatus.OK, b"", None)

    def _server(self, routes: dict[str, Callable[[_Request], _Response]]) -> ThreadingHTTPServer:
        burst = int(self.config.requests_per_second / 2)
        limited = {path: (route, TokenBucket(self.config.requests_per_second, burst, self._rate_clock))
                   for path, route in routes.items()}
        server = ThreadingHTTPServer(("127.0.0.1", 0), _AgentHandler)
        server.daemon_threads = True
        server.routes = limited  # type: ignore[attr-defined]
        server.agent = self  # type: ignore[attr-defined]
        return server

    def _record(self, request: _Request, status: int) -> None:
        self.metrics[f"http_response:{status}"] += 1
        self.requests.append(AgentRequest(request.method, request.path, request.host, request.authorization, status))

    def __repr__(self) -> str:
        return f"<PodIdentityAgent cluster={self.cluster_name} on 127.0.0.1:{self.port}>"


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    host: str
    authorization: str


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    content_type: str | None

    @classmethod
    def error(cls, status: int, message: str) -> _Response:
        """Go's ``http.Error``: plain text with a trailing newline."""
        return cls(status, (message + "\n").encode(), "text/plain; charset=utf-8")


class _AgentHandler(BaseHTTPRequestHandler):
    """Routes any HTTP method by exact path, each route behind its own rate limiter (429 when over)."""

    protocol_version = "HTTP/1.1"
    wbufsize = -1  # headers and body leave in one write (no Nagle / delayed-ACK stalls on keep-alive)
    disable_nagle_algorithm = True
    server_version = ""
    sys_version = ""

    def __getattr__(self, name: str) -> Callable[[], None]:
        if name.startswith("do_"):  # the agent accepts every method on its routes
            return self._dispatch
        raise AttributeError(name)

    def _dispatch(self) -> None:
        self._drain_body()
        request = _Request(self.command, self.path.split("?", 1)[0], self.headers.get("Host", ""),
                           self.headers.get("Authorization", ""))
        response = self._answer(request)
        self.server.agent._record(request, response.status)  # type: ignore[attr-defined]
        self._send(response)

    def _answer(self, request: _Request) -> _Response:
        route = self.server.routes.get(request.path)  # type: ignore[attr-defined]
        if route is None:
            return _Response.error(HTTPStatus.NOT_FOUND, "404 page not found")
        handler, limiter = route
        if not limiter.allow():
            return _Response.error(HTTPStatus.TOO_MANY_REQUESTS, "Too Many Requests")
        return handler(request)

    def _drain_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def _send(self, response: _Response) -> None:
        self.send_response_only(response.status)
        self.send_header("Date", self.date_time_string())
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        if response.content_type and response.content_type.startswith("text/plain"):
            self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        """Quiet: requests are recorded in `PodIdentityAgent.requests` instead."""
