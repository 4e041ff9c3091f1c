"""The course as a learner opens it: `labkit lab` starts JupyterLab on the course folder.

The server (and so every kernel) runs offline-guarded and without the caller's AWS_* variables, so nothing
a learner runs can pick up real credentials or reach real AWS.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from labkit import netguard
from labkit.errors import InputError

START_NOTEBOOK = "notebooks/00-start-here.ipynb"


def course_root(start: Path | None = None) -> Path:
    """The folder holding notebooks/00-start-here.ipynb: the checkout labkit runs from, else the current one."""
    candidates = [Path(__file__).resolve().parent.parent, (start or Path.cwd()).resolve()]
    candidates += list(candidates[-1].parents)
    for folder in candidates:
        if (folder / START_NOTEBOOK).exists():
            return folder
    raise InputError(f"cannot find {START_NOTEBOOK}; run from the course folder", file=str(Path.cwd()))


def course_map(root: Path | None = None) -> Any:
    """The notebooks that exist, with their titles and exercise notebooks, as a Markdown table."""
    from IPython.display import Markdown

    from labkit import notebooks

    root = root or course_root()
    rows = ["| # | Notebook | Exercise |", "|---|---|---|"]
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        number = path.name.split("-", 1)[0]
        exercises = sorted((root / "exercises").glob(f"{number}-*.ipynb"))
        link = ", ".join(f"[{p.stem}](../exercises/{p.name})" for p in exercises) or "—"
        rows.append(f"| {number} | [{notebook_title(notebooks.read(path))}]({path.name}) | {link} |")
    return Markdown("\n".join(rows))


def notebook_title(nb: object) -> str:
    """The first Markdown heading of a notebook (its title)."""
    for cell in nb.cells:  # type: ignore[attr-defined]
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return "(untitled)"


def lab_environment(base: dict[str, str], *, allow_network: bool = False) -> dict[str, str]:
    """The environment for the Jupyter server: no AWS_* from the caller, the offline guard on."""
    env = {k: v for k, v in base.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
               PYTHONHASHSEED="0")
    return env if allow_network else netguard.child_environment(env)


def lab_command(root: Path, *, port: int, open_browser: bool, ip: str = "127.0.0.1") -> list[str]:
    """The `jupyter lab` command line that serves the course."""
    command = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.ip={ip}",
        f"--ServerApp.port={port}",
        f"--LabApp.default_url=/lab/tree/{START_NOTEBOOK}",
        # Offline: the PyPI extension manager would only fail against the network guard.
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI and classroom containers run as root
    # Course-wide defaults (announcements off, ...) ship as overrides.json; learners' own changes still
    # go to their user settings, so the repo never changes under them.
    overrides = root / ".jupyter" / "lab" / "settings"
    if (overrides / "overrides.json").exists():
        command.append(f"--LabApp.app_settings_dir={overrides}")
    command.append(f"--LabApp.workspaces_dir={root / '.jupyter' / 'lab' / 'workspaces'}")
    if not open_browser:
        command.append("--no-browser")
    return command


def wants_browser(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """No browser when NO_BROWSER=1 or in CI."""
    return environ.get("NO_BROWSER", "") in ("", "0") and not environ.get("CI")


def register(subparsers: argparse._SubParsersAction) -> None:
    """`labkit lab [--port N] [--no-browser] [--allow-network]`."""
    parser = subparsers.add_parser("lab", help="open the course in JupyterLab")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8888")), help="port (default 8888)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser (also NO_BROWSER=1 or CI)")
    parser.add_argument("--allow-network", action="store_true", help="turn the offline guard off in kernels")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    root = course_root()
    command = lab_command(root, port=args.port, open_browser=wants_browser() and not args.no_browser)
    print(f"Serving the course from {root} on http://127.0.0.1:{args.port}/ (Ctrl-C to stop)", flush=True)
    env = lab_environment(dict(os.environ), allow_network=args.allow_network)
    try:
        return subprocess.call(command, cwd=root, env=env)
    except KeyboardInterrupt:
        return 0
