"""The reflection plan's CLI steps, run with the real AWS CLI (awscli v1) against the lab, leave the roles,
OIDC provider and associations the plan describes; a failing step shows the CLI's own error text; pods'
`aws` is the real CLI too, with IRSA and with Pod Identity."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("awscli", reason="pip install -e '.[dev]' (awscli)")

from labkit.decide import plan, reflection
from labkit.decide.result import Plan
from labkit.sim import Lab
from labkit.sim.cli import ShellStep, parse_shell_steps, run_aws
from labkit.sim.cluster import Cluster

CLUSTER = "prod"
AUDIT_ACCOUNT = "444455556666"
PROFILES = {"audit": AUDIT_ACCOUNT}  # the plan's `--profile audit` lines


@dataclasses.dataclass
class Run:
    """What running every workload's steps did: the lab, its cluster, the plan, and the steps not run."""

    lab: Lab
    cluster: Cluster
    plan: Plan
    skipped: list[tuple[str, str]]


def plan_for(cluster: Cluster) -> Plan:
    """The reflection plan, for the lab's prod cluster (its trust policies name the lab issuer)."""
    inventory = reflection()
    clusters = dict(inventory.clusters)
    clusters[CLUSTER] = dataclasses.replace(clusters[CLUSTER], oidc_issuer=cluster.oidc_issuer)
    return plan(dataclasses.replace(inventory, clusters=clusters))


def aws(lab: Lab, argv: list[str] | tuple[str, ...], folder: Path) -> str:
    """Run one `aws` step; a failure stops the test with the CLI's own stderr."""
    result = run_aws(lab, list(argv), profiles=PROFILES, cwd=folder)
    assert result.returncode == 0, f"aws {' '.join(argv)}\n{result.stderr}"
    return result.stdout


def associate_oidc_provider(lab: Lab, step: ShellStep, folder: Path) -> None:
    """`eksctl utils associate-iam-oidc-provider --approve`: what eksctl does, with the real CLI (once)."""
    name = step.argv[step.argv.index("--cluster") + 1]
    issuer = aws(lab, ["eks", "describe-cluster", "--name", name, "--query", "cluster.identity.oidc.issuer",
                       "--output", "text"], folder).strip()
    known = aws(lab, ["iam", "list-open-id-connect-providers"], folder)
    if issuer.removeprefix("https://") not in known:
        aws(lab, ["iam", "create-open-id-connect-provider", "--url", issuer, "--client-id-list", "sts.amazonaws.com"],
            folder)


def kubectl(cluster: Cluster, step: ShellStep) -> None:
    """The plan's two kubectl lines, through the lab's API server (its kubectl has no create/annotate)."""
    first = step.pipeline[0]
    namespace = first[first.index("-n") + 1]
    if first[1:3] == ("create", "serviceaccount"):  # `... --dry-run=client -o yaml | kubectl apply -f -`
        assert step.pipeline[1][:4] == ("kubectl", "apply", "-f", "-")
        cluster.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": first[3], "namespace": namespace}})
    elif first[1:3] == ("annotate", "serviceaccount"):
        account = cluster.get("ServiceAccount", first[3], namespace)
        key, _, value = next(t for t in first[4:] if "=" in t and not t.startswith("-")).partition("=")
        account["metadata"].setdefault("annotations", {})[key] = value
        cluster.apply(account)
    else:
        raise AssertionError(f"kubectl step the test does not know: {step.text}")


def run_steps(lab: Lab, cluster: Cluster, steps: list[ShellStep], folder: Path, done: set[tuple[str, ...]],
              skipped: list[tuple[str, str]]) -> None:
    """Every step in order; a step the test does not know fails it (none is dropped silently)."""
    for step in steps:
        if step.kind == "file":
            (folder / step.filename).write_text(step.content)
        elif step.kind == "aws":
            if step.argv in done and "once per cluster" in step.text:
                skipped.append((step.text, "once per cluster: an earlier workload ran it"))
                continue
            aws(lab, step.argv[1:], folder)
            done.add(step.argv)
        elif step.argv[:3] == ("eksctl", "utils", "associate-iam-oidc-provider"):
            associate_oidc_provider(lab, step, folder)
        elif step.kind == "kubectl":
            kubectl(cluster, step)
        else:
            raise AssertionError(f"step the test does not know: {step.text}")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    with Lab(seed=0) as lab:
        cluster = lab.create_cluster(CLUSTER)
        cluster.add_nodegroup("workers")
        the_plan = plan_for(cluster)
        cluster.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": w.workload.namespace}}
                       for w in the_plan.workloads])
        done: set[tuple[str, ...]] = set()
        skipped: list[tuple[str, str]] = []
        for workload in the_plan.workloads:
            folder = tmp_path_factory.mktemp(workload.workload.name)
            run_steps(lab, cluster, parse_shell_steps(workload.artifacts.cli_steps), folder, done, skipped)
            if workload.mechanism == "pod-identity":  # its CLI steps leave the ServiceAccount to the manifest artifact
                cluster.apply(workload.artifacts.service_account_manifest)
        lab.advance(seconds=60)  # the add-on becomes ACTIVE, associations take effect
        yield Run(lab, cluster, the_plan, skipped)


def inline_policies(lab: Lab, role_arn: str) -> list[dict[str, Any]]:
    iam = lab.client("iam", role_arn.split(":")[4])
    name = role_arn.rsplit("/", 1)[1]
    return [iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
            for p in iam.list_role_policies(RoleName=name)["PolicyNames"]]


def trust_of(lab: Lab, role_arn: str) -> dict[str, Any]:
    iam = lab.client("iam", role_arn.split(":")[4])
    return iam.get_role(RoleName=role_arn.rsplit("/", 1)[1])["Role"]["AssumeRolePolicyDocument"]


def test_the_plan_has_both_mechanisms(run: Run):
    assert {w.mechanism for w in run.plan.workloads} == {"irsa", "pod-identity"}


def test_only_repeated_once_per_cluster_steps_were_skipped(run: Run):
    assert [reason for _, reason in run.skipped] == ["once per cluster: an earlier workload ran it"]
    assert "create-addon" in run.skipped[0][0]


def test_roles_have_the_trust_and_permissions_the_plan_describes(run: Run):
    for workload in run.plan.workloads:
        assert trust_of(run.lab, workload.role_arn) == workload.artifacts.trust_policy, workload.workload.name
        assert inline_policies(run.lab, workload.role_arn) == [workload.artifacts.permission_policy]


def test_the_target_role_is_in_the_audit_account(run: Run):
    dashboard = run.plan.workload("admin-dashboard")
    target = dashboard.target_role_arn(0)
    assert target.split(":")[4] == AUDIT_ACCOUNT
    assert trust_of(run.lab, target) == dashboard.artifacts.target_trust_policy()
    assert inline_policies(run.lab, target) == [dashboard.artifacts.target_permission_policy()]


def test_the_oidc_provider_is_the_clusters_issuer(run: Run):
    iam = run.lab.client("iam")
    arns = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert arns == [run.cluster.oidc_provider_arn()]
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arns[0])["ClientIDList"] == ["sts.amazonaws.com"]


def test_associations_and_add_on_are_those_of_the_plan(run: Run):
    eks = run.lab.client("eks")
    found = {}
    for summary in eks.list_pod_identity_associations(clusterName=CLUSTER)["associations"]:
        association = eks.describe_pod_identity_association(
            clusterName=CLUSTER, associationId=summary["associationId"])["association"]
        found[(association["namespace"], association["serviceAccount"])] = (
            association["roleArn"], association.get("targetRoleArn"))
    expected = {(w.workload.namespace, w.workload.service_account):
                (w.role_arn, w.target_role_arn(0) if w.workload.targets else None)
                for w in run.plan.workloads if w.mechanism == "pod-identity"}
    assert found == expected
    addon = eks.describe_addon(clusterName=CLUSTER, addonName="eks-pod-identity-agent")["addon"]
    assert addon["status"] == "ACTIVE"


def test_irsa_service_account_is_annotated_with_the_role(run: Run):
    for workload in run.plan.workloads:
        if workload.mechanism == "irsa":
            account = run.cluster.get("ServiceAccount", workload.workload.service_account, workload.workload.namespace)
            assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == workload.role_arn


@pytest.mark.parametrize("name", ["analytics-processor", "checkout-api", "admin-dashboard"])
def test_a_pods_aws_cli_gets_the_planned_role(run: Run, name: str):
    workload = run.plan.workload(name)
    expected_role = workload.target_role_arn(0) if workload.workload.targets else workload.role_arn
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": f"cli-{name}", "namespace": workload.workload.namespace},
           "spec": {"serviceAccountName": workload.workload.service_account, "restartPolicy": "Never",
                    "containers": [{"name": "cli", "image": "amazon/aws-cli",
                                    "command": ["aws", "sts", "get-caller-identity", "--output", "json"]}]}}
    result = run.cluster.run_pod(pod)
    assert result.ok, result.stderr
    arn = json.loads(result.stdout)["Arn"]
    account, role = expected_role.split(":")[4], expected_role.rsplit("/", 1)[1]
    assert arn.startswith(f"arn:aws:sts::{account}:assumed-role/{role}/")
    variable = "AWS_ROLE_ARN" if workload.mechanism == "irsa" else "AWS_CONTAINER_CREDENTIALS_FULL_URI"
    assert variable in result.env


# -- failing steps: the CLI's own words ----------------------------------------------------------------------------------
MALFORMED_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
    "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}]})


def test_a_malformed_trust_policy_fails_with_the_clis_error_text(run: Run, tmp_path: Path):
    (tmp_path / "trust-policy.json").write_text(MALFORMED_TRUST)
    result = run_aws(run.lab, "iam create-role --role-name broken --assume-role-policy-document file://trust-policy.json",
                     cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip().startswith(
        "An error occurred (MalformedPolicyDocument) when calling the CreateRole operation: ")


def test_an_association_with_a_role_in_another_account_fails_with_the_clis_error_text(run: Run):
    target = run.plan.workload("admin-dashboard").target_role_arn(0)  # exists, but in the audit account
    result = run_aws(run.lab, ["eks", "create-pod-identity-association", "--cluster-name", CLUSTER, "--namespace",
                               "admin", "--service-account", "other-sa", "--role-arn", target])
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "An error occurred (InvalidParameterException) when calling the CreatePodIdentityAssociation operation: "
        f"The role {target} must be in the same account as the cluster (111122223333)")


def test_the_cli_never_sees_the_callers_aws_settings(run: Run, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_PROFILE", "does-not-exist")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://sts.amazonaws.com")
    result = run_aws(run.lab, "sts get-caller-identity --query Arn --output text")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "arn:aws:iam::111122223333:root"
