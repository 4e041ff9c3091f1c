"""Exercises are single-sourced: `solutions/` holds the answers, `exercises/` is generated from it.

In a solution notebook, an answer is marked inside a code cell::

    def decode_payload(token):
        ### BEGIN SOLUTION
        ### HINT: split on "." and base64url-decode the middle part
        ...the answer...
        ### END SOLUTION

The generated exercise keeps everything else and replaces the marked lines by a stub, indented like the
marker, that raises ``NotImplementedError`` carrying the hint. Markdown answers between the same markers
become "*Your answer here.*". Outputs are cleared. `labkit exercises` regenerates; `--check` only compares.
"""

from __future__ import annotations

import argparse
import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit import notebooks
from labkit.errors import InputError

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HINT = "### HINT:"
DEFAULT_HINT = "replace this line with your answer"
_MARKER = re.compile(r"^(?P<indent>\s*)### (?P<kind>BEGIN SOLUTION|END SOLUTION|HINT:)(?P<rest>.*)$")


@dataclass(frozen=True)
class Region:
    """One answer region of a cell: its line span, indentation and hint."""

    start: int
    end: int
    indent: str
    hint: str


def find_regions(source: str, *, where: str = "") -> list[Region]:
    """The answer regions of a cell's source; InputError for unbalanced markers."""
    regions, start, indent, hints = [], None, "", []
    for number, line in enumerate(source.splitlines()):
        match = _MARKER.match(line)
        if not match:
            continue
        kind = match["kind"]
        if kind == "BEGIN SOLUTION":
            if start is not None:
                raise InputError(f"{BEGIN} inside another answer region", file=where, line=number + 1)
            start, indent, hints = number, match["indent"], []
        elif kind == "HINT:" and start is not None:
            hints.append(match["rest"].strip())
        elif kind == "END SOLUTION":
            if start is None:
                raise InputError(f"{END} without {BEGIN}", file=where, line=number + 1)
            regions.append(Region(start, number, indent, " ".join(hints) or DEFAULT_HINT))
            start = None
    if start is not None:
        raise InputError(f"{BEGIN} is never closed by {END}", file=where, line=start + 1)
    return regions


def stub_code(source: str, *, where: str = "") -> str:
    """The code cell with each answer region replaced by a NotImplementedError stub."""
    lines = source.splitlines()
    for region in reversed(find_regions(source, where=where)):
        stub = [f"{region.indent}# YOUR CODE HERE", f"{region.indent}raise NotImplementedError({region.hint!r})"]
        lines[region.start:region.end + 1] = stub
    return "\n".join(lines)


def stub_markdown(source: str, *, where: str = "") -> str:
    """The markdown cell with each answer region replaced by a prompt to write one."""
    lines = source.splitlines()
    for region in reversed(find_regions(source, where=where)):
        lines[region.start:region.end + 1] = ["*Your answer here.*"]
    return "\n".join(lines)


def exercise_from_solution(solution: Any, *, name: str) -> Any:
    """The learner's copy of a solution notebook."""
    nb = copy.deepcopy(solution)
    for index, cell in enumerate(nb.cells):
        where = f"solutions/{name} cell {index}"
        if cell.cell_type == "code":
            cell.source = stub_code(cell.source, where=where)
        elif cell.cell_type == "markdown":
            cell.source = stub_markdown(cell.source, where=where)
    nb.metadata["labkit"] = {"generated_from": f"solutions/{name}", "edit": "edit the solution, then run `make exercises`"}
    return notebooks.clean(notebooks.clear_outputs(nb))


def has_answers(solution: Any) -> bool:
    """Whether a solution notebook marks at least one answer."""
    return any(BEGIN in cell.source for cell in solution.cells)


def generate(root: Path) -> dict[Path, str]:
    """Every exercise file's expected text, keyed by its path."""
    import nbformat

    expected = {}
    for path in sorted((root / "solutions").glob("*.ipynb")):
        solution = notebooks.read(path)
        if not has_answers(solution):
            raise InputError(f"no {BEGIN} marker: a solution notebook needs at least one answer", file=str(path))
        expected[root / "exercises" / path.name] = nbformat.writes(exercise_from_solution(solution, name=path.name)) + "\n"
    return expected


def out_of_date(root: Path) -> list[str]:
    """Exercise files that differ from what `generate` makes, or should not exist."""
    expected = generate(root)
    stale = [str(p.relative_to(root)) for p, text in expected.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    extra = [str(p.relative_to(root)) for p in (root / "exercises").glob("*.ipynb") if p not in expected]
    return stale + extra


def write_all(root: Path) -> list[Path]:
    """Regenerate `exercises/` (and remove exercises whose solution is gone); returns what changed."""
    expected = generate(root)
    (root / "exercises").mkdir(exist_ok=True)
    changed = []
    for path, text in expected.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    for path in (root / "exercises").glob("*.ipynb"):
        if path not in expected:
            path.unlink()
            changed.append(path)
    return changed


def register(subparsers: argparse._SubParsersAction) -> None:
    """`labkit exercises [--check] [--root DIR]`."""
    parser = subparsers.add_parser("exercises", help="regenerate exercises/ from solutions/")
    parser.add_argument("--check", action="store_true", help="only report exercises that are out of date (exit 1)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course folder (default: here)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    if not (root / "solutions").is_dir():
        raise InputError("no solutions/ folder here; run from the course folder or pass --root", file=str(root))
    if args.check:
        stale = out_of_date(root)
        for path in stale:
            print(f"out of date: {path} (run `make exercises`)")
        return 1 if stale else 0
    for path in write_all(root):
        print(f"wrote {path.relative_to(root)}")
    return 0
