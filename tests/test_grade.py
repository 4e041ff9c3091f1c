"""labkit grade: the answer key passes every check, blank exercises fail each with its hint, and a broken
notebook is a row of the table, not the end of the run."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import nbformat
import pytest

from labkit import exercises, grade, netguard, notebooks
from labkit.cli import main

ROOT = Path(__file__).resolve().parent.parent


def check_cells() -> int:
    """How many check cells the answer key has."""
    return sum("check" in c.metadata.get("tags", []) for p in (ROOT / "solutions").glob("*.ipynb")
               for c in notebooks.read(p).cells)


def hints(name: str) -> set[str]:
    """The hints of one solution notebook's answer regions."""
    solution = notebooks.read(ROOT / "solutions" / f"{name}.ipynb")
    return {r.hint for c in solution.cells if c.cell_type == "code" for r in exercises.find_regions(c.source)}


def test_every_check_of_the_answer_key_passes():
    outcomes = grade.grade_paths([ROOT / "solutions"])
    assert [o for o in outcomes if o.status != "pass"] == []
    assert len(outcomes) == check_cells()


def test_every_check_of_the_blank_exercises_fails_with_its_hint():
    outcomes = grade.grade_paths([ROOT / "exercises"])
    assert len(outcomes) == check_cells()
    for outcome in outcomes:
        assert outcome.status == "FAIL", outcome
        assert any(hint in outcome.detail for hint in hints(outcome.notebook)), outcome


def _notebook(path: Path, *sources: str, check: str) -> Path:
    """A small learner notebook: some cells, then a check cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.cells.append(nbformat.v4.new_code_cell(check, metadata={"tags": ["check"]}))
    path.parent.mkdir(parents=True, exist_ok=True)
    notebooks.write(notebooks.clean(nb), path)
    return path


def test_broken_notebooks_are_rows_not_the_end(tmp_path: Path):
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "00-decode-a-token.ipynb").write_text("{ this is not json")
    _notebook(tmp_path / "ben" / "crash.ipynb", "import os\nos._exit(3)", check="check_after_crash()")
    _notebook(tmp_path / "cat" / "slow.ipynb", "import time\ntime.sleep(60)", check="check_after_sleep()")
    _notebook(tmp_path / "dan" / "half.ipynb", "def answer():\n    return 1 / 0", check="check_answer = answer()")
    _notebook(tmp_path / "eve" / "none.ipynb", "print('no checks here')", check="print('tag removed below')")
    nb = notebooks.read(tmp_path / "eve" / "none.ipynb")
    nb.cells[-1].metadata["tags"] = []
    notebooks.write(nb, tmp_path / "eve" / "none.ipynb")

    outcomes = {(o.learner, o.check): o for o in grade.grade_paths([tmp_path], timeout=3)}
    assert outcomes["ann", "(notebook)"].status == "ERROR" and "cannot read" in outcomes["ann", "(notebook)"].detail
    assert outcomes["ben", "check_after_crash"].status == "not run"
    assert "kernel died" in outcomes["ben", "(notebook)"].detail
    assert outcomes["cat", "check_after_sleep"].status == "not run"
    assert "longer than 3 s" in outcomes["cat", "(notebook)"].detail
    assert outcomes["dan", "check 1"].status == "FAIL" and "ZeroDivisionError" in outcomes["dan", "check 1"].detail
    assert outcomes["eve", "(notebook)"].detail == "no cell is tagged `check`"


def test_learner_is_the_folder_or_the_renamed_file(tmp_path: Path):
    shutil.copy(ROOT / "exercises" / "00-decode-a-token.ipynb", tmp_path / "zoe.ipynb")
    (tmp_path / "yan").mkdir()
    shutil.copy(ROOT / "solutions" / "00-decode-a-token.ipynb", tmp_path / "yan" / "00-decode-a-token.ipynb")
    outcomes = {o.learner: o for o in grade.grade_paths([tmp_path])}
    assert outcomes["zoe"].notebook == "00-decode-a-token" and outcomes["zoe"].status == "FAIL"
    assert outcomes["yan"].notebook == "00-decode-a-token" and outcomes["yan"].status == "pass"


def test_notebooks_run_offline_and_without_the_graders_aws_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    log = tmp_path / "guard.log"
    monkeypatch.setattr(netguard, "_log_path", str(log))  # this refusal is expected: keep it out of the run's log
    path = _notebook(tmp_path / "mia" / "net.ipynb", "import os, socket", check=(
        "check_no_keys = 'AWS_ACCESS_KEY_ID' not in os.environ or 1 / 0\n"
        "check_offline = socket.create_connection(('198.51.100.7', 443), timeout=2)"))
    [outcome] = grade.grade_notebook(path, timeout=30)
    assert outcome.status == "FAIL" and "NetworkBlocked" in outcome.detail, outcome
    assert any("198.51.100.7:443" in line for line in netguard.violations(log))


def test_cli_formats_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    shutil.copy(ROOT / "solutions" / "00-decode-a-token.ipynb", tmp_path / "ada.ipynb")
    assert main(["grade", str(tmp_path / "ada.ipynb"), "--format", "csv"]) == 0
    [row] = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row["learner"] == tmp_path.name and row["check"] == "check_decode_payload" and row["result"] == "pass"

    shutil.copy(ROOT / "exercises" / "00-decode-a-token.ipynb", tmp_path / "bo.ipynb")
    assert main(["grade", str(tmp_path), "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("| learner | notebook | check | result | detail |") and "| bo | 00-decode-a-token |" in out

    assert main(["grade", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_table_ends_with_a_line_per_learner():
    outcomes = [grade.CheckOutcome("al", "n", "c1", "pass"), grade.CheckOutcome("al", "n", "c2", "FAIL", "why"),
                grade.CheckOutcome("bo", "n", "(notebook)", "ERROR", "bad")]
    table = grade.format_table(outcomes)
    assert table.splitlines()[0].split() == ["learner", "notebook", "check", "result", "detail"]
    assert table.splitlines()[-2:] == ["al: 1 of 2 checks pass",
                                       "bo: 0 of 0 checks pass, 1 notebook(s) could not be graded fully"]
