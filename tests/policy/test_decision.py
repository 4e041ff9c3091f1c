"""Decision as a value: repr, explain() naming the deciding statement and the failed condition, HTML, JSON."""

from __future__ import annotations

import json

from labkit.policy import Decision, Request, evaluate, parse_policy
from labkit.policy.request import Principal

REQUEST = {"action": "s3:GetObject", "resource": "arn:aws:s3:::data-bucket/k",
           "principal": {"type": "AWS", "id": "arn:aws:iam::111122223333:role/app"},
           "context": {"aws:SecureTransport": "false", "aws:PrincipalTag/team": "red"}}
ALLOW = {"Version": "2012-10-17", "Statement": [{"Sid": "ReadAll", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
DENY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
    {"Sid": "DenyS3", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
TEAM_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "BlueOnly", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]}


def test_repr_names_the_deciding_statement() -> None:
    assert repr(evaluate(REQUEST, identity_policies=[DENY])) == "<Decision ExplicitDeny by identity:DenyS3#1>"
    assert repr(evaluate(REQUEST, identity_policies=[ALLOW])) == "<Decision Allow by identity:ReadAll#0>"
    assert repr(evaluate(REQUEST)) == "<Decision ImplicitDeny: no-allow>"


def test_named_policies_appear_in_refs() -> None:
    decision = evaluate(REQUEST, identity_policies=[("ReadOnly", ALLOW), ("Guard", DENY)])
    assert [s.ref for s in decision.decided_by] == ["identity/Guard:DenyS3#1"]
    named = parse_policy(ALLOW, name="FromParse")
    assert evaluate(REQUEST, identity_policies=[named]).decided_by[0].ref == "identity/FromParse:ReadAll#0"
    unnamed = evaluate(REQUEST, identity_policies=[TEAM_ONLY, ALLOW])
    assert [s.ref for s in unnamed.decided_by] == ["identity[1]:ReadAll#0"]


def test_explain_names_the_failed_condition() -> None:
    text = evaluate(REQUEST, identity_policies=[TEAM_ONLY]).explain()
    assert text.startswith("ImplicitDeny: s3:GetObject on arn:aws:s3:::data-bucket/k")
    assert "identity:BlueOnly#0 (Allow) does not apply" in text
    assert "condition failed: StringEquals aws:PrincipalTag/team: request has 'red', policy wants 'blue' -> false" in text


def test_explain_for_an_explicit_deny_shows_the_rule_and_the_overridden_allow() -> None:
    text = evaluate(REQUEST, identity_policies=[ALLOW, DENY]).explain()
    assert "Rule: An explicit Deny in any policy overrides every Allow." in text
    assert "Decided by:\n  identity[1]:DenyS3#1 (Deny)" in text
    assert "identity[0]:ReadAll#0 (Allow) applies" in text


def test_explain_without_policies() -> None:
    assert "No policy statements were given." in evaluate(REQUEST).explain()


def test_failed_condition_and_statement_results_are_values() -> None:
    decision = evaluate(REQUEST, identity_policies=[TEAM_ONLY])
    [result] = decision.statements
    assert not result.applies and result.failed_condition is not None
    assert result.failed_condition.clause.key == "aws:PrincipalTag/team"
    assert not decision.allowed and decision.rule == "no-allow"


def test_html_and_json() -> None:
    decision = evaluate(REQUEST, identity_policies=[ALLOW, DENY])
    html = decision._repr_html_()
    assert "<table>" in html and "ExplicitDeny" in html and "<b>identity[1]:DenyS3#1</b>" in html
    data = json.loads(decision.to_json())
    assert data["effect"] == "ExplicitDeny" and data["decided_by"] == ["identity[1]:DenyS3#1"]
    assert [s["statement"] for s in data["statements"]] == ["identity[0]:ReadAll#0", "identity[1]#0",
                                                            "identity[1]:DenyS3#1"]


def test_request_objects_are_accepted() -> None:
    request = Request("s3:GetObject", "arn:aws:s3:::b/k", Principal.parse("arn:aws:iam::111122223333:user/alice"))
    decision = evaluate(request, identity_policies=ALLOW)  # a single policy works too
    assert isinstance(decision, Decision) and decision.allowed


def test_request_objects_normalize_their_context() -> None:
    request = Request("s3:GetObject", "arn:aws:s3:::home/alice/k", Principal.parse("arn:aws:iam::111122223333:user/alice"),
                      {"AWS:PrincipalTag/Team": "blue", "aws:TagKeys": ["a", "b"]})
    assert request.values("aws:principaltag/team") == ("blue",) and request.values("aws:TagKeys") == ("a", "b")
    assert request.values("aws:username") == ("alice",)  # derived from the IAM user principal
    assert Request(request.action, request.resource, request.principal, request.context) == request


def test_principal_parse() -> None:
    assert Principal.parse("pods.eks.amazonaws.com").type == "Service"
    assert Principal.parse("arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X").type == "Federated"
    session = Principal.parse("arn:aws:sts::111122223333:assumed-role/app/s1")
    assert (session.kind, session.account, session.role_arn) == ("session", "111122223333", "arn:aws:iam::111122223333:role/app")


def test_identity_policies_may_be_none_a_generator_or_json_text() -> None:
    assert evaluate(REQUEST, identity_policies=None).effect == "ImplicitDeny"
    assert evaluate(REQUEST, identity_policies=(p for p in [ALLOW])).effect == "Allow"
    assert evaluate(REQUEST, identity_policies=json.dumps(ALLOW)).effect == "Allow"
