"""Exercises are generated from solutions, stay in step, and their checks fail on the stub with the hint."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from labkit import exercises, notebooks
from labkit.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_exercises_folder_equals_what_the_tool_generates():
    assert exercises.out_of_date(ROOT) == [], "run `make exercises` and commit exercises/"


def test_every_solution_has_a_check_cell():
    for path in SOLUTIONS:
        tags = [t for c in notebooks.read(path).cells for t in c.metadata.get("tags", [])]
        assert "check" in tags, path.name


def test_stub_keeps_indentation_and_carries_the_hint():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    ### HINT: add one\n    return x + 1\n    ### END SOLUTION\nprint(f)"
    assert exercises.stub_code(source) == (
        "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError('add one')\nprint(f)"
    )


def test_stub_without_hint_uses_the_default():
    assert "replace this line with your answer" in exercises.stub_code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")


def test_markdown_answer_becomes_a_prompt():
    text = "Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"
    assert exercises.stub_markdown(text) == "Why?\n*Your answer here.*"


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("x\n### BEGIN SOLUTION\ny", 2, "never closed"),
        ("### END SOLUTION", 1, "without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", 2, "inside another"),
    ],
)
def test_unbalanced_markers_are_reported_with_their_line(source: str, line: int, words: str):
    with pytest.raises(InputError) as caught:
        exercises.find_regions(source, where="solutions/x.ipynb cell 3")
    assert caught.value.line == line and words in str(caught.value)
    assert "solutions/x.ipynb cell 3" in str(caught.value)


def test_generated_exercise_has_no_answers_and_no_outputs():
    for path in SOLUTIONS:
        nb = exercises.exercise_from_solution(notebooks.read(path), name=path.name)
        text = nbformat.writes(nb)
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_stale_exercise_is_detected(tmp_path: Path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    source = notebooks.read(SOLUTIONS[0])
    notebooks.write(source, tmp_path / "solutions" / SOLUTIONS[0].name)
    assert exercises.out_of_date(tmp_path) == [f"exercises/{SOLUTIONS[0].name}"]
    exercises.write_all(tmp_path)
    assert exercises.out_of_date(tmp_path) == []
    (tmp_path / "exercises" / "orphan.ipynb").write_text("{}")
    assert exercises.out_of_date(tmp_path) == ["exercises/orphan.ipynb"]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_blank_exercise_check_fails_with_its_hint(path: Path):
    solution = notebooks.read(path)
    hints = {r.hint for c in solution.cells if c.cell_type == "code" for r in exercises.find_regions(c.source)}
    nb = notebooks.read(ROOT / "exercises" / path.name)
    notebooks.execute(nb, cwd=ROOT / "exercises", allow_errors=True, timeout=180)
    checks = [c for c in nb.cells if "check" in c.metadata.get("tags", [])]
    assert checks
    for cell in checks:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors, f"the check cell passed on the blank stub:\n{cell.source}"
        assert errors[0].ename == "CheckFailed"
        shown = "\n".join(errors[0].traceback)
        assert any(hint in shown for hint in hints), shown
        # a short message, not a traceback maze
        assert shown.startswith("✘ Check failed:") and len(errors[0].traceback) <= 2


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_filled_exercise_passes_its_checks(path: Path):
    nb = copy.deepcopy(notebooks.read(path))
    notebooks.execute(notebooks.clear_outputs(nb), cwd=ROOT / "solutions", allow_errors=True, timeout=180)
    checks = [c for c in nb.cells if "check" in c.metadata.get("tags", [])]
    assert checks and all(o.output_type != "error" for c in checks for o in c.outputs)
    assert all("✔" in "".join(o.get("text", "") for o in c.outputs) for c in checks)
