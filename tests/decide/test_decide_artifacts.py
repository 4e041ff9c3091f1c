"""Set-up artifacts: what the planner generates is valid, least-privilege, and passes labkit.audit."""

from __future__ import annotations

import json

import pytest
import yaml

from labkit.audit import audit_text
from labkit.decide import parse_inventory, plan, reflection, scenarios
from labkit.facts import value


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return plan(reflection())


def test_pod_identity_artifacts(result) -> None:  # type: ignore[no-untyped-def]
    artifacts = result.workload("checkout-api").artifacts
    assert artifacts.trust_policy["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    actions = {a for s in artifacts.permission_policy["Statement"] for a in
               ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                       "dynamodb:Query", "sns:Publish", "secretsmanager:GetSecretValue"}
    assert all(s["Resource"] != "*" for s in artifacts.permission_policy["Statement"])
    assert 'iam.ServicePrincipal("pods.eks.amazonaws.com").with_session_tags()' in artifacts.cdk_snippet
    assert "eks.CfnPodIdentityAssociation(" in artifacts.cdk_snippet
    assert "create-pod-identity-association --cluster-name prod" in artifacts.cli_steps
    assert "eks.amazonaws.com/role-arn" not in yaml.safe_load(artifacts.service_account_manifest)["metadata"]
    config = yaml.safe_load(artifacts.eksctl_config)
    assert config["iam"]["podIdentityAssociations"][0]["serviceAccountName"] == "checkout-api-sa"


def test_irsa_artifacts(result) -> None:  # type: ignore[no-untyped-def]
    analytics = result.workload("analytics-processor")
    artifacts = analytics.artifacts
    condition = artifacts.trust_policy["Statement"][0]["Condition"]["StringEquals"]
    issuer = analytics.cluster.issuer_host
    assert condition == {f"{issuer}:aud": "sts.amazonaws.com",
                         f"{issuer}:sub": "system:serviceaccount:analytics:analytics-processor-sa"}
    manifest = yaml.safe_load(artifacts.service_account_manifest)
    assert manifest["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == analytics.role_arn
    assert "eksctl utils associate-iam-oidc-provider --cluster prod" in artifacts.cli_steps
    assert yaml.safe_load(artifacts.eksctl_config)["iam"]["withOIDC"] is True
    assert "iam.WebIdentityPrincipal(" in artifacts.cdk_snippet
    assert artifacts.sizes()["trust_policy"] <= value("iam.trust-policy-size-default")


def test_target_role_chain_permissions(result) -> None:  # type: ignore[no-untyped-def]
    admin = result.workload("admin-dashboard")
    statement = admin.artifacts.permission_policy["Statement"][0]
    assert statement["Resource"] == admin.target_role_arn() and set(statement["Action"]) == {
        "sts:AssumeRole", "sts:TagSession"}
    assert "--target-role-arn arn:aws:iam::444455556666:role/admin-dashboard-audit-read" in admin.artifacts.cli_steps
    target = admin.artifacts.target_permission_policy()
    assert {s["Resource"] for s in target["Statement"]} == {"arn:aws:s3:::audit-logs-444455556666",
                                                            "arn:aws:s3:::audit-logs-444455556666/*"}


def test_irsa_route_into_the_audit_account_when_target_roles_are_off() -> None:
    admin = plan(reflection(), pod_identity_target_roles=False).workload("admin-dashboard")
    trust = admin.artifacts.trust_policy["Statement"][0]
    assert trust["Principal"]["Federated"].startswith("arn:aws:iam::444455556666:oidc-provider/")
    assert "create-open-id-connect-provider" in admin.artifacts.cli_steps and "--profile audit" in admin.artifacts.cli_steps
    assert {s["Resource"] for s in admin.artifacts.permission_policy["Statement"]} >= {
        "arn:aws:s3:::audit-logs-444455556666/*"}


@pytest.mark.parametrize("mode", [True, False])
def test_generated_documents_pass_the_audit(mode: bool) -> None:
    for workload in plan(reflection(), pod_identity_target_roles=mode).workloads:
        artifacts = workload.artifacts
        documents = [json.dumps(artifacts.trust_policy), json.dumps(artifacts.permission_policy)]
        documents += [json.dumps(artifacts.target_trust_policy(i)) for i in range(len(workload.workload.targets))]
        for text in documents:
            assert audit_text(text, file="policy.json", json_file=True).findings == ()
        assert audit_text(artifacts.service_account_manifest).findings == ()
        assert audit_text(artifacts.eksctl_config).findings == ()


def test_artifacts_text_and_dict(result) -> None:  # type: ignore[no-untyped-def]
    artifacts = result.workload("admin-dashboard").artifacts
    text = artifacts.text()
    assert "-- target role trust policy (audit) --" in text and "-- CDK (Python) --" in text
    assert set(artifacts.to_dict()) >= {"trust_policy", "permission_policy", "cli_steps", "eksctl_config",
                                        "cdk_snippet", "service_account_manifest", "sizes"}


def test_migration_steps_in_a_safe_order() -> None:
    text = scenarios.text("reflection").replace("    service_account: checkout-api-sa\n",
                                                "    service_account: checkout-api-sa\n    current: irsa\n")
    moved = plan(parse_inventory(text))
    (migration,) = moved.migrations
    assert [w.workload.name for w in migration.workloads] == ["checkout-api"]
    steps = [step["step"] for step in migration.steps()]
    order = [next(i for i, s in enumerate(steps) if words in s)
             for words in ("add-on", "Create one association", "Remove the eks.amazonaws.com/role-arn", "Restart")]
    assert order == sorted(order)
    assert any("6 h" in s and "59 min" in s for s in steps)
    assert "migrate-from-irsa" in [rule.id for rule in moved.workloads[0].verdict.fired]
