"""A corporate forward proxy on loopback, for pods whose environment names one (HTTP_PROXY, HTTPS_PROXY).

A pod with ``HTTP_PROXY=http://proxy.corp.example:3128`` gets that name mapped here. The proxy forwards
requests whose target is loopback (the lab's AWS endpoint) and answers 502 for everything else: above all for
link-local targets (169.254.169.254, 169.254.170.23), which live on the pod's own node and which a proxy
somewhere else in the network can never reach. That is why the Pod Identity agent's address belongs in
``NO_PROXY`` for every client that honours the proxy variables.

Which clients honour them matters. botocore (1.44) sends AWS API calls and IMDS requests through the proxy
(``get_environ_proxies``, which respects ``NO_PROXY``), but its container-credentials fetcher builds its HTTP
session without proxies, so boto3's Pod Identity path is not affected. Clients that do honour the variables
for the agent call (the AWS SDK for Go v2 through ``http.ProxyFromEnvironment``, ``curl``, Python's urllib)
fail through the proxy. CONNECT (HTTPS tunnels) is refused with 403: the lab has no TLS endpoint.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from labkit.netguard import is_loopback

__all__ = ["CorporateProxy", "ProxiedRequest"]

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
                        "transfer-encoding", "upgrade"})


@dataclass(frozen=True)
class ProxiedRequest:
    """One request the proxy saw, and its answer."""

    method: str
    target: str
    status: int


class CorporateProxy:
    """A forward HTTP proxy on 127.0.0.1 that can reach the lab endpoint and nothing else."""

    def __init__(self) -> None:
        self.requests: list[ProxiedRequest] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    def start(self) -> CorporateProxy:
        """Serve in a background thread; returns self."""
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="corporate-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        """The loopback port that stands in for the proxy's host:port."""
        return int(self._server.server_address[1])

    def __repr__(self) -> str:
        return f"<CorporateProxy 127.0.0.1:{self.port} requests={len(self.requests)}>"


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "squid/6.10"
    sys_version = ""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._forward
        raise AttributeError(name)

    def do_CONNECT(self) -> None:  # noqa: N802 - the stdlib's naming
        self._refuse(HTTPStatus.FORBIDDEN, "CONNECT is not allowed by the lab's proxy (no TLS endpoints offline)")

    def _forward(self) -> None:
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if target.scheme != "http" or not target.hostname or not is_loopback(target.hostname):
            self._refuse(HTTPStatus.BAD_GATEWAY, f"The proxy could not connect to {target.hostname or self.path}")
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Via"] = "1.1 proxy.corp.example (squid/6.10)"
        connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            connection.request(self.command, path or "/", body=body or None, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
        except OSError as error:
            self._refuse(HTTPStatus.BAD_GATEWAY, f"The proxy could not connect to {target.netloc}: {error}")
            return
        finally:
            connection.close()
        self._record(answer.status)
        self.send_response_only(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _refuse(self, status: HTTPStatus, message: str) -> None:
        self._record(int(status))
        body = f"<html><body><h1>{int(status)} {status.phrase}</h1><p>{message}</p></body></html>\n".encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self, status: int) -> None:
        self.server.proxy.requests.append(ProxiedRequest(self.command, self.path, status))  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        """Quiet: requests are kept in `CorporateProxy.requests`."""
