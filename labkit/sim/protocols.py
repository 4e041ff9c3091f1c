"""The wire protocols of the services the lab covers: which operation a request is, and how errors look.

Operations are recognised from botocore's own service models (the same models the SDK uses to build the
request), so the table of routes is never written by hand.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote
from xml.sax.saxutils import escape

from labkit.errors import AwsError
from labkit.sim.aws_errors import JSON, QUERY, REST_JSON, REST_XML

SERVICE_PROTOCOL = {
    "sts": QUERY, "iam": QUERY, "sns": QUERY,
    "dynamodb": JSON, "ssm": JSON, "secretsmanager": JSON, "kinesis": JSON,
    "eks": REST_JSON, "eks-auth": REST_JSON,
    "s3": REST_XML,
}
_QUERY_NAMESPACE = {
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
}
_JSON_CONTENT_TYPE = {"dynamodb": "application/x-amz-json-1.0"}


@dataclass(frozen=True)
class Call:
    """One API call as the gateway understands it: service, operation and its input parameters."""

    service: str
    operation: str | None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def protocol(self) -> str:
        """The service's wire protocol."""
        return SERVICE_PROTOCOL.get(self.service, QUERY)


@dataclass(frozen=True)
class _Route:
    operation: str
    method: str
    pattern: re.Pattern[str]
    required_query: tuple[tuple[str, str | None], ...]
    weight: tuple[int, int]


def parse_call(service: str, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Call:
    """Recognise the operation of a request to `service` and collect its parameters."""
    protocol = SERVICE_PROTOCOL.get(service)
    if protocol == QUERY:
        params = dict(parse_qsl(query, keep_blank_values=True))
        if body and "x-www-form-urlencoded" in headers.get("content-type", ""):
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return Call(service, params.get("Action"), params)
    if protocol == JSON:
        target = headers.get("x-amz-target", "")
        return Call(service, target.rpartition(".")[2] or None, _json_body(body))
    if protocol in (REST_JSON, REST_XML):
        return _rest_call(service, method, path, query, body if protocol == REST_JSON else b"")
    return Call(service, None, {})


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _rest_call(service: str, method: str, path: str, query: str, body: bytes) -> Call:
    query_params = dict(parse_qsl(query, keep_blank_values=True))
    for route in _routes(service):
        if route.method != method:
            continue
        match = route.pattern.match(path)
        if match and all(k in query_params and (v is None or query_params[k] == v) for k, v in route.required_query):
            params = {**query_params, **_json_body(body), **_unquote_labels(match.groupdict())}
            return Call(service, route.operation, params)
    return Call(service, None, query_params)


def _unquote_labels(labels: Mapping[str, str]) -> dict[str, str]:
    return {name: unquote(value) for name, value in labels.items()}


@functools.cache
def _routes(service: str) -> tuple[_Route, ...]:
    """Every operation of a rest service as a route, most specific first."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    routes = [_route(name, model.operation_model(name).http) for name in model.operation_names]
    return tuple(sorted(routes, key=lambda r: r.weight, reverse=True))


def _route(operation: str, http: Mapping[str, Any]) -> _Route:
    uri, _, query = http["requestUri"].partition("?")
    pattern = ""
    literal = 0
    for piece in re.split(r"(\{[^}]+\})", uri):
        if piece.startswith("{"):
            name = piece.strip("{}")
            greedy = name.endswith("+")
            pattern += f"(?P<{name.rstrip('+')}>{'.+' if greedy else '[^/]+'})"
        else:
            pattern += re.escape(piece)
            literal += len(piece)
    if uri.endswith("/") and uri != "/":
        pattern += "?"  # botocore drops an empty trailing label's slash in some clients
    required = tuple((k, v or None) for k, _, v in (p.partition("=") for p in query.split("&") if p))
    return _Route(operation, http["method"], re.compile(f"^{pattern}/?$"), required, (len(required), literal))


def error_response(call: Call, error: AwsError, request_id: str) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body with which `call.service` answers `error`."""
    protocol = call.protocol
    headers = {"x-amzn-RequestId": request_id}
    if protocol == QUERY:
        namespace = _QUERY_NAMESPACE.get(call.service, "")
        kind = "Sender" if error.sender_fault else "Receiver"
        body = (f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type><Code>{error.code}</Code>'
                f"<Message>{escape(error.message)}</Message></Error><RequestId>{request_id}</RequestId>"
                "</ErrorResponse>")
        return error.status, {**headers, "Content-Type": "text/xml"}, body.encode()
    if protocol == REST_XML:
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{error.code}</Code>'
                f"<Message>{escape(error.message)}</Message><RequestId>{request_id}</RequestId>"
                f"<HostId>{request_id}</HostId></Error>")
        return error.status, {**headers, "Content-Type": "application/xml"}, body.encode()
    if protocol == JSON:
        content_type = _JSON_CONTENT_TYPE.get(call.service, "application/x-amz-json-1.1")
        body = json.dumps({"__type": f"com.amazon.coral.service#{error.code}", "message": error.message})
        return error.status, {**headers, "Content-Type": content_type}, body.encode()
    body = json.dumps({"message": error.message})
    headers.update({"Content-Type": "application/json", "x-amzn-ErrorType": error.code})
    return error.status, headers, body.encode()


def query_response(call: Call, result_xml: str, request_id: str) -> tuple[int, dict[str, str], bytes]:
    """A successful query-protocol answer wrapping `result_xml` (the body of `<OpResult>`)."""
    op = call.operation
    namespace = _QUERY_NAMESPACE.get(call.service, "")
    body = (f'<{op}Response xmlns="{namespace}"><{op}Result>{result_xml}</{op}Result>'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{op}Response>")
    return 200, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body.encode()


def json_response(payload: Mapping[str, Any], request_id: str, status: int = 200) -> tuple[int, dict[str, str], bytes]:
    """A successful rest-json answer."""
    headers = {"Content-Type": "application/json", "x-amzn-RequestId": request_id}
    return status, headers, json.dumps(payload, default=str).encode()
