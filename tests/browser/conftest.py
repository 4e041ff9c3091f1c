"""Browser tests: the course's JupyterLab, started the way `make lab` starts it, driven by a real Chromium.

Chromium comes from the system (``LABKIT_CHROMIUM`` names the executable, else /usr/bin/chromium) or from
Playwright's own download. Without any, the tests skip and the run's summary says why; with
``LABKIT_REQUIRE_BROWSER=1`` (CI) a missing browser fails the run instead.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from labkit import course

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
REQUIRE = "LABKIT_REQUIRE_BROWSER"
# Headless as root in a container; the background-networking flags stop Chromium's own calls home, which
# would only hammer a closed network. Chromium is not a Python process, so the offline guard cannot see
# it: the resolver rule is its guard (nothing resolves but loopback).
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
VIEWPORT = {"width": 1400, "height": 1000}

_skipped: list[str] = []
_timings: dict[str, float] = {}


@dataclass(frozen=True)
class LabServer:
    """A running `labkit lab` server: where it listens and how to call its REST API."""

    base: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str, workspace: str) -> str:
        """The page showing `path` (relative to the course root) in a fresh workspace."""
        return f"{self.base}/lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"

    def api(self, method: str, path: str) -> Any:
        """Call the Jupyter server's REST API; the decoded JSON (None when empty)."""
        request = urllib.request.Request(f"{self.base}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every notebook session, so kernels do not pile up across tests (2 shared cores)."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")


def find_chromium(environ: dict[str, str] | os._Environ[str] = os.environ) -> tuple[str | None, str]:
    """The system Chromium to use and where it was found, or None and why."""
    named = environ.get("LABKIT_CHROMIUM")
    if named:
        path = shutil.which(named)
        return (path, f"LABKIT_CHROMIUM={named}") if path else (None, f"LABKIT_CHROMIUM={named} is not an executable")
    if os.access(SYSTEM_CHROMIUM, os.X_OK):
        return str(SYSTEM_CHROMIUM), str(SYSTEM_CHROMIUM)
    return None, f"no {SYSTEM_CHROMIUM} and LABKIT_CHROMIUM is not set"


def browser_unavailable(reason: str) -> None:
    """Skip (and say so in the summary), or fail when the run requires the browser tests."""
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"browser tests cannot run: {reason} ({REQUIRE}=1, so this is a failure)", pytrace=False)
    if reason not in _skipped:
        _skipped.append(reason)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """Playwright's driver (a Node process on pipes, no network)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    """Chromium: the system's when there is one, Playwright's bundled build otherwise."""
    executable, where = find_chromium()
    if executable is None:
        bundled = playwright_driver.chromium.executable_path
        if not os.access(bundled, os.X_OK):
            browser_unavailable(f"no Chromium: {where}, and Playwright's own is not downloaded "
                                "(apt-get install chromium, or set LABKIT_CHROMIUM)")
        executable = bundled
    launched = playwright_driver.chromium.launch(executable_path=executable, headless=True, args=LAUNCH_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """The course's JupyterLab (`labkit lab`'s command and environment) on a free port, with a token."""
    server = start_lab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test, so the page fixture knows whether the test failed."""
    outcome = yield
    setattr(item, f"report_{call.when}", outcome.get_result())


@pytest.fixture
def page(browser: Any, lab: LabServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; fails if the page asked for anything beyond loopback."""
    context = browser.new_context(viewport=VIEWPORT)
    outside: list[str] = []
    context.on("request", lambda request: outside.append(request.url) if not _stays_local(request.url) else None)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:  # what the learner would have seen when it went wrong
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_." else "-" for c in request.node.name)
        tab.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"))
    context.close()
    lab.shutdown_kernels()
    assert outside == [], f"the page requested addresses beyond loopback: {outside[:5]}"


@pytest.fixture(scope="session")
def notebook_timings() -> dict[str, float]:
    """Seconds each notebook took to restart and run all, by name (written out at the end of the run)."""
    return _timings


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    """A folder inside the course root (so the lab can open it) for notebooks made by the tests."""
    folder = ARTIFACTS / f"work-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def start_lab(tmp: Path) -> LabServer:
    """Start the server as `make lab` does, with its state (home, runtime, workspaces) under `tmp`."""
    port, token = _free_port(), secrets.token_hex(16)
    home = _quiet_home(tmp / "home")
    command = course.lab_command(ROOT, port=port, open_browser=False) + [
        "--ServerApp.port_retries=0",  # the URL below must be the one it listens on
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}",  # the learner's saved layouts stay untouched
        f"--FileCheckpoints.root_dir={tmp / 'checkpoints'}",  # no .ipynb_checkpoints in the shared tree
    ]
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env = course.lab_environment(dict(base_env, HOME=str(home), JUPYTER_TOKEN=token,
                                      JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
                                      JUPYTER_CONFIG_DIR=str(home / ".jupyter")))
    log = tmp / "jupyter.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    server = LabServer(f"http://127.0.0.1:{port}", token, process, log)
    _wait_until_serving(server, deadline=120)
    return server


def _quiet_home(home: Path) -> Path:
    """A HOME whose user settings turn autosave off: the tests run committed notebooks and never save them."""
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    return home


def _wait_until_serving(server: LabServer, *, deadline: float) -> None:
    """Poll /api/status until the server answers; fail with its log if it exits or never answers."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if server.process.poll() is not None:
            break
        try:
            server.api("GET", "/api/status")
            return
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    server.process.kill()
    tail = server.log.read_text(errors="replace")[-3000:]
    pytest.fail(f"JupyterLab did not start (exit {server.process.poll()}):\n{tail}", pytrace=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stays_local(url: str) -> bool:
    """data:, blob: and about: stay in the page; http(s)/ws(s) must go to loopback."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return True
    return parts.hostname in ("127.0.0.1", "localhost", "::1")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly when the browser tests did not run, and where the per-notebook timings are."""
    for reason in _skipped:
        terminalreporter.section("labkit browser tests", sep="=", yellow=True, bold=True)
        terminalreporter.write_line(f"SKIPPED: the browser tests did not run: {reason}.", yellow=True)
        terminalreporter.write_line("The notebooks were not checked in a real browser. CI sets "
                                    f"{REQUIRE}=1, which turns this skip into a failure.", yellow=True)
    if _timings:
        path = write_timings(_timings)
        terminalreporter.write_line(f"labkit browser: {len(_timings)} notebooks restarted and ran all in "
                                    f"{sum(_timings.values()):.0f} s; per notebook: {path.relative_to(ROOT)}")


def write_timings(measured: dict[str, float]) -> Path:
    """The measured run times as a Markdown table (for the instructor guide)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lines = ["| notebook | restart and run all (s) |", "|---|---:|"]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in sorted(measured.items())]
    path = ARTIFACTS / "timings.md"
    path.write_text("\n".join(lines) + "\n")
    return path
