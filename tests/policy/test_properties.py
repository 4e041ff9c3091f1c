"""Properties of the evaluator (hypothesis, modest example counts to keep the suite fast)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labkit.policy import evaluate, validate

ACCOUNT = "111122223333"
ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "sqs:SendMessage", "iam:ListUsers", "sts:AssumeRole"]
ACTION_PATTERNS = ACTIONS + ["*", "s3:*", "s3:Get*", "sqs:?endMessage", "IAM:list*"]
RESOURCES = ["arn:aws:s3:::data/k", "arn:aws:s3:::data", "arn:aws:sqs:us-east-1:111122223333:q",
             "arn:aws:iam::111122223333:user/alice", "arn:aws:s3:::team-red/x"]
RESOURCE_PATTERNS = RESOURCES + ["*", "arn:aws:s3:::data/*", "arn:aws:s3:::team-${aws:PrincipalTag/team}/*",
                                 "arn:aws:sqs:*:111122223333:*", "arn:aws:s3:::team-${aws:PrincipalTag/team, 'red'}/*"]
PRINCIPALS = [{"type": "AWS", "id": f"arn:aws:iam::{ACCOUNT}:role/app"},
              {"type": "AWS", "id": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1"},
              {"type": "AWS", "id": f"arn:aws:iam::{ACCOUNT}:user/alice"},
              {"type": "AWS", "id": "arn:aws:iam::444455556666:role/partner"},
              {"type": "Service", "id": "pods.eks.amazonaws.com"}]
KEYS = ["aws:PrincipalTag/team", "aws:TagKeys", "aws:SourceIp", "aws:CurrentTime", "s3:max-keys",
        "aws:SecureTransport", "aws:SourceArn"]
# operator family -> values a valid policy may hold
VALUES: dict[str, list[Any]] = {
    "String": ["red", "blue", "re*", "${aws:PrincipalTag/team}", "${aws:username, 'x'}", "${*}"],
    "Numeric": ["10", 5, "2.5"], "Date": ["2025-06-01T12:00:00Z", "1700000000"], "Bool": ["true", False],
    "Ip": ["203.0.113.0/24", "2001:db8::/32"], "Arn": ["arn:aws:sns:*:111122223333:*", "arn:aws:s3:::${aws:username}"],
    "Null": ["true", "false"],
}
OPERATORS = {
    "String": ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
               "StringLike", "StringNotLike"],
    "Numeric": ["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericGreaterThanEquals"],
    "Date": ["DateEquals", "DateNotEquals", "DateLessThan", "DateGreaterThan"], "Bool": ["Bool"],
    "Ip": ["IpAddress", "NotIpAddress"], "Arn": ["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"],
    "Null": ["Null"],
}
CONTEXT_VALUES = st.one_of(st.sampled_from(["red", "blue", "10", "true", "203.0.113.9", "2001:db8::1", "",
                                            "2025-06-01T12:00:00Z", "arn:aws:sns:us-east-1:111122223333:t", "x*?"]),
                           st.lists(st.sampled_from(["env", "team", "red"]), max_size=3))


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """A Condition element drawn from every operator family, with set qualifiers and IfExists."""
    block: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.integers(0, 2))):
        family = draw(st.sampled_from(sorted(OPERATORS)))
        name = draw(st.sampled_from(OPERATORS[family]))
        if family != "Null":
            name = draw(st.sampled_from(["", "ForAnyValue:", "ForAllValues:"])) + name
            name += draw(st.sampled_from(["", "IfExists"]))
        values = draw(st.lists(st.sampled_from(VALUES[family]), min_size=1, max_size=2))
        block.setdefault(name, {})[draw(st.sampled_from(KEYS))] = values if len(values) > 1 else values[0]
    return block


@st.composite
def statements(draw: st.DrawFn, effect: str | None = None, principal: bool = False) -> dict[str, Any]:
    """One valid statement."""
    s: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    if principal:
        s["Principal"] = draw(st.sampled_from(["*", {"AWS": ACCOUNT}, {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"},
                                               {"Service": "pods.eks.amazonaws.com"}]))
    s[draw(st.sampled_from(["Action", "NotAction"]))] = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=2))
    s[draw(st.sampled_from(["Resource", "NotResource"]))] = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
    condition = draw(conditions())
    if condition:
        s["Condition"] = condition
    return s


def policies(principal: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda ss: {"Version": "2012-10-17", "Statement": ss},
                     st.lists(statements(principal=principal), min_size=1, max_size=3))


requests = st.fixed_dictionaries({
    "action": st.sampled_from(ACTIONS), "resource": st.sampled_from(RESOURCES),
    "principal": st.sampled_from(PRINCIPALS),
    "context": st.dictionaries(st.sampled_from(KEYS), CONTEXT_VALUES, max_size=4),
})
policy_sets = st.fixed_dictionaries({
    "identity_policies": st.lists(policies(), max_size=2),
    "resource_policy": st.none() | policies(principal=True),
    "permissions_boundary": st.none() | policies(),
    "session_policy": st.none() | policies(),
})
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MATCHING_DENY = {"Sid": "DenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}


@FAST
@given(requests, policy_sets)
def test_evaluation_never_raises_on_valid_policies(request: dict[str, Any], slots: dict[str, Any]) -> None:
    for doc in slots["identity_policies"]:
        assert not [i for i in validate(doc) if i.severity == "error"]
    decision = evaluate(request, **slots)
    assert decision.effect in ("Allow", "ExplicitDeny", "ImplicitDeny")
    assert decision.explain() and repr(decision).startswith("<Decision ") and decision._repr_html_()


@FAST
@given(requests, policy_sets, st.sampled_from(["identity", "resource", "boundary", "session"]))
def test_a_matching_explicit_deny_always_wins(request: dict[str, Any], slots: dict[str, Any], where: str) -> None:
    deny = {"Version": "2012-10-17", "Statement": [MATCHING_DENY]}
    if where == "identity":
        slots["identity_policies"] = [*slots["identity_policies"], deny]
    elif where == "resource":
        base = slots["resource_policy"] or {"Version": "2012-10-17", "Statement": []}
        slots["resource_policy"] = {**base, "Statement": [*base["Statement"], {**MATCHING_DENY, "Principal": "*"}]}
    else:
        slot = "permissions_boundary" if where == "boundary" else "session_policy"
        base = slots[slot] or {"Version": "2012-10-17", "Statement": []}
        slots[slot] = {**base, "Statement": [*base["Statement"], MATCHING_DENY]}
    decision = evaluate(request, **slots)
    assert decision.effect == "ExplicitDeny"
    assert any(s.statement.sid == "DenyAll" for s in decision.decided_by)


@FAST
@given(requests, policy_sets, statements(effect="Allow"), st.sampled_from(
    ["new identity policy", "identity", "resource_policy", "permissions_boundary", "session_policy"]))
def test_adding_an_allow_never_turns_allow_into_deny(request: dict[str, Any], slots: dict[str, Any],
                                                     extra: dict[str, Any], where: str) -> None:
    if evaluate(request, **slots).effect != "Allow":
        return
    if where == "new identity policy" or (where == "identity" and not slots["identity_policies"]):
        slots["identity_policies"] = [*slots["identity_policies"], {"Version": "2012-10-17", "Statement": [extra]}]
    elif where == "identity":
        first = slots["identity_policies"][0]
        slots["identity_policies"] = [{**first, "Statement": [*first["Statement"], extra]},
                                      *slots["identity_policies"][1:]]
    elif slots[where] is not None:  # append to an existing policy of that type
        statement = {**extra, "Principal": "*"} if where == "resource_policy" else extra
        slots[where] = {**slots[where], "Statement": [*slots[where]["Statement"], statement]}
    assert evaluate(request, **slots).effect == "Allow"
