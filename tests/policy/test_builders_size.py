"""Builders and size accounting: documents IAM would accept, sizes as IAM counts them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labkit import facts
from labkit.policy import builders, evaluate, validate
from labkit.policy.builders import (
    abac_policy,
    irsa_trust_policy,
    least_privilege_policy,
    oidc_provider_arn,
    pod_identity_trust_policy,
)
from labkit.policy.size import (
    fits,
    limit,
    policy_size,
    service_accounts_per_role,
    trust_policy_capacity,
    trust_policy_ceilings,
)

ACCOUNT = "111122223333"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
HOST = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
OTHER = "oidc.eks.us-west-2.amazonaws.com/id/0THERC1USTER00000000000000000000"


def test_size_ignores_whitespace() -> None:
    doc = irsa_trust_policy(ACCOUNT, [(ISSUER, "prod", "app")])
    assert policy_size(doc) == policy_size(json.dumps(doc, indent=4))
    assert policy_size('{ "a" : 1 }') == len('{"a":1}')


def test_fits_is_inclusive() -> None:
    doc = {"Version": "2012-10-17"}
    assert fits(doc, policy_size(doc)) and not fits(doc, policy_size(doc) - 1)


def test_limits_come_from_facts() -> None:
    assert trust_policy_ceilings() == (2048, 4096, 8192)
    assert limit("managed") == facts.value("iam.managed-policy-size") == 6144
    assert limit("role-inline") == 10240 and limit("session") == 2048
    with pytest.raises(KeyError):
        limit("nope")


def test_irsa_per_sa_pins_sub_and_aud_and_strips_scheme() -> None:
    doc = irsa_trust_policy(ACCOUNT, [(ISSUER, "prod", "app-sa"), (ISSUER + "/", "prod", "app-sa")])
    [statement] = doc["Statement"]  # duplicates collapse
    assert statement["Principal"] == {"Federated": oidc_provider_arn(ACCOUNT, ISSUER)}
    assert statement["Principal"]["Federated"].endswith(f":oidc-provider/{HOST}")
    assert statement["Condition"] == {"StringEquals": {
        f"{HOST}:aud": "sts.amazonaws.com", f"{HOST}:sub": "system:serviceaccount:prod:app-sa"}}


def test_irsa_wildcard_uses_string_like_never_string_equals() -> None:
    doc = irsa_trust_policy(ACCOUNT, [(ISSUER, "team-*", "app")])
    condition = doc["Statement"][0]["Condition"]
    assert condition["StringLike"] == {f"{HOST}:sub": "system:serviceaccount:team-*:app"}
    assert "*" not in json.dumps(condition["StringEquals"])


def test_irsa_per_cluster_one_statement_per_issuer() -> None:
    bindings = [(ISSUER, "a", "x"), (OTHER, "b", "y"), (ISSUER, "c", "z")]
    doc = irsa_trust_policy(ACCOUNT, bindings, packing="per-cluster", audience="my-aud")
    assert len(doc["Statement"]) == 2
    first = doc["Statement"][0]["Condition"]["StringEquals"]
    assert first[f"{HOST}:sub"] == ["system:serviceaccount:a:x", "system:serviceaccount:c:z"]
    assert first[f"{HOST}:aud"] == "my-aud"


def test_irsa_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        irsa_trust_policy(ACCOUNT, [])
    with pytest.raises(ValueError):
        irsa_trust_policy(ACCOUNT, [(ISSUER, "a", "b")], packing="per-role")  # type: ignore[arg-type]


def test_pod_identity_trust_policy() -> None:
    plain = pod_identity_trust_policy()["Statement"][0]
    assert plain["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert plain["Action"] == ["sts:AssumeRole", "sts:TagSession"] and "Condition" not in plain
    guarded = pod_identity_trust_policy(source_account=ACCOUNT,
                                        source_arn=f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/prod")
    assert guarded["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnEquals": {"aws:SourceArn": f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/prod"}}


def test_abac_and_least_privilege() -> None:
    template = "arn:aws:s3:::team-${aws:PrincipalTag/kubernetes-namespace}/*"
    doc = abac_policy(["s3:GetObject"], template, sid="TeamBucket")
    assert doc["Statement"][0] == {"Sid": "TeamBucket", "Effect": "Allow", "Action": "s3:GetObject",
                                   "Resource": template}
    lp = least_privilege_policy({"arn:aws:s3:::b": ["s3:ListBucket"], "arn:aws:s3:::b/*": ["s3:GetObject"]})
    assert len(lp["Statement"]) == 2


@pytest.mark.parametrize(("packing", "expected"), [
    ("per-sa", (4, 8, 17)),  # EKS docs: "about 4" at 2,048, "about 8" at 4,096
    ("per-cluster", (27, 63, 133)),
])
def test_service_accounts_per_role(packing: str, expected: tuple[int, int, int]) -> None:
    counts = tuple(service_accounts_per_role(ACCOUNT, [ISSUER], packing=packing, limit=size)  # type: ignore[arg-type]
                   for size in trust_policy_ceilings())
    assert counts == expected


def test_capacity_is_measured_on_the_generated_json() -> None:
    for row in trust_policy_capacity(ACCOUNT, [ISSUER, OTHER]):
        bindings = [([ISSUER, OTHER][i % 2], f"ns{i}".ljust(12, "x"), f"sa{i}".ljust(20, "x"))
                    for i in range(row.service_accounts + 1)]
        over = irsa_trust_policy(ACCOUNT, bindings, packing=row.packing)
        fitting = irsa_trust_policy(ACCOUNT, bindings[:-1], packing=row.packing)
        assert fits(fitting, row.limit) and not fits(over, row.limit)


# --- data-driven: tests/policy/cases/builders.json and sizes.json ----------------------------------------

CASES_DIR = Path(__file__).parent / "cases"
BUILDER_CASES = json.loads((CASES_DIR / "builders.json").read_text())["cases"]
SIZES = json.loads((CASES_DIR / "sizes.json").read_text())
EXAMPLE_ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def _build(case: dict[str, Any]) -> dict[str, Any]:
    kwargs = dict(case["kwargs"])
    if "bindings" in kwargs:
        kwargs["bindings"] = [tuple(b) for b in kwargs["bindings"]]
    if "needs" in kwargs:
        kwargs["needs"] = [tuple(n) for n in kwargs["needs"]]
    return getattr(builders, case["builder"])(**kwargs)


def _request(check: dict[str, Any]) -> dict[str, Any]:
    """A web-identity request from sub/aud/issuer, or a request with defaults for the role and caller."""
    if "sub" in check:
        issuer = check.get("issuer", EXAMPLE_ISSUER)
        return {"action": "sts:AssumeRoleWithWebIdentity", "resource": f"arn:aws:iam::{ACCOUNT}:role/app",
                "principal": {"type": "Federated", "id": oidc_provider_arn(ACCOUNT, issuer)},
                "context": {f"{issuer}:sub": check["sub"], f"{issuer}:aud": check["aud"]}}
    return {"resource": f"arn:aws:iam::{ACCOUNT}:role/app",
            "principal": {"type": "Service", "id": "pods.eks.amazonaws.com"}, **check["request"]}


@pytest.mark.parametrize("case", BUILDER_CASES, ids=[c["name"] for c in BUILDER_CASES])
def test_builder_scenario(case: dict[str, Any]) -> None:
    doc = _build(case)
    kind = "trust" if "trust" in case["builder"] else "identity"
    assert not validate(doc, kind), validate(doc, kind)  # IAM would accept it
    if "statements" in case:
        assert len(doc["Statement"]) == case["statements"]
    slot = {"resource_policy": doc} if kind == "trust" else {"identity_policies": [doc]}
    for check in case["checks"]:
        decision = evaluate(_request(check), **slot)  # type: ignore[arg-type]
        assert decision.effect == check["expected"], f"{check}\n{decision.explain()}"


@pytest.mark.parametrize("case", SIZES["sizes"], ids=[c["name"] for c in SIZES["sizes"]])
def test_size_scenario(case: dict[str, Any]) -> None:
    assert policy_size(case.get("text", case.get("doc"))) == case["size"]


def test_capacity_scenario() -> None:
    spec = SIZES["capacity"]
    rows = trust_policy_capacity(spec["account_id"], spec["issuers"])
    assert [{"packing": r.packing, "limit": r.limit, "service_accounts": r.service_accounts} for r in rows] \
        == spec["rows"]


def test_inline_policies_are_measured_together() -> None:
    from labkit.policy.size import inline_policies_fit, inline_size

    doc = least_privilege_policy([("s3:GetObject", f"arn:aws:s3:::bucket-{i:04d}/*") for i in range(60)])
    assert inline_size([doc, doc]) == 2 * policy_size(doc)
    assert inline_policies_fit([doc] * (10240 // policy_size(doc)))
    assert not inline_policies_fit([doc] * (10240 // policy_size(doc) + 1))
    assert not inline_policies_fit([doc], entity="user") or policy_size(doc) <= 2048
