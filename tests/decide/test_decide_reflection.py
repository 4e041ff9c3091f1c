"""The course's Reflection Exercise: the engine's answers, each reason resting on a sourced fact."""

from __future__ import annotations

import json

import pytest

from labkit.cli import main
from labkit.decide import plan, reflection
from labkit.facts import FACTS
from labkit.policy import irsa_trust_policy, policy_size
from labkit.policy.size import trust_policy_ceilings

EXPECTED = {"checkout-api": "pod-identity", "analytics-processor": "irsa", "admin-dashboard": "pod-identity"}


@pytest.fixture(scope="module")
def answer() -> dict:
    """The reflection plan in its JSON form."""
    return plan(reflection()).to_dict()


def test_cli_json_gives_each_mechanism_with_reasons_citing_facts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--scenario", "reflection", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {w["name"]: w["mechanism"] for w in data["workloads"]} == EXPECTED
    for entry in data["workloads"]:
        assert entry["reasons"], entry["name"]
        assert all(reason["fact"] in FACTS for reason in entry["reasons"])
    assert data["counts"]["oidc_providers"] == 1 and data["counts"]["pod-identity"] == 2


@pytest.mark.parametrize(("name", "deciding_rule", "fact"), [
    ("checkout-api", "aws-recommends-pod-identity", "eks.aws-recommends-pod-identity"),
    ("analytics-processor", "fargate-needs-irsa", "eks.pod-identity-unsupported"),
    ("admin-dashboard", "aws-recommends-pod-identity", "eks.aws-recommends-pod-identity"),
])
def test_the_deciding_rule_and_its_fact(answer: dict, name: str, deciding_rule: str, fact: str) -> None:
    entry = next(w for w in answer["workloads"] if w["name"] == name)
    assert entry["reasons"][0]["rule"] == deciding_rule
    assert entry["reasons"][0]["fact"] == fact


def test_admin_dashboard_chains_into_the_audit_account_with_both_trust_policies(answer: dict) -> None:
    entry = next(w for w in answer["workloads"] if w["name"] == "admin-dashboard")
    assert "cross-account-target-role" in [r["rule"] for r in entry["reasons"]]
    route = entry["cross_account"]["targets"][0]
    source = route["pod_identity_route"]["source_trust_policy"]["Statement"][0]
    target = route["pod_identity_route"]["target_trust_policy"]["Statement"][0]
    assert source["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert target["Principal"] == {"AWS": entry["role"]["arn"]}
    assert set(target["Action"]) == {"sts:AssumeRole", "sts:TagSession"}
    assert route["target_role_arn"].startswith("arn:aws:iam::444455556666:role/")
    assert route["irsa_route"]["oidc_provider_arn"].startswith("arn:aws:iam::444455556666:oidc-provider/oidc.eks.")
    audit = next(a for a in answer["accounts"] if a["account"] == "audit")
    assert audit["oidc_providers_needed"] == 0  # Pod Identity needs no provider in the audit account


def test_without_target_roles_admin_dashboard_takes_the_irsa_route_through_the_audit_account() -> None:
    data = plan(reflection(), pod_identity_target_roles=False).to_dict()
    entry = next(w for w in data["workloads"] if w["name"] == "admin-dashboard")
    assert entry["mechanism"] == "irsa"
    assert entry["reasons"][0]["rule"] == "cross-account-without-target-roles"
    assert entry["reasons"][0]["fact"] == "eks.pod-identity-target-role"
    assert entry["role"]["arn"] == "arn:aws:iam::444455556666:role/admin-dashboard-audit-read"
    audit = next(a for a in data["accounts"] if a["account"] == "audit")
    assert audit["oidc_providers_needed"] == 1


def test_oidc_providers_for_the_three_clusters(answer: dict) -> None:
    platform = next(a for a in answer["accounts"] if a["account"] == "platform")
    assert platform["clusters"] == 3
    assert platform["irsa_clusters"] == ["prod"]  # only the Fargate analytics processor needs one
    assert platform["oidc_providers_if_all_irsa"] == 3
    assert platform["oidc_provider_quota"] == FACTS["iam.oidc-providers-per-account"].value == 100
    assert any(f["id"] == "oidc-providers" and f["scope"] == "account:platform" for f in answer["findings"])


def _greedy_roles(bindings: list, packing: str, limit: int) -> int:
    """Roles needed, computed the slow obvious way: add bindings until the next one would not fit."""
    roles, current = 0, []
    for binding in bindings:
        if current and policy_size(irsa_trust_policy("111122223333", current + [binding], packing=packing)) > limit:
            roles, current = roles + 1, []
        current.append(binding)
    return roles + (1 if current else 0)


def test_150_service_accounts_under_one_domain_role_favour_pod_identity_with_exact_numbers(answer: dict) -> None:
    group = answer["sharing_groups"][0]
    assert group["service_accounts"] == 150 and group["clusters"] == 3
    assert group["mechanism"] == "pod-identity"
    assert group["pod_identity"]["roles"] == 1
    assert group["pod_identity"]["associations_per_cluster"] == {"dev": 50, "staging": 50, "prod": 50}
    inventory = reflection()
    bindings = [(inventory.clusters[c].oidc_issuer, "checkout", f"checkout-svc-{i:02d}")
                for c in ("dev", "staging", "prod") for i in range(1, 51)]
    for row in group["irsa"]:
        assert row["roles"] == _greedy_roles(bindings, row["packing"], row["limit"]), row
    per_sa = {row["limit"]: row["roles"] for row in group["irsa"] if row["packing"] == "per-sa"}
    assert sorted(per_sa) == sorted(trust_policy_ceilings()) == [2048, 4096, 8192]
    assert per_sa[2048] > per_sa[4096] > per_sa[8192] > 1
    assert {reason["fact"] for reason in group["reasons"]} >= {
        "iam.trust-policy-size-default", "iam.trust-policy-size-raised", "iam.trust-policy-size-raised-2026",
        "eks.pod-identity-associations-per-cluster"}


def test_imds_hardening_is_reported_for_every_cluster_with_ec2_nodes(answer: dict) -> None:
    scopes = {f["scope"] for f in answer["findings"] if f["id"] == "imds-hardening"}
    assert scopes == {"cluster:dev", "cluster:staging", "cluster:prod"}
    finding = next(f for f in answer["findings"] if f["id"] == "imds-hardening")
    assert "HttpPutResponseHopLimit=1" in finding["fix"] and finding["fact"] == "eks.imds-hardening"


def test_every_rule_and_finding_cites_a_known_fact() -> None:
    from labkit.decide.rules import RULES

    assert all(rule.fact in FACTS for rule in RULES)
    assert all(f["fact"] in FACTS for f in plan(reflection()).to_dict()["findings"])
