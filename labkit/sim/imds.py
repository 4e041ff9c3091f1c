"""The EC2 instance metadata service (IMDS) of one lab node, as a real HTTP server on loopback.

What matters for workload identity is the node role: any process that reaches ``169.254.169.254`` can read the
instance profile's credentials, unless the instance is hardened. Two instance settings decide it:

* ``HttpTokens``: ``optional`` accepts IMDSv1 (plain GET) and IMDSv2 (GET with a session token from
  ``PUT /latest/api/token``); ``required`` answers 401 to any GET without a valid token.
* ``HttpPutResponseHopLimit``: the IP TTL of the *PUT token response*. A non-hostNetwork pod is one hop further
  than the node (the veth/bridge decrements the TTL), so with the limit at 1 the token response never reaches
  the pod and its SDK times out. botocore's ``IMDSFetcher`` then goes on *without a token*: with ``optional`` the
  IMDSv1 GETs still succeed (pods get the node role), with ``required`` they get 401 (pods get nothing). That
  is why hardening needs both settings. GET responses are not hop-limited, as on EC2.

How the lab wires it
--------------------
One `InstanceMetadataService` per node, with one loopback listener per hop distance (1 = host network,
2 = a pod behind the node's bridge). The lab gives a process the netguard address map of its distance,
``netguard.child_environment(env, address_map=imds.address_map(hops=2))``, so the SDK's connection to
``169.254.169.254:80`` (or ``[fd00:ec2::254]:80``) lands on the listener that knows how far away the caller is.
A token response that would not survive the hop limit is never written: the server holds the connection for
``drop_hold`` seconds (longer than botocore's 1 s metadata timeout) and closes it, so the client times out as
it would on EC2.

Credentials come from an injected callable returning STS-style ``Credentials`` (``AccessKeyId``,
``SecretAccessKey``, ``SessionToken``, ``Expiration``): the lab passes one that assumes the node role with the
instance id as session name, as EC2 does. They are re-fetched when fewer than ``refresh_before`` remain on the
lab clock; session-token TTLs also run on the lab clock.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from botocore.exceptions import ClientError

from labkit.sim.clock import LabClock

__all__ = ["IMDS_IPV4", "IMDS_IPV6", "ImdsRequest", "InstanceIdentity", "InstanceMetadataService", "MetadataOptions"]

IMDS_IPV4 = "169.254.169.254"
IMDS_IPV6 = "fd00:ec2::254"
IMDS_PORT = 80
TOKEN_PATH = "/latest/api/token"
TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
MAX_TOKEN_TTL = 21600
CREDENTIALS_DIR = "meta-data/iam/security-credentials/"
_ERROR_PAGE = (
    '<?xml version="1.0" encoding="iso-8859-1"?>\n'
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
    '\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
    " <head>\n  <title>{status} - {reason}</title>\n </head>\n"
    " <body>\n  <h1>{status} - {reason}</h1>\n </body>\n</html>\n"
)

CredentialSource = Callable[[], Mapping[str, Any]]


@dataclass(frozen=True)
class MetadataOptions:
    """The instance's metadata options, named as in EC2's ``ModifyInstanceMetadataOptions`` (EC2 defaults)."""

    http_tokens: Literal["optional", "required"] = "optional"
    http_put_response_hop_limit: int = 1

    def __post_init__(self) -> None:
        if self.http_tokens not in ("optional", "required"):
            raise ValueError(f"HttpTokens must be 'optional' or 'required', not {self.http_tokens!r}")
        if not 1 <= self.http_put_response_hop_limit <= 64:
            raise ValueError("HttpPutResponseHopLimit must be between 1 and 64")


@dataclass(frozen=True)
class InstanceIdentity:
    """What the instance metadata says about the node itself."""

    instance_id: str
    account_id: str
    region: str
    availability_zone: str = ""
    instance_type: str = "m5.large"
    image_id: str = "ami-0123456789abcdef0"
    private_ip: str = "10.0.1.10"
    launched: datetime = field(default=datetime(2026, 1, 15, 8, 0, tzinfo=timezone.utc))

    @property
    def zone(self) -> str:
        """The availability zone (``<region>a`` unless given)."""
        return self.availability_zone or f"{self.region}a"

    def document(self) -> dict[str, Any]:
        """The instance identity document (``/latest/dynamic/instance-identity/document``)."""
        return {
            "accountId": self.account_id, "architecture": "x86_64", "availabilityZone": self.zone,
            "billingProducts": None, "devpayProductCodes": None, "marketplaceProductCodes": None,
            "imageId": self.image_id, "instanceId": self.instance_id, "instanceType": self.instance_type,
            "kernelId": None, "pendingTime": _imds_time(self.launched), "privateIp": self.private_ip,
            "ramdiskId": None, "region": self.region, "version": "2017-09-30",
        }


@dataclass(frozen=True)
class ImdsRequest:
    """One request the service saw; ``status`` is None when the response was dropped by the hop limit."""

    hops: int
    method: str
    path: str
    status: int | None


@dataclass(frozen=True)
class _Answer:
    status: int
    body: str = ""
    content_type: str = "text/plain"
    headers: tuple[tuple[str, str], ...] = ()


class InstanceMetadataService:
    """IMDS for one node: IMDSv1/v2, the node role's credentials, hop-limit semantics per listener."""

    def __init__(
        self,
        identity: InstanceIdentity,
        clock: LabClock,
        *,
        role_name: str | None,
        credentials: CredentialSource | None = None,
        options: MetadataOptions = MetadataOptions(),
        hop_distances: tuple[int, ...] = (1, 2),
        drop_hold: float = 2.0,
        refresh_before: timedelta = timedelta(minutes=15),
        rng: random.Random | None = None,
        render_time: Callable[[datetime], datetime] | None = None,
    ) -> None:
        if role_name is not None and credentials is None:
            raise ValueError("an instance profile role needs a credentials source")
        self.identity, self.clock, self.role_name, self.options = identity, clock, role_name, options
        self.requests: list[ImdsRequest] = []
        self._credential_source, self._drop_hold, self._refresh_before = credentials, drop_hold, refresh_before
        self._rng = rng or random.Random(identity.instance_id)
        # How an expiration is written for the SDK; the lab passes wire time (real now + lab time left).
        self._render_time = render_time or (lambda moment: moment)
        self._tokens: dict[str, datetime] = {}
        self._cached: tuple[Mapping[str, Any], datetime] | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listeners = {hops: self._listener(hops) for hops in hop_distances}
        self._threads: list[threading.Thread] = []

    # lifecycle

    def start(self) -> InstanceMetadataService:
        """Serve every listener in a background thread; returns self."""
        self._stopping.clear()
        for server in self._listeners.values():
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"imds-{self.identity.instance_id}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop the listeners (and release connections held for dropped token responses)."""
        self._stopping.set()
        for server in self._listeners.values():
            server.shutdown()
            server.server_close()
        self._threads.clear()

    def __enter__(self) -> InstanceMetadataService:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def set_options(self, options: MetadataOptions) -> None:
        """Change the metadata options at run time, as ``ec2 modify-instance-metadata-options`` does."""
        self.options = options

    # where it listens

    def port(self, hops: int) -> int:
        """The loopback port of the listener for callers ``hops`` hops away."""
        return int(self._listeners[hops].server_address[1])

    def url(self, hops: int) -> str:
        """Base URL for a caller ``hops`` hops away (what ``http://169.254.169.254/`` means to it)."""
        return f"http://127.0.0.1:{self.port(hops)}/"

    def address_map(self, hops: int) -> dict[tuple[str, int], tuple[str, int]]:
        """The netguard address map that sends a caller's ``169.254.169.254:80`` to its listener."""
        port = self.port(hops)
        return {(IMDS_IPV4, IMDS_PORT): ("127.0.0.1", port), (IMDS_IPV6, IMDS_PORT): ("::ffff:127.0.0.1", port)}

    # behaviour

    def answer(self, method: str, path: str, headers: Mapping[str, str], hops: int) -> _Answer | None:
        """The response to one request from ``hops`` away; None when the response is dropped (hop limit)."""
        if path == TOKEN_PATH:
            return self._token_answer(method, headers, hops)
        if method not in ("GET", "HEAD"):
            return _page(HTTPStatus.METHOD_NOT_ALLOWED)
        token = _header(headers, TOKEN_HEADER)
        if token is not None and not self._valid_token(token):
            return _page(HTTPStatus.UNAUTHORIZED)
        if token is None and self.options.http_tokens == "required":
            return _page(HTTPStatus.UNAUTHORIZED)
        return self._metadata(path)

    def _token_answer(self, method: str, headers: Mapping[str, str], hops: int) -> _Answer | None:
        if method != "PUT":
            return _page(HTTPStatus.METHOD_NOT_ALLOWED)
        if _header(headers, "X-Forwarded-For") is not None:
            return _page(HTTPStatus.FORBIDDEN)  # IMDSv2 refuses tokens to requests that went through a proxy
        ttl = _token_ttl(_header(headers, TOKEN_TTL_HEADER))
        if ttl is None:
            return _page(HTTPStatus.BAD_REQUEST)
        if hops > self.options.http_put_response_hop_limit:
            return None  # the response's TTL runs out on the way: the caller never sees it
        token = "".join(self._rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
                        for _ in range(56)) + "=="
        with self._lock:
            self._tokens[token] = self.clock.now() + timedelta(seconds=ttl)
        return _Answer(HTTPStatus.OK, token, headers=((TOKEN_TTL_HEADER, str(ttl)),))

    def _valid_token(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and self.clock.now() < expiry

    def _metadata(self, path: str) -> _Answer:
        """A metadata document or directory listing under ``/latest/``."""
        if not path.startswith("/latest/"):
            return _page(HTTPStatus.NOT_FOUND)
        relative = path[len("/latest/") :]
        if relative.startswith(CREDENTIALS_DIR) and relative != CREDENTIALS_DIR and self.role_name is not None:
            return self._credentials_answer(relative[len(CREDENTIALS_DIR) :].rstrip("/"))
        node = self._tree()
        for part in [p for p in relative.split("/") if p]:
            if not isinstance(node, dict) or part not in node:
                return _page(HTTPStatus.NOT_FOUND)
            node = node[part]
        if isinstance(node, dict):
            return _Answer(HTTPStatus.OK, "\n".join(key + ("/" if isinstance(value, dict) else "")
                                                    for key, value in node.items()))
        return _Answer(HTTPStatus.OK, node() if callable(node) else node)

    def _tree(self) -> dict[str, Any]:
        """The metadata this node serves (a small, relevant subset of EC2's)."""
        identity = self.identity
        meta: dict[str, Any] = {
            "ami-id": identity.image_id, "instance-id": identity.instance_id,
            "instance-type": identity.instance_type, "local-ipv4": identity.private_ip,
            "placement": {"availability-zone": identity.zone, "region": identity.region},
        }
        if self.role_name is not None:
            meta["iam"] = {"info": self._iam_info, "security-credentials": {self.role_name: ""}}
        document = json.dumps(identity.document(), indent=2, separators=(",", " : "))
        return {"meta-data": meta, "dynamic": {"instance-identity": {"document": document}}}

    def _iam_info(self) -> str:
        arn = f"arn:aws:iam::{self.identity.account_id}:instance-profile/{self.role_name}"
        profile_id = "AIPA" + self.identity.instance_id[2:].upper()
        return _imds_json({"Code": "Success", "LastUpdated": _imds_time(self.clock.now()),
                           "InstanceProfileArn": arn, "InstanceProfileId": profile_id})

    def _credentials_answer(self, role: str) -> _Answer:
        """The instance profile's credentials, in IMDS's JSON; 404 for any other role name."""
        if role != self.role_name:
            return _page(HTTPStatus.NOT_FOUND)
        try:
            credentials, fetched = self._current_credentials()
        except ClientError as error:  # e.g. the role no longer trusts ec2.amazonaws.com
            return _Answer(HTTPStatus.OK, _imds_json({
                "Code": "AssumeRoleUnauthorizedAccess", "Message": error.response["Error"].get("Message", ""),
                "LastUpdated": _imds_time(self.clock.now())}))
        return _Answer(HTTPStatus.OK, _imds_json({
            "Code": "Success", "LastUpdated": _imds_time(fetched), "Type": "AWS-HMAC",
            "AccessKeyId": credentials["AccessKeyId"], "SecretAccessKey": credentials["SecretAccessKey"],
            "Token": credentials["SessionToken"], "Expiration": _imds_time(self._render_time(_utc(credentials["Expiration"]))),
        }))

    def _current_credentials(self) -> tuple[Mapping[str, Any], datetime]:
        """Cached node-role credentials, re-fetched when fewer than ``refresh_before`` remain."""
        with self._lock:
            cached = self._cached
        now = self.clock.now()
        if cached is None or _utc(cached[0]["Expiration"]) - now < self._refresh_before:
            assert self._credential_source is not None
            cached = (self._credential_source(), now)
            with self._lock:
                self._cached = cached
        return cached

    def _listener(self, hops: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _ImdsHandler)
        server.daemon_threads = True
        server.imds = self  # type: ignore[attr-defined]
        server.hops = hops  # type: ignore[attr-defined]
        return server

    def _hold_dropped(self) -> None:
        """Keep a dropped token request's connection open without answering, as a lost packet would."""
        self._stopping.wait(self._drop_hold)

    def __repr__(self) -> str:
        options = self.options
        return (f"<InstanceMetadataService {self.identity.instance_id} HttpTokens={options.http_tokens} "
                f"HopLimit={options.http_put_response_hop_limit}>")


class _ImdsHandler(BaseHTTPRequestHandler):
    """Turns HTTP requests into `InstanceMetadataService.answer` calls for this listener's hop distance."""

    protocol_version = "HTTP/1.1"
    wbufsize = -1
    disable_nagle_algorithm = True
    server_version = "EC2ws"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
        self._serve()

    def do_PUT(self) -> None:  # noqa: N802
        self._serve()

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        imds: InstanceMetadataService = self.server.imds  # type: ignore[attr-defined]
        hops: int = self.server.hops  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        answer = imds.answer(self.command, path, dict(self.headers.items()), hops)
        imds.requests.append(ImdsRequest(hops, self.command, path, None if answer is None else int(answer.status)))
        if answer is None:
            self.close_connection = True
            imds._hold_dropped()
            return
        self._send(answer)

    def _send(self, answer: _Answer) -> None:
        body = answer.body.encode()
        self.send_response_only(answer.status)
        self.send_header("Date", self.date_time_string())
        self.send_header("Server", "EC2ws")
        self.send_header("Content-Type", answer.content_type)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        """Quiet: requests are recorded in `InstanceMetadataService.requests`."""


def _page(status: HTTPStatus) -> _Answer:
    """IMDS's HTML error page for a status."""
    return _Answer(status, _ERROR_PAGE.format(status=int(status), reason=status.phrase), "text/html")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header value by case-insensitive name."""
    lowered = name.lower()
    return next((value for key, value in headers.items() if key.lower() == lowered), None)


def _token_ttl(text: str | None) -> int | None:
    """The requested token TTL if it is an integer in [1, 21600]."""
    if text is None or not text.strip().isdigit():
        return None
    ttl = int(text.strip())
    return ttl if 1 <= ttl <= MAX_TOKEN_TTL else None


def _imds_json(document: Mapping[str, Any]) -> str:
    """IMDS's JSON style: two-space indent and `` : `` separators."""
    return json.dumps(document, indent=2, separators=(",", " : "))


def _imds_time(moment: datetime) -> str:
    """IMDS's timestamp format, which botocore parses with ``%Y-%m-%dT%H:%M:%SZ``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(value: datetime | str | float) -> datetime:
    """An STS expiration (datetime from boto3, ISO text or epoch seconds) in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
