"""The lab's single loopback endpoint: a WSGI gateway in front of moto's server application.

Per request: serve an issuer document (unsigned GET) -> authenticate (SigV4 against the lab's credentials) ->
recognise the operation -> authorize (labkit.policy) -> IAM checks moto skips -> labkit's own handlers (STS,
EKS Pod Identity, add-ons, EKS Auth) or moto, told which account the caller is in.
"""

from __future__ import annotations

import io
import json
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from labkit.errors import AwsError
from labkit.sim.auth import Authenticator, HttpRequest, Principal
from labkit.sim.authorize import Authorizer
from labkit.sim.aws_errors import auth_error
from labkit.sim.eks import Eks
from labkit.sim.eks_auth import EksAuth
from labkit.sim.iam import IamChecks, parse_document
from labkit.sim.ids import UPPER_ALNUM, IdSource
from labkit.sim.issuer import IssuerRegistry
from labkit.sim.operations import accesses, s3_bucket_owner
from labkit.sim.protocols import Call, error_response, json_response, parse_call, query_response
from labkit.sim.sts import Sts

Response = tuple[int, dict[str, str], bytes]
StartResponse = Callable[..., Any]
_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 500: "Internal Server Error"}
# Operations whose handler makes the whole authorization decision itself (identity + trust together).
_SELF_AUTHORIZING = {("sts", "AssumeRole")}
_UNSIGNED_ACTIONS = {"AssumeRoleWithWebIdentity"}


@dataclass(frozen=True)
class Exchange:
    """One authenticated call on its way through the gateway."""

    call: Call
    principal: Principal
    region: str
    request_id: str
    environ: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)


class Gateway:
    """The WSGI application the lab serves."""

    def __init__(self, *, moto_app: Callable[..., Iterable[bytes]], authenticator: Authenticator,
                 authorizer: Authorizer, iam_checks: IamChecks, sts: Sts, eks: Eks, eks_auth: EksAuth,
                 issuers: IssuerRegistry, ids: IdSource) -> None:
        self.moto_app = moto_app
        self.authenticator = authenticator
        self.authorizer = authorizer
        self.iam_checks = iam_checks
        self.sts = sts
        self.eks = eks
        self.eks_auth = eks_auth
        self.issuers = issuers
        self.ids = ids
        self.handlers: dict[tuple[str, str], Callable[[Exchange], Response]] = {
            ("sts", "GetCallerIdentity"): self._get_caller_identity,
            ("sts", "AssumeRole"): self._assume_role,
            ("eks", "CreatePodIdentityAssociation"): self._eks(Eks.create_association),
            ("eks", "DescribePodIdentityAssociation"): self._eks(Eks.describe_association),
            ("eks", "ListPodIdentityAssociations"): self._eks(Eks.list_associations),
            ("eks", "UpdatePodIdentityAssociation"): self._eks(Eks.update_association),
            ("eks", "DeletePodIdentityAssociation"): self._eks(Eks.delete_association),
            ("eks", "CreateAddon"): self._eks(Eks.create_addon),
            ("eks", "DescribeAddon"): self._eks(Eks.describe_addon),
            ("eks", "ListAddons"): self._eks(Eks.list_addons),
            ("eks", "DeleteAddon"): self._eks(Eks.delete_addon),
            ("iam", "CreateRole"): self._create_role,
            ("eks", "CreateCluster"): self._create_cluster,
            ("eks", "DeleteCluster"): self._delete_cluster,
            ("eks-auth", "AssumeRoleForPodIdentity"): self._assume_role_for_pod_identity,
        }

    # -- WSGI ---------------------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = _read_body(environ)
        request = _http_request(environ, body)
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api"):
            return _send(start_response, (404, {"Content-Type": "text/plain"}, b"not served by the lab\n"))
        if request.method == "GET" and "authorization" not in request.headers:
            document = self.issuers.document(request.headers.get("host"), path)
            if document is not None:
                headers = {"Content-Type": "application/json", "Cache-Control": "max-age=3600"}
                return _send(start_response, (200, headers, json.dumps(document).encode()))
        request_id = self.ids.uuid("request-id")
        call = Call("sts", None)
        try:
            signed = self.authenticator.signature(request)
            if signed is None:
                call = _unsigned_call(request)
                return _send(start_response, self._unsigned(call, request_id))
            call = parse_call(signed.service, request.method, path, environ.get("QUERY_STRING", ""),
                              request.headers, body)
            principal = self.authenticator.authenticate(request, signed, call.protocol)
            exchange = Exchange(call, principal, signed.region, request_id, environ)
            self._authorize(exchange)
            if call.service == "iam":
                self.iam_checks.check(call, principal.account_id)
            handler = self.handlers.get((call.service, call.operation or ""))
            if handler is not None:
                return _send(start_response, handler(exchange))
        except AwsError as error:
            return _send(start_response, error_response(call, error, request_id))
        except Exception:  # a lab bug must still answer like a service, and say what broke
            traceback.print_exc()
            failure = AwsError("InternalFailure", "The lab failed to handle this request.", 500, sender_fault=False)
            return _send(start_response, error_response(call, failure, request_id))
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = principal.account_id
        return self.moto_app(environ, start_response)

    def _authorize(self, exchange: Exchange) -> None:
        call, principal = exchange.call, exchange.principal
        if principal.is_admin or (call.service, call.operation) in _SELF_AUTHORIZING:
            return
        checks = accesses(call, account_id=principal.account_id, region=exchange.region)
        resource_policy = _bucket_policy(call.params.get("Bucket")) if call.service == "s3" else None
        self.authorizer.check(principal, call.service, call.protocol, exchange.region, checks, resource_policy)

    def _unsigned(self, call: Call, request_id: str) -> Response:
        if call.service == "sts" and call.operation in _UNSIGNED_ACTIONS:
            return query_response(call, self.sts.assume_role_with_web_identity(call.params), request_id)
        raise auth_error("missing", call.protocol)

    # -- handlers -----------------------------------------------------------------------------------------------
    def _get_caller_identity(self, exchange: Exchange) -> Response:
        return query_response(exchange.call, self.sts.get_caller_identity(exchange.principal), exchange.request_id)

    def _assume_role(self, exchange: Exchange) -> Response:
        result = self.sts.assume_role(exchange.principal, exchange.call.params, exchange.region)
        return query_response(exchange.call, result, exchange.request_id)

    def _eks(self, method: Callable[..., dict[str, Any]]) -> Callable[[Exchange], Response]:
        def handle(exchange: Exchange) -> Response:
            payload = method(self.eks, exchange.principal.account_id, exchange.region, exchange.call.params)
            return json_response(payload, exchange.request_id)

        return handle

    def _assume_role_for_pod_identity(self, exchange: Exchange) -> Response:
        payload = self.eks_auth.assume_role_for_pod_identity(
            exchange.principal.account_id, exchange.region, exchange.call.params)
        return json_response(payload, exchange.request_id)

    def _create_cluster(self, exchange: Exchange) -> Response:
        """moto creates the cluster; the lab gives it its own issuer, in moto's model and in the answer."""
        status, headers, body = self._moto_call(exchange)
        if status == 200:
            answer = json.loads(body)
            cluster = answer["cluster"]
            registered = self.eks.register_cluster(exchange.principal.account_id, exchange.region, cluster["name"])
            _set_moto_issuer(exchange.principal.account_id, exchange.region, cluster["name"], registered.issuer.url)
            cluster["identity"] = {"oidc": {"issuer": registered.issuer.url}}
            body = json.dumps(answer).encode()
        return status, headers, body

    def _create_role(self, exchange: Exchange) -> Response:
        """moto creates the role; its RoleId (seen in aws:userid and AssumedRoleId) is made seed-derived."""
        status, headers, body = self._moto_call(exchange)
        if status == 200:
            name = exchange.call.params.get("RoleName", "")
            role_id = "AROA" + self.ids.fixed("role-id", exchange.principal.account_id, name, length=17,
                                              alphabet=UPPER_ALNUM)
            moto_id = _set_moto_role_id(exchange.principal.account_id, name, role_id)
            body = body.replace(moto_id.encode(), role_id.encode())
        return status, headers, body

    def _delete_cluster(self, exchange: Exchange) -> Response:
        status, headers, body = self._moto_call(exchange)
        if status == 200:
            self.eks.forget_cluster(exchange.principal.account_id, exchange.region, exchange.call.params["name"])
        return status, headers, body

    def _moto_call(self, exchange: Exchange) -> Response:
        """Run the current request through moto and collect its answer (for handlers that amend it)."""
        environ = exchange.environ
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = exchange.principal.account_id
        started: list[Any] = []
        chunks = self.moto_app(environ, lambda status, headers, exc_info=None: started.extend((status, headers)))
        body = b"".join(chunks)
        status, headers = started
        kept = {k: v for k, v in headers if k.lower() != "content-length"}
        return int(status.split()[0]), kept, body


def _set_moto_role_id(account_id: str, name: str, role_id: str) -> str:
    """Give a moto role the lab's id; returns the id moto had drawn."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id]["aws"]
    role = backend.get_role(name)
    drawn, role.id = role.id, role_id
    backend.roles[role_id] = backend.roles.pop(drawn)  # moto keys its roles by id
    return drawn


def _set_moto_issuer(account_id: str, region: str, name: str, issuer: str) -> None:
    from moto.eks.models import eks_backends

    eks_backends[account_id][region].clusters[name].identity = {"oidc": {"issuer": issuer}}


def _bucket_policy(bucket: str | None) -> dict[str, Any] | None:
    """The bucket's policy document, if the bucket exists and has one."""
    owner = s3_bucket_owner(bucket) if bucket else None
    if bucket is None or owner is None:
        return None
    from moto.s3.models import s3_backends

    stored = s3_backends[owner]["aws"].buckets.get(bucket)
    return parse_document(stored.policy.decode()) if stored is not None and stored.policy else None


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back so moto can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _http_request(environ: Mapping[str, Any], body: bytes) -> HttpRequest:
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
               if key.startswith("HTTP_") and isinstance(value, str)}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    query = environ.get("QUERY_STRING", "")
    if "?" not in raw and query:
        raw = f"{raw}?{query}"
    url = f"http://{headers.get('host', 'localhost')}{raw}"
    return HttpRequest(environ.get("REQUEST_METHOD", "GET"), url, headers, body)


def _unsigned_call(request: HttpRequest) -> Call:
    """What an unsigned request asks (only STS's web identity call may be unsigned)."""
    if "x-www-form-urlencoded" in request.headers.get("content-type", "") and request.body:
        params = dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        if params.get("Action") in _UNSIGNED_ACTIONS:
            return Call("sts", params["Action"], params)
    return Call("sts", None) if request.method == "POST" else Call("s3", None)


def _send(start_response: StartResponse, response: Response) -> list[bytes]:
    status, headers, body = response
    headers = {**headers, "Content-Length": str(len(body))}
    start_response(f"{status} {_REASONS.get(status, 'Error')}", list(headers.items()))
    return [body]
