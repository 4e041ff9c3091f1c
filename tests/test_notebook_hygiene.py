"""Committed notebooks are clean files: no widget state, no timestamps, one kernel, counts in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit import notebooks

ROOT = Path(__file__).resolve().parent.parent
ALL = list(notebooks.course_notebooks(ROOT))


def test_the_course_has_notebooks():
    assert (ROOT / "notebooks" / "00-start-here.ipynb") in ALL


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_clean(path: Path):
    assert notebooks.hygiene_problems(notebooks.read(path)) == []


@pytest.mark.parametrize("path", [p for p in ALL if p.parent.name != "exercises"], ids=lambda p: p.name)
def test_course_notebook_is_fully_executed(path: Path):
    code_cells = [c for c in notebooks.read(path).cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code_cells), "run `make outputs` and commit the result"


def test_hygiene_catches_each_problem():
    nb = notebooks.read(ROOT / "notebooks" / "00-start-here.ipynb")
    nb.metadata["widgets"] = {"state": {}}
    nb.metadata["kernelspec"]["name"] = "python3-venv"
    nb.cells[2].metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    codes = [c for c in nb.cells if c.cell_type == "code"]
    codes[0].execution_count, codes[1].execution_count = 2, 1
    problems = " ".join(notebooks.hygiene_problems(nb))
    for words in ("widget state", "kernel name", "timestamps", "in order"):
        assert words in problems


def test_clean_removes_what_hygiene_reports():
    nb = notebooks.read(ROOT / "notebooks" / "00-start-here.ipynb")
    nb.metadata["widgets"] = {"state": {}}
    nb.cells[2].metadata["execution"] = {"iopub.status.busy": "x"}
    assert notebooks.hygiene_problems(notebooks.clean(nb)) == []
