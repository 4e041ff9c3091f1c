"""`labkit policy validate` and `labkit policy eval` through labkit.cli.main: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labkit.cli import main
from labkit.policy import irsa_trust_policy, pod_identity_trust_policy

ROLE = "arn:aws:iam::111122223333:role/app"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def _write(tmp_path: Path, name: str, doc: object) -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2))
    return str(path)


@pytest.fixture
def read_policy(tmp_path: Path) -> str:
    return _write(tmp_path, "read.json", {"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::team-${aws:PrincipalTag/kubernetes-namespace}/*"}]})


def test_validate_ok(read_policy: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "validate", read_policy]) == 0
    assert "valid identity policy" in capsys.readouterr().out


def test_validate_guesses_trust_policies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trust = _write(tmp_path, "trust.json", pod_identity_trust_policy())
    assert main(["policy", "validate", trust]) == 0
    assert "valid trust policy, " in (out := capsys.readouterr().out) and " of 2048 characters" in out


def test_validate_error_names_file_line_and_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path, "bad.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEqual": {"a:b": "c"}}}]})
    assert main(["policy", "validate", bad]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:9: at $.Statement[0].Condition.StringEqual: error: unknown condition operator" in err
    assert "Traceback" not in err


def test_validate_json_syntax_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path, "syntax.json", '{\n  "Version": "2012-10-17",\n  "Statement": [\n}\n')
    assert main(["policy", "validate", bad]) == 2
    assert f"{bad}:4: at $: error: not valid JSON" in capsys.readouterr().err


def test_validate_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "validate", "/nonexistent/p.json"]) == 2
    assert "/nonexistent/p.json: cannot read policy" in capsys.readouterr().err


def test_eval_allow_exit_0(read_policy: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["policy", "eval", "--policy", read_policy, "--action", "s3:GetObject",
                 "--resource", "arn:aws:s3:::team-data/x", "--principal", "arn:aws:sts::111122223333:assumed-role/app/s",
                 "--context", "aws:PrincipalTag/kubernetes-namespace=data"])
    assert code == 0
    assert "Decided by:\n  identity/read:Read#0 (Allow)" in capsys.readouterr().out


def test_eval_implicit_deny_exit_1_names_the_missing_variable(read_policy: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["policy", "eval", "--policy", read_policy, "--action", "s3:GetObject",
                 "--resource", "arn:aws:s3:::team-data/x"])
    assert code == 1
    out = capsys.readouterr().out
    assert out.startswith("ImplicitDeny") and "${aws:PrincipalTag/kubernetes-namespace}" in out


def test_eval_explicit_deny_with_boundary_and_json(tmp_path: Path, read_policy: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    boundary = _write(tmp_path, "boundary.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "NoTeamData", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::team-data/*"}]})
    code = main(["policy", "eval", "--policy", read_policy, "--boundary", boundary, "--json",
                 "--action", "s3:GetObject", "--resource", "arn:aws:s3:::team-data/x",
                 "--context", "aws:PrincipalTag/kubernetes-namespace=data"])
    assert code == 1
    result = json.loads(capsys.readouterr().out)
    assert result["effect"] == "ExplicitDeny" and result["decided_by"] == ["boundary/boundary:NoTeamData#1"]


def test_eval_trust_policy_for_irsa(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trust = _write(tmp_path, "trust.json", irsa_trust_policy("111122223333", [(ISSUER, "prod", "app-sa")]))
    args = ["policy", "eval", "--resource-policy", trust, "--action", "sts:AssumeRoleWithWebIdentity",
            "--resource", ROLE, "--principal", f"arn:aws:iam::111122223333:oidc-provider/{ISSUER}",
            "--context", f"{ISSUER}:aud=sts.amazonaws.com"]
    assert main(args + ["--context", f"{ISSUER}:sub=system:serviceaccount:prod:app-sa"]) == 0
    assert main(args + ["--context", f"{ISSUER}:sub=system:serviceaccount:prod:other"]) == 1
    assert "condition failed: StringEquals" in capsys.readouterr().out


def test_eval_session_policy_and_multivalued_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    allow_all = _write(tmp_path, "all.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    session = _write(tmp_path, "session.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:TagQueue", "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}}]})
    base = ["policy", "eval", "--policy", allow_all, "--session-policy", session, "--action", "sqs:TagQueue",
            "--resource", "arn:aws:sqs:us-east-1:111122223333:q"]
    assert main(base + ["--context", "aws:TagKeys=env", "--context", "aws:TagKeys=team"]) == 0
    assert main(base + ["--context", "aws:TagKeys=env", "--context", "aws:TagKeys=owner"]) == 1


def test_eval_principal_with_explicit_type(tmp_path: Path) -> None:
    trust = _write(tmp_path, "trust.json", pod_identity_trust_policy())
    assert main(["policy", "eval", "--resource-policy", trust, "--action", "sts:TagSession", "--resource", ROLE,
                 "--principal", "Service:pods.eks.amazonaws.com"]) == 0


def test_eval_bad_policy_exit_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path, "bad.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]})
    assert main(["policy", "eval", "--policy", bad, "--action", "s3:GetObject", "--resource", "*"]) == 2
    err = capsys.readouterr().err
    assert f"labkit policy: error: {bad}:6: at $.Statement[0].Principal:" in err and "Traceback" not in err


def test_eval_bad_context_exit_2(read_policy: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "eval", "--policy", read_policy, "--action", "s3:GetObject", "--resource", "*",
                 "--context", "novalue"]) == 2
    assert "--context needs KEY=VALUE" in capsys.readouterr().err


def test_eval_requires_action(read_policy: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["policy", "eval", "--policy", read_policy, "--resource", "*"])
    assert exited.value.code == 2
    assert "--action" in capsys.readouterr().err


def test_policy_without_action_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy"]) == 2
    assert "validate" in capsys.readouterr().out


def test_kind_guessing() -> None:
    from labkit.policy.cli import guess_kind

    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                                                     "Action": "sts:TagSession",
                                                     "Condition": {"StringEquals": {"aws:ResourceTag/x": "y"}}}]}
    bucket = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                      "Resource": "arn:aws:s3:::b/*"}]}
    assert guess_kind(json.dumps(trust)) == "trust"
    assert guess_kind(json.dumps(bucket)) == "resource"
    assert guess_kind('{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}') == "identity"
    assert guess_kind("not json") == "identity"
