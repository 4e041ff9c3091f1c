"""Validation: issues with JSON paths (data-driven from cases/validation.json) and parse errors with lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labkit.errors import PolicyError
from labkit.policy import Policy, evaluate, parse_policy, validate
from labkit.policy.parse import load_policy

CASES = json.loads((Path(__file__).parent / "cases" / "validation.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_validation_case(case: dict[str, Any]) -> None:
    issues = validate(case.get("text", case.get("doc")), case["kind"])
    assert len(issues) == len(case["issues"]), [str(i) for i in issues]
    for issue, wanted in zip(issues, case["issues"]):
        assert issue.path == wanted["path"], str(issue)
        assert wanted["contains"] in issue.message, str(issue)
        assert issue.severity == wanted.get("severity", "error"), str(issue)
        if "line" in wanted:
            assert issue.line == wanted["line"], str(issue)


def test_parse_raises_on_the_first_error_with_file_line_and_path(tmp_path: Path) -> None:
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "*", "Resource": "x"}\n  ]\n}'
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    error = raised.value
    assert (error.file, error.line, error.path) == (str(path), 4, "$.Statement[0].Resource")
    assert str(error).startswith(f"{path}:4: at $.Statement[0].Resource: ")


def test_parse_accepts_warnings_and_caches() -> None:
    doc = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}  # no Version: a warning only
    first = parse_policy(doc, name="p")
    assert isinstance(first, Policy) and parse_policy(doc, name="p") is first
    assert repr(first) == "<Policy identity 'p': 1 statement(s)>"


def test_a_cached_policy_does_not_follow_later_edits_of_the_dict() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    request = {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}
    assert evaluate(request, identity_policies=[doc]).effect == "Allow"
    doc["Statement"][0]["Effect"] = "Deny"
    assert evaluate(request, identity_policies=[doc]).effect == "ExplicitDeny"


def test_evaluate_rejects_an_invalid_policy() -> None:
    with pytest.raises(PolicyError, match="Effect must be Allow or Deny"):
        evaluate({"action": "s3:GetObject", "resource": "*"},
                 identity_policies=[{"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "*", "Resource": "*"}]}])


def test_bad_requests_are_policy_errors() -> None:
    with pytest.raises(PolicyError, match="action"):
        evaluate({"resource": "*"})
    with pytest.raises(PolicyError, match="principal type"):
        evaluate({"action": "s3:GetObject", "resource": "*", "principal": {"type": "Robot", "id": "x"}})


def test_unknown_kind() -> None:
    with pytest.raises(ValueError):
        validate({}, "scp")  # type: ignore[arg-type]
