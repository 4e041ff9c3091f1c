"""Notebook files as the tests and tools read them: execute, clean, check hygiene.

The course's notebooks are committed with their outputs and checked by strict nbval, so they must be
produced the same way every time: executed top to bottom in a fresh kernel of the current environment,
then stripped of volatile metadata (timestamps, widget state).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

KERNEL_NAME = "python3"
KERNEL_DISPLAY = "Python 3 (ipykernel)"
FOLDERS = ("notebooks", "solutions", "exercises")


def read(path: str | os.PathLike[str]) -> Any:
    """Read a notebook as an nbformat v4 node."""
    import nbformat

    return nbformat.read(os.fspath(path), as_version=4)


def write(nb: Any, path: str | os.PathLike[str]) -> None:
    """Write a notebook the way nbformat does (sorted keys, one-space indent, final newline)."""
    import nbformat

    Path(path).write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def clean(nb: Any) -> Any:
    """Drop what changes from run to run or leaks state: timestamps, widget state, cell ids' noise."""
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("vscode", None)
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": KERNEL_DISPLAY, "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        for key in ("execution", "collapsed", "scrolled", "ExecuteTime"):
            cell.metadata.pop(key, None)
        for output in cell.get("outputs", []):
            output.get("metadata", {}).pop("execution", None)
            # Widget views point at models that exist only in a live kernel: committed, they would show
            # "model not found". nbval skips this key, so the text fallback is what is kept and compared.
            output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
    return nb


def clear_outputs(nb: Any) -> Any:
    """Remove every output and execution count (for generated exercises)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def hygiene_problems(nb: Any) -> list[str]:
    """What is wrong with a committed notebook's metadata, as readable sentences (empty when clean)."""
    problems = []
    if "widgets" in nb.metadata:
        problems.append("notebook metadata holds widget state (metadata.widgets)")
    name = nb.metadata.get("kernelspec", {}).get("name")
    if name != KERNEL_NAME:
        problems.append(f"kernel name is {name!r}, expected {KERNEL_NAME!r}")
    counts = []
    for index, cell in enumerate(nb.cells):
        if "execution" in cell.metadata:
            problems.append(f"cell {index} has execution timestamps (metadata.execution)")
        if cell.cell_type == "code" and cell.execution_count is not None:
            counts.append(cell.execution_count)
    if counts and counts != list(range(1, len(counts) + 1)):
        problems.append(f"execution counts are not 1, 2, 3, ... in order: {counts}")
    return problems


def course_notebooks(root: str | os.PathLike[str], folders: Iterable[str] = FOLDERS) -> Iterator[Path]:
    """Every committed notebook under the course folders, in name order."""
    for folder in folders:
        yield from sorted((Path(root) / folder).glob("*.ipynb"))


def kernel_manager() -> Any:
    """An (async) kernel manager whose python3 kernel is this interpreter (like nbval's --nbval-current-env).

    Async, because only with an async manager does nbclient enforce cell timeouts and notice a dead kernel.
    """
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    spec = KernelSpec(
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name=KERNEL_DISPLAY,
        language="python",
    )
    manager = AsyncKernelManager(kernel_name=KERNEL_NAME)
    manager._kernel_spec = spec  # the public API offers no other way to pin the interpreter
    return manager


def execute(nb: Any, *, cwd: str | os.PathLike[str], timeout: int = 300, allow_errors: bool = False) -> Any:
    """Run every cell of ``nb`` in a fresh kernel of this environment, in place; returns ``nb``."""
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    manager = kernel_manager()
    client = NotebookClient(nb, km=manager, timeout=timeout, allow_errors=allow_errors, record_timing=False,
                            resources={"metadata": {"path": os.fspath(cwd)}})
    try:
        client.execute()
    finally:
        # nbclient shuts down only kernels of managers it created; this one is ours to stop.
        if run_sync(manager.is_alive)():
            run_sync(manager.shutdown_kernel)(now=True)
    return nb


def run_and_save(path: str | os.PathLike[str], *, timeout: int = 300) -> list[str]:
    """Execute a course notebook, clean it and write it back; returns the errors its cells printed."""
    nb = read(path)
    execute(nb, cwd=Path(path).parent, timeout=timeout, allow_errors=True)
    write(clean(nb), path)
    return [
        f"{Path(path).name} cell {i}: {out.get('ename')}: {out.get('evalue')}"
        for i, cell in enumerate(nb.cells)
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error" and "raises-exception" not in cell.metadata.get("tags", [])
    ]


def main(argv: list[str] | None = None) -> int:
    """`python -m labkit.notebooks run PATH...`: refresh committed outputs."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m labkit.notebooks")
    parser.add_argument("action", choices=["run", "check"])
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    if args.action == "run":
        # Kernels inherit this: the same scrubbed, guarded environment as `make lab` and `make test`.
        from labkit import netguard
        from labkit.course import lab_environment

        environment = lab_environment(dict(os.environ))
        os.environ.clear()
        os.environ.update(environment)
        netguard.install_from_environment()
    failures = []
    for path in args.paths:
        if args.action == "run":
            print(f"running {path}", flush=True)
            failures += run_and_save(path)
        else:
            failures += [f"{path}: {p}" for p in hygiene_problems(read(path))]
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
