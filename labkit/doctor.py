"""`labkit doctor`: is this machine ready for the course? A pass/fail table, one row per part.

Parts: the Python version, each required package (importable, version within bounds), the ipywidgets
JupyterLab extension (without it every widget shows as text), the lab's AWS (`labkit.sim.Lab` starts and
answers STS), and the offline guard (a child Python's connection beyond loopback is refused). The lab and
the guard are tried in child Pythons started like `labkit lab` starts kernels, so the check sees what a
learner's kernel sees. Exit 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from labkit import netguard

MIN_PYTHON = (3, 11)  # pyproject.toml's requires-python; a test keeps the two in step
WIDGET_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
GUARD_PROBE = ("198.51.100.7", 443)  # TEST-NET-2: documentation-only, never a real host
CHILD_TIMEOUT_S = 120

_LAB_PROBE = """
from labkit.sim import Lab
with Lab(seed=0) as lab:
    arn = lab.client("sts").get_caller_identity()["Arn"]
    print(f"Lab(seed=0) answered on {lab.endpoint_url}: caller {arn}")
"""

_GUARD_PROBE = """
import socket, sys
from labkit import netguard
from labkit.errors import NetworkBlocked
if not netguard.installed():
    sys.exit("the guard is not installed in the child Python")  # checked first: nothing is sent then
try:
    socket.create_connection(({host!r}, {port}), timeout=2)
except NetworkBlocked:
    print("refused")
except OSError as exc:
    sys.exit(f"the connection failed, but not by the guard: {{exc}}")
else:
    sys.exit("the connection went through")
"""


class Problem(Exception):
    """A check found something wrong; the message says what."""


@dataclass(frozen=True)
class CheckResult:
    """One row of the table."""

    name: str
    ok: bool
    detail: str


Check = Callable[[], str]  # returns what it found on success, raises on failure


def check_python() -> str:
    """The interpreter is new enough."""
    found = ".".join(map(str, sys.version_info[:3]))
    needed = ".".join(map(str, MIN_PYTHON))
    if sys.version_info[:2] < MIN_PYTHON:
        raise Problem(f"Python {found}; the course needs {needed} or newer")
    return f"{found} at {sys.executable} (needs {needed} or newer)"


def required_packages() -> list[str]:
    """labkit's runtime requirements (no extras), e.g. ``"moto>=5.1,<6"``."""
    try:
        lines = metadata.requires("labkit") or []
    except metadata.PackageNotFoundError:
        raise Problem("labkit is not installed: run `make lab` or pip install -e .") from None
    return [line for line in lines if "extra ==" not in line]


def check_package(requirement: str) -> str:
    """One requirement: installed, version within its bounds, and importable."""
    from packaging.requirements import Requirement

    wanted = Requirement(requirement)
    try:
        version = metadata.version(wanted.name)
    except metadata.PackageNotFoundError:
        raise Problem(f"not installed (needs {wanted.specifier or 'any version'})") from None
    if wanted.specifier and not wanted.specifier.contains(version, prereleases=True):
        raise Problem(f"{version} installed, needs {wanted.specifier}")
    module = import_name(wanted.name)
    try:
        importlib.import_module(module)
    except Exception as exc:  # a broken install shows here: missing shared library, bad wheel, ...
        raise Problem(f"{version} installed but `import {module}` fails: {type(exc).__name__}: {exc}") from None
    return f"{version} (needs {wanted.specifier or 'any'})"


def import_name(distribution: str) -> str:
    """The module a distribution provides (pyjwt -> jwt, pyyaml -> yaml); its own name when unknown."""
    plain = distribution.lower().replace("-", "_")
    modules = [m for m, dists in metadata.packages_distributions().items()
               if any(d.lower().replace("-", "_") == plain for d in dists)]
    modules.sort(key=lambda m: (m.startswith("_"), m.lower() != plain, m))
    return modules[0] if modules else plain


def check_widget_extension() -> str:
    """The ipywidgets JupyterLab extension is where JupyterLab looks for it."""
    for folder in labextension_paths():
        package = folder / WIDGET_EXTENSION / "package.json"
        if package.is_file():
            version = json.loads(package.read_text(encoding="utf-8")).get("version", "?")
            return f"{WIDGET_EXTENSION} {version} in {folder}"
    raise Problem(f"{WIDGET_EXTENSION} not found in {', '.join(map(str, labextension_paths()))}: widgets "
                  "would show as text (pip install 'jupyterlab_widgets' / 'ipywidgets>=8.1')")


def labextension_paths() -> list[Path]:
    """Where JupyterLab loads prebuilt extensions from (sys.prefix first)."""
    from jupyter_core.paths import jupyter_path

    paths = [Path(sys.prefix, "share", "jupyter", "labextensions")]
    paths += [Path(p) for p in jupyter_path("labextensions") if Path(p) not in paths]
    return paths


def check_lab() -> str:
    """`labkit.sim.Lab` starts in a kernel-like child Python and answers an STS call."""
    with tempfile.TemporaryDirectory(prefix="labkit-doctor-") as folder:
        return _run_child(_LAB_PROBE, kernel_environment(Path(folder) / "guard.log"), what="the lab")


def check_network_guard() -> str:
    """A kernel-like child Python cannot open a connection beyond loopback, and the refusal is logged."""
    host, port = GUARD_PROBE
    with tempfile.TemporaryDirectory(prefix="labkit-doctor-") as folder:
        log = Path(folder) / "guard.log"
        _run_child(_GUARD_PROBE.format(host=host, port=port), kernel_environment(log), what="the guard probe")
        refused = netguard.violations(log)
        if not any(f"{host}:{port}" in line for line in refused):
            raise Problem("the child's connection was refused but not written to the guard's log")
    return f"a child Python's connection to {host}:{port} was refused and logged"


def kernel_environment(log: Path) -> dict[str, str]:
    """The environment `labkit lab` gives kernels, built from one without any guard settings."""
    from labkit.course import lab_environment

    base = {k: v for k, v in os.environ.items() if not k.startswith("LABKIT_")}
    site = str(netguard.SITE_DIR)
    base["PYTHONPATH"] = os.pathsep.join(p for p in base.get("PYTHONPATH", "").split(os.pathsep) if p and p != site)
    env = lab_environment(base)
    env[netguard.ENV_LOG] = str(log)  # a throwaway log: the doctor must not write into a test run's
    return env


def _run_child(code: str, env: dict[str, str], *, what: str) -> str:
    """Run `code` in a child Python; its last output line on success, else a Problem naming the failure."""
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                              timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise Problem(f"{what} did not finish within {CHILD_TIMEOUT_S} s") from None
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or [f"exit {done.returncode}"]
        raise Problem(lines[-1])
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "ok"


def all_checks() -> list[tuple[str, Check]]:
    """Every check, in the order the table shows them."""
    from packaging.requirements import Requirement

    checks: list[tuple[str, Check]] = [("Python", check_python)]
    try:
        checks += [(f"package {Requirement(r).name}", _bind(check_package, r)) for r in required_packages()]
    except Problem as problem:
        checks.append(("packages", _raiser(problem)))
    checks += [("widget extension", check_widget_extension), ("lab AWS", check_lab),
               ("network guard", check_network_guard)]
    return checks


def run_checks(checks: list[tuple[str, Check]] | None = None) -> list[CheckResult]:
    """Run each check; an exception fails that row, never the doctor."""
    results = []
    for name, check in checks if checks is not None else all_checks():
        try:
            results.append(CheckResult(name, True, check()))
        except Exception as exc:  # any failure is a finding about that part
            detail = str(exc) if isinstance(exc, Problem) else f"{type(exc).__name__}: {exc}"
            results.append(CheckResult(name, False, detail))
    return results


def format_table(results: list[CheckResult]) -> str:
    """The results as an aligned text table with a closing verdict."""
    width = max(len(r.name) for r in results)
    lines = [f"{'check':<{width}}  result  detail", f"{'-' * width}  ------  ------"]
    lines += [f"{r.name:<{width}}  {'PASS' if r.ok else 'FAIL':<6}  {r.detail}" for r in results]
    failed = [r.name for r in results if not r.ok]
    verdict = (f"All {len(results)} checks passed: ready for the course." if not failed else
               f"{len(failed)} of {len(results)} checks failed: {', '.join(failed)}.")
    return "\n".join([*lines, "", verdict])


def _bind(check: Callable[[str], str], argument: str) -> Check:
    return lambda: check(argument)


def _raiser(problem: Problem) -> Check:
    def check() -> str:
        raise problem
    return check


def register(subparsers: argparse._SubParsersAction) -> None:
    """`labkit doctor`."""
    parser = subparsers.add_parser("doctor", help="check this machine is ready for the course (pass/fail table)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    print("labkit doctor: checking this machine for the course\n", flush=True)
    results = run_checks()
    print(format_table(results))
    return 0 if all(r.ok for r in results) else 1
