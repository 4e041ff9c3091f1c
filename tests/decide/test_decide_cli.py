"""`labkit plan`: formats and exit codes (0 ok, 2 bad input with file and line, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.cli import main


def test_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--scenario", "reflection"]) == 0
    table = capsys.readouterr().out
    assert "analytics-processor  prod     fargate    irsa" in table and "Sharing group checkout-domain" in table
    assert main(["plan", "--scenario", "reflection", "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# Plan for reflection") and "| admin-dashboard | prod |" in markdown
    assert "## Cross-account: admin-dashboard" in markdown


def test_no_target_roles_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--scenario", "reflection", "--format", "json", "--no-target-roles"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["options"]["pod_identity_target_roles"] is False
    assert next(w for w in data["workloads"] if w["name"] == "admin-dashboard")["mechanism"] == "irsa"


def test_artifacts_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--scenario", "reflection", "--format", "json", "--artifacts", "checkout-api"]) == 0
    data = json.loads(capsys.readouterr().out)
    entry = next(w for w in data["workloads"] if w["name"] == "checkout-api")
    assert "with_session_tags()" in entry["artifacts"]["cdk_snippet"]
    assert "artifacts" not in next(w for w in data["workloads"] if w["name"] == "analytics-processor")


def test_bad_file_exits_2_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text("accounts: []\nclusters: []\nworkloads:\n  - name: x\n    cluster: nowhere\n")
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:5: at $.workloads[0].cluster: unknown cluster" in err and "Traceback" not in err
    assert main(["plan", str(tmp_path / "missing.yaml")]) == 2
    assert main(["plan", "--scenario", "nope"]) == 2
    assert main(["plan", "--scenario", "reflection", "--artifacts", "nope"]) == 2


def test_file_argument_runs_the_same_plan(capsys: pytest.CaptureFixture[str]) -> None:
    from labkit.decide import scenarios

    path = Path(scenarios.__file__).with_name("reflection.yaml")
    assert main(["plan", str(path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["workloads"] == 3


def test_import_stays_light() -> None:
    code = ("import sys, labkit.decide; from labkit.decide import plan, reflection; plan(reflection());"
            "heavy = [m for m in ('pandas', 'matplotlib', 'boto3', 'moto', 'botocore', 'http.client') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
