"""`labkit grade PATH...`: run learners' exercise notebooks headless and tabulate which checks pass.

Each notebook runs top to bottom in its own fresh kernel (nbclient, a per-cell timeout, errors allowed)
in the environment `labkit lab` gives kernels: no AWS_* from the caller and the offline guard on, so a
learner's notebook cannot reach the network or real AWS. A check is a cell tagged `check`; it passes when
it runs without an error. A notebook that is not valid JSON, crashes its kernel or times out is a row of
the table, never the end of the run.

Learner names: the notebook's folder (`submissions/alice/03-one-service-account.ipynb` -> alice), or the
file name when it is not an exercise's own name (`submissions/alice.ipynb` -> alice).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from labkit.errors import InputError

CHECK_TAG = "check"
DEFAULT_TIMEOUT_S = 120
_CHECK_CALL = re.compile(r"\b(check_\w+)\s*\(")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class CheckOutcome:
    """One check of one learner's notebook: passed, failed (with the message and hint) or not run."""

    learner: str
    notebook: str
    check: str
    status: str  # "pass", "FAIL", "not run" or "ERROR" (the notebook itself could not be graded)
    detail: str = ""


def grade_paths(paths: Iterable[Path], *, timeout: int = DEFAULT_TIMEOUT_S) -> list[CheckOutcome]:
    """Grade every notebook found under `paths`, in name order."""
    outcomes: list[CheckOutcome] = []
    for path in find_notebooks(paths):
        outcomes += grade_notebook(path, timeout=timeout)
    return outcomes


def find_notebooks(paths: Iterable[Path]) -> list[Path]:
    """The notebooks named, and those inside named folders (checkpoints skipped); InputError if none."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.is_file():
            found.append(path)
        else:
            raise InputError("no such file or folder", file=str(path))
    if not found:
        raise InputError("no notebooks (*.ipynb) to grade", file=", ".join(map(str, paths)))
    return found


def grade_notebook(path: Path, *, timeout: int = DEFAULT_TIMEOUT_S) -> list[CheckOutcome]:
    """Run one notebook in a fresh kernel and read its check cells; problems become ERROR rows."""
    from labkit import notebooks

    try:
        nb = notebooks.read(path)
    except Exception as exc:  # not JSON, not a notebook: say so and go on
        return [CheckOutcome(path.parent.name, path.stem, "(notebook)", "ERROR",
                             f"cannot read {path}: {_one_line(exc)}")]
    exercise = exercise_name(nb, path)
    learner = learner_name(path, exercise)
    checks = [cell for cell in nb.cells if CHECK_TAG in cell.metadata.get("tags", [])]
    if not checks:
        return [CheckOutcome(learner, exercise, "(notebook)", "ERROR", "no cell is tagged `check`")]
    stopped = run_offline(nb, cwd=path.parent, timeout=timeout)
    outcomes = [check_outcome(learner, exercise, index, cell) for index, cell in enumerate(checks, 1)]
    if stopped:
        outcomes.append(CheckOutcome(learner, exercise, "(notebook)", "ERROR", stopped))
    return outcomes


def exercise_name(nb: Any, path: Path) -> str:
    """The exercise a notebook is a copy of (generated exercises say so in their metadata), else its name."""
    source = nb.metadata.get("labkit", {}).get("generated_from", "")
    return Path(source).stem if source else path.stem


def learner_name(path: Path, exercise: str) -> str:
    """The folder when the file keeps the exercise's name, else the file's own name."""
    return path.parent.name if path.stem == exercise else path.stem


def run_offline(nb: Any, *, cwd: Path, timeout: int) -> str:
    """Execute `nb` in place with the lab's kernel environment; '' or why it stopped early."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    with tempfile.TemporaryFile(mode="w+b") as kernel_log:
        try:
            with lab_kernel_environment(), stderr_into(kernel_log):
                execute(nb, cwd=cwd, timeout=timeout)
        except CellTimeoutError:
            return f"a cell ran longer than {timeout} s; later cells were not run"
        except DeadKernelError:
            return f"the kernel died{_last_words(kernel_log)}; later cells were not run"
        except Exception as exc:  # the kernel would not start, ...: report it, grade the next notebook
            return f"could not run the notebook: {_one_line(exc)}{_last_words(kernel_log)}"
    return ""


@contextlib.contextmanager
def stderr_into(sink: IO[bytes]) -> Iterator[None]:
    """Send this process's stderr (which kernels inherit) to `sink`: their start-up chatter stays out of
    the table, and a crashed kernel's last words can be quoted."""
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(sink.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _last_words(kernel_log: IO[bytes]) -> str:
    """The last line a kernel wrote to stderr that is not a start-up warning, as ' (…)'."""
    kernel_log.seek(0)
    lines = [line.strip() for line in kernel_log.read().decode(errors="replace").splitlines()]
    lines = [line for line in lines if line and "WARNING" not in line]
    return f" ({_one_line(lines[-1])})" if lines else ""


def execute(nb: Any, *, cwd: Path, timeout: int) -> None:
    """`labkit.notebooks.execute` with errors allowed (a learner's failing cell is a result, not a crash)."""
    from labkit import notebooks

    notebooks.execute(nb, cwd=cwd, timeout=timeout, allow_errors=True)


@contextlib.contextmanager
def lab_kernel_environment() -> Iterator[None]:
    """While inside, kernels start with `labkit lab`'s environment (scrubbed of AWS_*, offline guard on)."""
    from labkit.course import lab_environment

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(lab_environment(saved))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def check_outcome(learner: str, exercise: str, index: int, cell: Any) -> CheckOutcome:
    """What one check cell's outputs say."""
    match = _CHECK_CALL.search(cell.source)
    name = match.group(1) if match else f"check {index}"
    if cell.get("execution_count") is None:
        return CheckOutcome(learner, exercise, name, "not run", "the notebook stopped before this check")
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        return CheckOutcome(learner, exercise, name, "FAIL", error_text(errors[0]))
    printed = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    return CheckOutcome(learner, exercise, name, "pass", _one_line(printed.strip().lstrip("✔ ")))


def error_text(error: Any) -> str:
    """A failed check's message and hint (labkit shows those instead of a traceback), else the error line."""
    lines = [_ANSI.sub("", line).strip() for line in error.get("traceback", [])]
    if lines and lines[0].startswith("✘ Check failed:"):
        return " ".join(line.removeprefix("✘ Check failed:").strip() for line in lines)
    return f"{error.get('ename')}: {error.get('evalue')}"


def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:300]


COLUMNS = ("learner", "notebook", "check", "result", "detail")


def rows(outcomes: list[CheckOutcome]) -> list[tuple[str, ...]]:
    """The table's rows, learner by learner."""
    ordered = sorted(outcomes, key=lambda o: (o.learner, o.notebook))
    return [(o.learner, o.notebook, o.check, o.status, o.detail) for o in ordered]


def format_table(outcomes: list[CheckOutcome]) -> str:
    """An aligned text table, then one summary line per learner."""
    body = rows(outcomes)
    widths = [max(len(row[i]) for row in [COLUMNS, *body]) for i in range(len(COLUMNS) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)) + "  detail"]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) + f"  {row[-1]}" for row in body]
    return "\n".join([*lines, "", *summary_lines(outcomes)])


def format_csv(outcomes: list[CheckOutcome]) -> str:
    """CSV with a header row (for a spreadsheet)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(outcomes))
    return buffer.getvalue()


def format_markdown(outcomes: list[CheckOutcome]) -> str:
    """A Markdown table (for an issue, a wiki page or a notebook)."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows(outcomes)]
    return "\n".join(lines) + "\n"


def summary_lines(outcomes: list[CheckOutcome]) -> list[str]:
    """`alice: 2 of 3 checks pass` per learner."""
    learners = sorted({o.learner for o in outcomes})
    lines = []
    for learner in learners:
        mine = [o for o in outcomes if o.learner == learner and o.check != "(notebook)"]
        passed = sum(o.status == "pass" for o in mine)
        problems = sum(o.status == "ERROR" for o in outcomes if o.learner == learner)
        extra = f", {problems} notebook(s) could not be graded fully" if problems else ""
        lines.append(f"{learner}: {passed} of {len(mine)} checks pass{extra}")
    return lines


FORMATS = {"table": format_table, "csv": format_csv, "markdown": format_markdown}


def register(subparsers: argparse._SubParsersAction) -> None:
    """`labkit grade PATH... [--format table|csv|markdown] [--timeout S]`."""
    parser = subparsers.add_parser("grade", help="run learners' exercise notebooks offline and tabulate their checks",
                                   description="Exit 0 when every check passes, 1 when any fails or a notebook "
                                               "could not be graded, 2 for bad input.")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="notebooks, or folders holding them")
    parser.add_argument("--format", choices=sorted(FORMATS), default="table", help="output format (default table)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_S,
                        help=f"seconds a single cell may run (default {DEFAULT_TIMEOUT_S})")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    outcomes = grade_paths(args.paths, timeout=args.timeout)
    print(FORMATS[args.format](outcomes).rstrip("\n"))
    return 0 if all(o.status == "pass" for o in outcomes) else 1
