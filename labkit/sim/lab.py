"""`Lab`: the lab's AWS on one loopback endpoint, with accounts, a clock, clusters and admin clients.

    with Lab(seed=0) as lab:
        s3 = lab.client("s3")                     # admin of 111122223333, pointed at lab.endpoint_url
        cluster = lab.create_cluster("demo")      # its own OIDC issuer, served by the lab
        lab.advance(hours=2)                      # the lab clock; tokens and sessions expire on it

Limits worth knowing:
- moto keeps its state in module globals, so a process runs one Lab at a time: starting a Lab resets moto's
  backends, a second concurrent Lab raises LabError, and a Lab starts once. Accounts isolate resources
  within one lab (S3 bucket names stay global, as in AWS).
- Sessions, tokens and keys live on the lab clock. Expirations that a real SDK reads (STS answers) are sent
  as the same remaining lifetime on the host clock (`Lab.host_time`), because botocore refuses credentials
  its own clock calls expired; EKS Auth answers in lab time for the lab's agent.
- Only SigV4 is accepted (lab S3 clients presign with SigV4; AWS too refuses SigV2 for new buckets).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from labkit.errors import LabError
from labkit.sim.accounts import DEFAULT_ACCOUNT_ID, Account, Accounts
from labkit.sim.auth import Authenticator
from labkit.sim.authorize import Authorizer, evaluate
from labkit.sim.aws_errors import AccessDenied
from labkit.sim.clock import LabClock
from labkit.sim.cluster import Cluster
from labkit.sim.eks import ASSOCIATION_QUOTA, Eks
from labkit.sim.eks_auth import EksAuth
from labkit.sim.gateway import Gateway
from labkit.sim.iam import IamChecks, IamQuotas, get_role
from labkit.sim.ids import IdSource
from labkit.sim.issuer import IssuerRegistry
from labkit.sim.sessions import Credentials, SessionTable
from labkit.sim.sts import SessionRequest, Sts, wire_time
from labkit.sim.webidentity import OidcFetcher

HOST = "127.0.0.1"
DEFAULT_REGION = "us-east-1"
EC2_PRINCIPAL = "ec2.amazonaws.com"
INSTANCE_CREDENTIALS_SECONDS = 6 * 3600  # IMDS role credentials last about six hours

_active_lock = threading.Lock()
_active: Lab | None = None


class Lab:
    """AWS on loopback for the course: a gateway over moto that authenticates and authorizes every call."""

    def __init__(self, seed: int = 0, *, account_id: str = DEFAULT_ACCOUNT_ID, clock: LabClock | None = None,
                 trust_policy_limit: int | None = None, oidc_provider_limit: int | None = None,
                 association_delay: float = 2.0, addon_delay: float = 30.0,
                 association_quota: int = ASSOCIATION_QUOTA) -> None:
        self.seed = seed
        self.account_id = account_id
        self.clock = clock or LabClock()
        self.ids = IdSource(seed)
        raised = {"trust_policy": trust_policy_limit, "oidc_providers": oidc_provider_limit}
        self.quotas = IamQuotas(**{name: value for name, value in raised.items() if value is not None})
        self.accounts = Accounts(self.ids)
        self.sessions = SessionTable(self.ids)
        self.issuers = IssuerRegistry()
        self.eks = Eks(self.clock, self.ids, self.issuers, association_delay=association_delay,
                       addon_delay=addon_delay, association_quota=association_quota)
        self._sts: Sts | None = None
        self._server: Any = None
        self._started = False
        self._thread: threading.Thread | None = None
        self._clients: dict[tuple[str, str, str, str], Any] = {}
        self._clusters: dict[tuple[str, str, str], Cluster] = {}

    # -- lifecycle ----------------------------------------------------------------------------------------------
    def start(self) -> Lab:
        """Reset moto, start the gateway on 127.0.0.1 (ephemeral port) in a background thread."""
        global _active
        if self._started:
            raise LabError("a Lab starts once (stopping reset moto's state): create a new Lab")
        with _active_lock:
            if _active is not None:
                raise LabError("a Lab is already running in this process (moto keeps global state): stop it first")
            _active = self
        self._started = True
        try:
            self._start_server()
        except BaseException:
            with _active_lock:
                _active = None
            raise
        self.accounts.get(self.account_id)
        return self

    def _start_server(self) -> None:
        from moto.moto_api._internal import mock_random
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        _reset_moto()
        mock_random.seed(self.seed)  # moto's own ids (role ids, ...) follow the seed too
        self._server = make_server(HOST, 0, _placeholder_app, threaded=True, request_handler=_quiet_handler())
        sts = self._sts = Sts(self.sessions, self.clock, OidcFetcher(HOST, self.port))
        self._server.app = Gateway(
            moto_app=DomainDispatcherApplication(create_backend_app),
            authenticator=Authenticator(self.accounts, self.sessions, self.clock),
            authorizer=Authorizer(self.clock), iam_checks=IamChecks(self.quotas), sts=sts, eks=self.eks,
            eks_auth=EksAuth(self.eks, sts, self.ids), issuers=self.issuers, ids=self.ids,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="labkit-gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the clusters' node servers (IMDS, agents, proxy), the gateway, and reset moto's state."""
        global _active
        for cluster in self._clusters.values():
            if cluster._runtime is not None:
                cluster._runtime.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            _reset_moto()
        self._clients.clear()
        with _active_lock:
            if _active is self:
                _active = None

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- where and when -----------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The gateway's TCP port on 127.0.0.1."""
        if self._server is None:
            raise LabError("the lab is not running: use `with Lab() as lab:` or lab.start()")
        return int(self._server.server_port)

    @property
    def sts(self) -> Sts:
        """The lab's STS (issues every role session)."""
        if self._sts is None:
            raise LabError("the lab is not running: use `with Lab() as lab:` or lab.start()")
        return self._sts

    @property
    def endpoint_url(self) -> str:
        """`http://127.0.0.1:<port>`: the one endpoint of every service in the lab."""
        return f"http://{HOST}:{self.port}"

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move the lab clock forward (`lab.advance(hours=2)`); returns the new lab time."""
        return self.clock.advance(seconds, **delta)

    def host_time(self, moment: datetime) -> datetime:
        """A lab-clock instant as a real SDK must read it: as far from the host's now as it is from lab now.

        botocore refreshes (or refuses) credentials by comparing their expiration with the host clock, so
        whatever hands lab credentials to a real SDK (STS answers, IMDS, the Pod Identity agent) converts.
        """
        return wire_time(self.clock, moment)

    def endpoint_env(self, region: str = DEFAULT_REGION) -> dict[str, str]:
        """The environment variables that point an SDK at the lab (never at real AWS)."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_DEFAULT_REGION": region, "AWS_REGION": region}

    # -- accounts and clients -----------------------------------------------------------------------------------
    def account(self, account_id: str) -> Account:
        """An account of the lab (created with its admin credentials on first use)."""
        return self.accounts.get(account_id)

    def client(self, service: str, account_id: str | None = None, region: str | None = None, *,
               credentials: Credentials | None = None) -> Any:
        """A boto3 client on the lab endpoint: the account's admin, or the given (e.g. session) credentials."""
        creds = credentials or self.account(account_id or self.account_id).admin
        region = region or DEFAULT_REGION
        key = (service, region, creds.access_key_id, creds.session_token or "")
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = _boto_session().client(
                service, region_name=region, endpoint_url=self.endpoint_url, config=_client_config(service),
                **creds.as_boto())
        return client

    # -- clusters -----------------------------------------------------------------------------------------------
    def create_cluster(self, name: str, region: str = DEFAULT_REGION, account_id: str | None = None) -> Cluster:
        """Create an EKS cluster (through the API, as a learner would) with its own OIDC issuer."""
        account_id = account_id or self.account_id
        eks = self.client("eks", account_id, region)
        eks.create_cluster(name=name, roleArn=f"arn:aws:iam::{account_id}:role/{name}-cluster-role",
                           resourcesVpcConfig={"subnetIds": []})
        return self.cluster(name, region, account_id)

    def cluster(self, name: str, region: str = DEFAULT_REGION, account_id: str | None = None) -> Cluster:
        """An existing cluster by name."""
        account_id = account_id or self.account_id
        key = (account_id, region, name)
        if key not in self._clusters:
            self._clusters[key] = Cluster(self, self.eks.cluster(account_id, region, name))
        return self._clusters[key]

    # -- credentials for simulated machines ---------------------------------------------------------------------
    def instance_credentials(self, role_arn: str, instance_id: str, *,
                             duration: int = INSTANCE_CREDENTIALS_SECONDS) -> Credentials:
        """The credentials EC2 gives an instance (what IMDS serves): a session of its instance profile role.

        The role's trust policy must let ec2.amazonaws.com perform sts:AssumeRole, as in AWS; the session is
        `arn:aws:sts::<acct>:assumed-role/<role>/<instance_id>`.
        """
        role = get_role(role_arn)
        request = {"action": "sts:AssumeRole", "resource": role_arn, "context": {},
                   "principal": {"type": "Service", "id": EC2_PRINCIPAL},
                   "resource_account": role.account_id if role else None}
        if role is None or evaluate(request, resource_policy=role.trust_policy).effect != "Allow":
            raise AccessDenied(f"{EC2_PRINCIPAL} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
        session = self.sts.issue(SessionRequest(role=role, session_name=instance_id, duration=duration,
                                                issued_by="ec2:instance-profile", tags={}))
        return session.credentials

    def __repr__(self) -> str:
        where = self.endpoint_url if self._server is not None else "stopped"
        return f"<Lab seed={self.seed} {where} clock={self.clock.now().isoformat()}>"


def _reset_moto() -> None:
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


def _boto_session() -> Any:
    import boto3

    return boto3.session.Session()


def _client_config(service: str) -> Any:
    """SigV4 everywhere: S3 clients would otherwise presign URLs with the legacy SigV2, which the lab refuses."""
    from botocore.config import Config

    return Config(signature_version="s3v4") if service == "s3" else None


def _placeholder_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [])
    return [b""]


def _quiet_handler() -> type:
    """moto's request handler (keeps S3 metadata headers) without a log line per request."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietHandler(MotoRequestHandler):
        def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - werkzeug's signature
            pass

    return QuietHandler


