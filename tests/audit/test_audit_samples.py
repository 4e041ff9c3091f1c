"""The shipped samples: the audit finds every planted pitfall, exactly where it is, and nothing in the clean set."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from labkit.audit import CHECKS, audit_paths
from labkit.cli import main
from labkit.facts import FACTS

ROOT = Path(__file__).resolve().parents[2]
PITFALLS = ROOT / "examples" / "audit" / "pitfalls"
CLEAN = ROOT / "examples" / "audit" / "clean"
PLANTED = yaml.safe_load((Path(__file__).with_name("planted.yaml")).read_text())


def _found(report) -> list[dict]:  # type: ignore[no-untyped-def]
    return sorted(({"file": Path(f.location.file).name, "check": f.id, "line": f.location.line,
                    "path": f.location.path} for f in report.findings), key=lambda row: tuple(map(str, row.values())))


def test_every_planted_pitfall_is_found_where_it_was_planted() -> None:
    expected = sorted(PLANTED, key=lambda row: tuple(map(str, row.values())))
    assert _found(audit_paths([PITFALLS])) == expected


def test_every_check_is_planted_at_least_once() -> None:
    assert {row["check"] for row in PLANTED} == set(CHECKS)


def test_pitfall_comments_match_findings() -> None:
    """Each `# PITFALL <check>` comment in a YAML sample has that finding within a few lines."""
    report = audit_paths([PITFALLS])
    for path in sorted(PITFALLS.glob("*.yaml")):
        for number, text in enumerate(path.read_text().splitlines(), 1):
            for check in re.findall(r"PITFALL ([a-z0-9-]+)", text):
                assert any(f.id == check and Path(f.location.file) == path and abs((f.location.line or 0) - number) <= 3
                           for f in report.findings), f"{path.name}:{number} {check}"


def test_the_clean_set_has_no_findings() -> None:
    report = audit_paths([CLEAN])
    assert report.findings == () and report.exit_code == 0 and report.files == len(list(CLEAN.iterdir()))


def test_clean_and_pitfall_sets_hold_the_same_files() -> None:
    assert sorted(p.name for p in CLEAN.iterdir()) == sorted(p.name for p in PITFALLS.iterdir())


def test_findings_carry_why_fix_and_known_facts() -> None:
    for finding in audit_paths([PITFALLS]).findings:
        data = finding.to_dict()
        assert data["why"] and data["fix"] and data["message"] and data["line"]
        assert data["fact"] is None or data["fact"] in FACTS


def test_cli_exit_codes_and_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(PITFALLS), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert len(data["findings"]) == len(PLANTED) and data["counts"]["critical"] == 1
    assert main(["audit", str(CLEAN)]) == 0
    assert "No findings" in capsys.readouterr().out
    assert main(["audit", str(PITFALLS / "payments.yaml"), str(PITFALLS / "cluster.eksctl.yaml"),
                 "--format", "markdown"]) == 1
    markdown = capsys.readouterr().out
    assert markdown.startswith("# Audit:") and "`proxy-without-agent-no-proxy`" in markdown
    assert main(["audit", str(PITFALLS / "launch-template.json")]) == 1
    assert "[high] imds-hop-limit" in capsys.readouterr().out


def test_cli_bad_input_exits_2_naming_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\nspec: {}\n")
    assert main(["audit", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:" in err and "not valid YAML" in err and "Traceback" not in err
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"Statement": [\t1,,]}')
    assert main(["audit", str(bad_json)]) == 2
    assert "bad.json:1" in capsys.readouterr().err
