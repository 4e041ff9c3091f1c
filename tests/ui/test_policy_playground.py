"""Policy playground: the pure model (context parsing, validation, evaluation) and the widget."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from labkit.ui import PlaygroundInputs, PolicyPlayground, evaluate_playground
from labkit.ui.policy_playground import format_context, parse_context

BASE = PlaygroundInputs()
DENY_DELETE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
    "Action": ["sts:AssumeRole", "sts:TagSession"]}]}


def test_default_abac_example_allows_the_matching_namespace() -> None:
    result = evaluate_playground(BASE)
    assert result.effect == "Allow" and result.issues == () and result.input_errors == ()
    assert "identity:TeamBucket#0" in result.to_text()


def test_abac_example_denies_another_namespace() -> None:
    result = evaluate_playground(replace(BASE, context="aws:PrincipalTag/kubernetes-namespace=orders"))
    assert result.effect == "ImplicitDeny"
    assert "does not apply" in result.to_text()


def test_explicit_deny_wins_and_is_named() -> None:
    result = evaluate_playground(replace(BASE, policy=json.dumps(DENY_DELETE), action="s3:DeleteObject"))
    assert result.effect == "ExplicitDeny"
    assert "identity:NoDelete#1" in result.to_text()
    assert evaluate_playground(replace(BASE, policy=json.dumps(DENY_DELETE), action="s3:PutObject")).effect == "Allow"


def test_resource_and_trust_kinds_use_the_policy_as_the_resources() -> None:
    trust = replace(BASE, policy=json.dumps(TRUST), kind="trust", action="sts:AssumeRole",
                    resource="arn:aws:iam::111122223333:role/app", principal="pods.eks.amazonaws.com", context="")
    assert evaluate_playground(trust).effect == "Allow"
    assert evaluate_playground(replace(trust, principal="ec2.amazonaws.com")).effect == "ImplicitDeny"


@pytest.mark.parametrize(("policy", "path"), [
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Alow", "Action": "s3:*", "Resource": "*"}]}',
     "$.Statement[0].Effect"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}', "$.Statement[0]"),
    ('{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",\n'
     ' "Condition": {"Foo": {"aws:x": "1"}}}}', "$.Statement.Condition.Foo"),
    ("{", "$"),
    ("[]", "$"),
    ("null", "$"),
])
def test_bad_policies_show_issues_with_json_paths_and_are_not_evaluated(policy: str, path: str) -> None:
    result = evaluate_playground(replace(BASE, policy=policy))
    assert result.decision is None and result.effect == "invalid policy"
    assert path in [issue.path for issue in result.issues]
    assert "Not evaluated" in result.to_html() and path in result.to_html()


def test_issue_lines_point_into_the_text() -> None:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"},
                                                                 {"Effect": "Maybe", "Action": "s3:*",
                                                                  "Resource": "*"}]}, indent=2)
    issues = evaluate_playground(replace(BASE, policy=policy)).issues
    issue = next(i for i in issues if i.path == "$.Statement[1].Effect")
    assert issue.line is not None and '"Maybe"' in policy.splitlines()[issue.line - 1]


def test_warnings_alone_still_evaluate() -> None:
    no_version = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    result = evaluate_playground(replace(BASE, policy=json.dumps(no_version)))
    assert result.effect == "Allow" and any(i.severity == "warning" for i in result.issues)


@pytest.mark.parametrize(("changes", "message"), [
    ({"action": ""}, "action is empty"),
    ({"resource": " "}, "resource is empty"),
    ({"context": "aws:SourceIp"}, "context line 1"),
])
def test_input_mistakes_are_messages(changes: dict[str, str], message: str) -> None:
    result = evaluate_playground(replace(BASE, **changes))  # type: ignore[arg-type]
    assert result.decision is None and result.effect == "invalid input"
    assert any(message in error for error in result.input_errors)


def test_context_lines() -> None:
    context, errors = parse_context("# tags\naws:PrincipalTag/team = payments\n\naws:TagKeys=a\naws:TagKeys=b\n"
                                    "aws:TagKeys=c\nbroken\n=x")
    assert context == {"aws:PrincipalTag/team": "payments", "aws:TagKeys": ["a", "b", "c"]}
    assert errors == ("context line 7: 'broken' is not key=value", "context line 8: '=x' is not key=value")


def test_format_context_is_sorted_and_round_trips() -> None:
    mapping = {"b": ["2", "3"], "a": "1"}
    assert format_context(mapping) == "a=1\nb=2\nb=3"
    assert parse_context(format_context(mapping))[0] == mapping
    assert format_context(None) == "" and format_context("x=1") == "x=1"


def test_multi_valued_context_reaches_the_evaluator() -> None:
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}}]}
    inputs = replace(BASE, policy=json.dumps(policy), action="s3:PutObject")
    assert evaluate_playground(replace(inputs, context="aws:TagKeys=team\naws:TagKeys=env")).effect == "Allow"
    assert evaluate_playground(replace(inputs, context="aws:TagKeys=team\naws:TagKeys=owner")).effect == "ImplicitDeny"


# --- the widget, without a browser -------------------------------------------------------------------------


def test_widget_carries_the_dom_contract_classes() -> None:
    playground = PolicyPlayground()
    assert "labkit-playground-policy" in playground.policy._dom_classes
    assert "labkit-playground-action" in playground.action._dom_classes
    assert "labkit-playground-resource" in playground.resource._dom_classes
    assert "labkit-playground-result" in playground.result_output._dom_classes


def test_result_follows_the_controls() -> None:
    playground = PolicyPlayground(policy=DENY_DELETE, action="s3:GetObject", resource="arn:aws:s3:::b/k",
                                  context={})
    assert ">Allow<" in playground.result_output.value
    playground.action.value = "s3:DeleteObject"
    assert "ExplicitDeny" in playground.result_output.value and "NoDelete" in playground.result_output.value
    playground.policy.value = '{"Version": "2012-10-17", "Statement": []}'
    assert "$.Statement" in playground.result_output.value and "Not evaluated" in playground.result_output.value
    playground.policy.value = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})
    assert "ImplicitDeny" in playground.result_output.value
    playground.resource.value = "arn:aws:s3:::b/other"
    playground.action.value = "s3:GetObject"
    assert ">Allow<" in playground.result_output.value


def test_context_control_drives_abac() -> None:
    playground = PolicyPlayground()
    assert ">Allow<" in playground.result_output.value
    playground.context.value = "aws:PrincipalTag/kubernetes-namespace=orders"
    assert "ImplicitDeny" in playground.result_output.value


def test_text_plain_is_a_short_deterministic_line() -> None:
    playground = PolicyPlayground()
    assert playground._repr_mimebundle_()["text/plain"] == "PolicyPlayground(action='s3:GetObject', effect='Allow')"
    playground.policy.value = "{"
    assert repr(playground) == "PolicyPlayground(action='s3:GetObject', effect='invalid policy')"
