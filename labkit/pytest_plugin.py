"""A pytest plugin that guards every test run (unit tests, lab tests, nbval kernels, pods).

- Offline: any connection to a non-loopback address fails, in this process and in every Python it starts
  (kernels, pods) through labkit's netguard sitecustomize; refused connections are logged and fail the run
  even when the code that tried swallowed the error.
- No caller AWS settings: AWS_* variables are removed and config files pointed at /dev/null, so nothing the
  tests start can pick up real credentials.
- Determinism: PYTHONHASHSEED is fixed for kernels and pods.

The repository's conftest.py loads it; another project can use ``pytest -p labkit.pytest_plugin``.
"""

from __future__ import annotations

import os
import tempfile

import pytest

from labkit import netguard
from labkit.course import lab_environment

_state: dict[str, str] = {}


def pytest_configure(config: pytest.Config) -> None:
    # The same scrubbed environment `labkit lab` gives kernels; the guard is installed below with this run's log.
    scrubbed = lab_environment(dict(os.environ), allow_network=True)
    os.environ.clear()
    os.environ.update(scrubbed)
    handle, log_path = tempfile.mkstemp(prefix="labkit-netguard-", suffix=".log")
    os.close(handle)
    _state["log"] = log_path
    netguard.install(log_path)
    os.environ.update(netguard.child_environment(os.environ))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    refused = netguard.violations(_state["log"])
    if refused:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        _state["refused"] = "\n".join(refused)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    refused = _state.get("refused")
    if refused:
        terminalreporter.section("labkit network guard", sep="=", red=True, bold=True)
        terminalreporter.write_line("The run tried to reach the network; the lab must stay on loopback:", red=True)
        for line in refused.splitlines():
            terminalreporter.write_line(f"  {line}")
        terminalreporter.write_line("FAILED: non-loopback connections were attempted (see above).", red=True)
