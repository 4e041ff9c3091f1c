"""labkit doctor: passes on this set-up, and names the part that is broken when one is."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from labkit import doctor, netguard
from labkit.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_doctor_passes_on_this_setup(capsys: pytest.CaptureFixture[str]):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "checks passed: ready for the course" in out
    for part in ("Python", "package moto", "package ipywidgets", "widget extension", "lab AWS", "network guard"):
        assert f"\n{part} " in out, part


def test_min_python_is_pyprojects_requires_python():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=" + ".".join(map(str, doctor.MIN_PYTHON))


def test_a_child_without_the_guard_fails_the_guard_row_and_only_it(monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr(netguard, "child_environment", lambda base, address_map=None: dict(base))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    failing = [line for line in out.splitlines() if "  FAIL  " in line]
    assert len(failing) == 1 and failing[0].startswith("network guard"), out
    assert "not installed in the child Python" in failing[0]
    assert out.rstrip().endswith("checks failed: network guard.")


def test_missing_widget_extension_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(doctor, "labextension_paths", lambda: [tmp_path])
    [result] = doctor.run_checks([("widget extension", doctor.check_widget_extension)])
    assert not result.ok and doctor.WIDGET_EXTENSION in result.detail and str(tmp_path) in result.detail


def test_a_lab_that_does_not_start_is_named(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(doctor, "_LAB_PROBE", "from labkit.sim import NoSuchLab")
    [result] = doctor.run_checks([("lab AWS", doctor.check_lab)])
    assert not result.ok and "ImportError" in result.detail and "NoSuchLab" in result.detail


@pytest.mark.parametrize(("requirement", "words"), [
    ("labkit-no-such-package>=1", "not installed (needs >=1)"),
    ("pyyaml>=99", "installed, needs >=99"),
])
def test_a_missing_or_old_package_is_named(requirement: str, words: str):
    [result] = doctor.run_checks([("package", lambda: doctor.check_package(requirement))])
    assert not result.ok and words in result.detail


def test_an_old_python_is_named(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(doctor, "MIN_PYTHON", (99, 0))
    [result] = doctor.run_checks([("Python", doctor.check_python)])
    assert not result.ok and "needs 99.0 or newer" in result.detail


def test_import_names_of_distributions_that_differ():
    assert doctor.import_name("pyjwt") == "jwt" and doctor.import_name("pyyaml") == "yaml"
    assert doctor.import_name("flask-cors") == "flask_cors"


def test_table_lists_every_row_and_the_verdict():
    table = doctor.format_table([doctor.CheckResult("a", True, "fine"), doctor.CheckResult("bb", False, "broken")])
    assert table.splitlines()[2:4] == ["a   PASS    fine", "bb  FAIL    broken"]
    assert table.endswith("1 of 2 checks failed: bb.")
