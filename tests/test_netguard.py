"""The offline guard: loopback works, everything else fails loudly, in this process and in children."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import nbformat
import pytest

from labkit import netguard

ROOT = Path(__file__).resolve().parent.parent


def _clean_child_env(tmp_path: Path) -> dict[str, str]:
    """An environment for a child that does not inherit this run's guard log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABKIT_")}
    env["PYTHONPATH"] = ""
    env["HOME"] = str(tmp_path)
    return env


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("::ffff:127.0.0.1", True), ("169.254.169.254", False), ("10.0.0.1", False), ("sts.amazonaws.com", False)],
)
def test_loopback_detection(host: str, expected: bool):
    assert netguard.is_loopback(host) is expected


def test_address_map_round_trips():
    mapping = {("169.254.170.23", 80): ("127.0.0.1", 5123), ("fd00:ec2::23", 80): ("::1", 5124)}
    text = netguard.format_address_map(mapping)
    assert text == "169.254.170.23:80=127.0.0.1:5123;[fd00:ec2::23]:80=[::1]:5124"
    assert netguard.parse_address_map(text) == mapping


def test_guard_is_on_in_the_test_run():
    assert netguard.installed()


def test_loopback_connections_work():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with socket.create_connection(server.server_address, timeout=2):
            pass
    finally:
        server.shutdown()


def _run_child(code: str, tmp_path: Path, address_map: str = "") -> subprocess.CompletedProcess[str]:
    log = tmp_path / "guard.log"
    env = _clean_child_env(tmp_path)
    env.update(netguard.child_environment(env))
    env.update(LABKIT_NETGUARD_LOG=str(log), LABKIT_ADDRESS_MAP=address_map)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=60)


def test_child_python_refuses_a_public_address_and_logs_it(tmp_path: Path):
    result = _run_child(
        """
        import socket
        try:
            socket.create_connection(("93.184.216.34", 80), timeout=1)
        except ConnectionRefusedError as exc:
            print(type(exc).__name__, exc)
        """,
        tmp_path,
    )
    assert "NetworkBlocked labkit network guard: connection to 93.184.216.34:80 refused" in result.stdout
    assert "93.184.216.34:80 refused" in (tmp_path / "guard.log").read_text()


def test_child_python_refuses_name_lookups_of_real_hosts(tmp_path: Path):
    result = _run_child(
        """
        import boto3
        from botocore.config import Config
        sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                           aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))
        try:
            sts.get_caller_identity()
        except Exception as exc:
            print("blocked:", type(exc).__name__)
        """,
        tmp_path,
    )
    assert "blocked:" in result.stdout, result.stderr
    assert "sts.us-east-1.amazonaws.com:443 (name lookup) refused" in (tmp_path / "guard.log").read_text()


def _fetch_through_map(tmp_path: Path, url: str, source: str) -> subprocess.CompletedProcess[str]:
    """A child Python fetches `url`, whose `source` (host:port) the address map sends to a Host-echo server."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostEcho)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code = f"import urllib.request\nprint(urllib.request.urlopen({url!r}, timeout=5).read().decode())"
        return _run_child(code, tmp_path, address_map=f"{source}=127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()


def test_child_python_maps_link_local_addresses_to_loopback(tmp_path: Path):
    result = _fetch_through_map(tmp_path, "http://169.254.170.23/v1/credentials", "169.254.170.23:80")
    assert result.stdout.strip() == "host=169.254.170.23", result.stderr
    assert not (tmp_path / "guard.log").exists()


class _HostEcho(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = f"host={self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_notebook_that_reaches_out_fails_the_suite_even_if_it_catches_the_error(tmp_path: Path):
    cell = textwrap.dedent(
        """
        import socket
        try:
            socket.create_connection(("93.184.216.34", 443), timeout=1)
        except OSError:
            pass  # swallowed: the guard's log still fails the run
        print("done")
        """
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    nbformat.write(nb, tmp_path / "reach_out.ipynb")
    (tmp_path / "conftest.py").write_text('pytest_plugins = ("labkit.pytest_plugin",)\n')
    env = _clean_child_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
         "reach_out.ipynb"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "labkit network guard" in result.stdout
    assert "93.184.216.34:443 refused" in result.stdout


def test_child_python_resolves_a_mapped_host_name_to_its_stand_in(tmp_path: Path):
    result = _fetch_through_map(tmp_path, "http://proxy.corp.example:3128/", "proxy.corp.example:3128")
    assert result.stdout.strip() == "host=proxy.corp.example:3128", result.stderr
    assert not (tmp_path / "guard.log").exists()
