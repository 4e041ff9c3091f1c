"""Change the estate and the answer changes the way AWS's constraints say it must."""

from __future__ import annotations

from typing import Any

import yaml

from labkit.decide import parse_inventory, plan
from labkit.decide.inventory import Inventory
from labkit.facts import value
from labkit.policy import irsa_trust_policy, policy_size

ACCOUNT = {"name": "platform", "id": "111122223333"}


def cluster(name: str = "prod", **fields: Any) -> dict[str, Any]:
    """An EKS cluster with Linux EC2 nodes unless fields say otherwise."""
    return {"name": name, "account": "platform", "region": "us-east-1", "platform": "eks",
            "kubernetes_version": "1.31", "node_kinds": ["ec2-linux"], **fields}


def workload(name: str = "app", cluster_name: str = "prod", **fields: Any) -> dict[str, Any]:
    """A workload with one S3 need."""
    return {"name": name, "cluster": cluster_name, "namespace": fields.pop("namespace", "apps"),
            "service_account": fields.pop("service_account", f"{name}-sa"),
            "needs": [{"service": "s3", "actions": ["GetObject"], "resources": ["arn:aws:s3:::data/*"]}],
            **fields}


def inventory(clusters: list[dict[str, Any]] | None = None, workloads: list[dict[str, Any]] | None = None,
              **sections: Any) -> Inventory:
    """An Inventory parsed from YAML text, as a user's file would be."""
    doc = {"accounts": sections.pop("accounts", [ACCOUNT]), "clusters": clusters or [cluster()],
           "workloads": workloads if workloads is not None else [workload()], **sections}
    return parse_inventory(yaml.safe_dump(doc, sort_keys=False), file="test.yaml")


def _mechanisms(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {p.workload.name: p.mechanism for p in result.workloads}


def _fired(result, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [rule.id for rule in result.workload(name).verdict.fired]


def test_120_irsa_clusters_in_one_account_exceed_the_oidc_provider_quota() -> None:
    clusters = [cluster(f"c{i:03d}", node_kinds=["fargate"], fargate_profiles=[
        {"name": "all", "selectors": [{"namespace": "apps"}]}]) for i in range(120)]
    result = plan(inventory(clusters, [workload(f"w{i:03d}", f"c{i:03d}") for i in range(120)]))
    assert set(_mechanisms(result).values()) == {"irsa"}
    summary = result.account("platform")
    assert summary.oidc_providers_needed == 120 > summary.oidc_provider_quota == 100
    finding = next(f for f in result.findings if f.id == "oidc-provider-quota")
    assert finding.severity == "error" and finding.fact == "iam.oidc-providers-per-account"
    assert str(value("iam.oidc-providers-per-account-max")) in finding.fix


def test_120_ec2_clusters_choose_pod_identity_and_avoid_the_quota() -> None:
    clusters = [cluster(f"c{i:03d}") for i in range(120)]
    result = plan(inventory(clusters, [workload(f"w{i:03d}", f"c{i:03d}", current="irsa") for i in range(120)]))
    assert set(_mechanisms(result).values()) == {"pod-identity"}
    assert result.account("platform").oidc_providers_needed == 0
    assert [f.id for f in result.findings if f.scope == "account:platform"] == ["oidc-provider-quota-avoided"]
    assert len(result.migrations) == 120 and "migrate-from-irsa" in _fired(result, "w000")


def test_a_raised_oidc_quota_is_respected() -> None:
    clusters = [cluster(f"c{i:03d}", node_kinds=["ec2-windows"]) for i in range(120)]
    accounts = [{**ACCOUNT, "oidc_provider_quota": 200}]
    result = plan(inventory(clusters, [workload(f"w{i:03d}", f"c{i:03d}") for i in range(120)], accounts=accounts))
    assert not [f for f in result.findings if f.id == "oidc-provider-quota"]


def test_a_windows_node_group_uses_irsa() -> None:
    result = plan(inventory([cluster(node_kinds=["ec2-linux", "ec2-windows"])],
                            [workload("win", compute="ec2-windows"), workload("lin")]))
    assert _mechanisms(result) == {"win": "irsa", "lin": "pod-identity"}
    assert _fired(result, "win")[0] == "windows-needs-irsa"
    assert result.workload("win").verdict.fired[0].fact == "eks.pod-identity-unsupported"


def test_windows_only_cluster_defaults_undeclared_pods_to_windows() -> None:
    result = plan(inventory([cluster(node_kinds=["ec2-windows"])], [workload()]))
    assert result.workload("app").compute == "ec2-windows" and result.workload("app").mechanism == "irsa"


def test_eks_anywhere_uses_irsa() -> None:
    result = plan(inventory([cluster(platform="eks-anywhere")], [workload()]))
    assert _mechanisms(result) == {"app": "irsa"}
    assert _fired(result, "app")[0] == "platform-without-pod-identity"
    assert "aws-recommends-pod-identity" in result.workload("app").not_applicable
    assert result.account("platform").oidc_providers_needed == 1
    assert "create-open-id-connect-provider" in result.workload("app").artifacts.cli_steps


def test_every_non_eks_platform_uses_irsa() -> None:
    for platform in ("self-managed", "rosa", "outposts"):
        assert _mechanisms(plan(inventory([cluster(platform=platform)], [workload()]))) == {"app": "irsa"}


def test_a_shared_irsa_role_for_8_service_accounts_across_3_clusters() -> None:
    profile = [{"name": "batch", "selectors": [{"namespace": "batch"}]}]
    clusters = [cluster(name, node_kinds=["ec2-linux", "fargate"], fargate_profiles=profile)
                for name in ("dev", "staging", "prod")]
    members = [workload(f"job-{i}", ("dev", "staging", "prod")[i % 3], namespace="batch",
                        sharing_group="batch-domain") for i in range(8)]
    result = plan(inventory(clusters, members,
                            sharing_groups=[{"name": "batch-domain", "role_name": "batch-domain-role"}]))
    group = result.group("batch-domain")
    assert group.mechanism == "irsa" and len(group.members) == 8 and len(group.associations_per_cluster) == 3
    issuers = {name: c.oidc_issuer for name, c in result.inventory.clusters.items()}
    bindings = [(issuers[c], ns, sa) for c, ns, sa in group.members]
    one_policy = {packing: policy_size(irsa_trust_policy("111122223333", bindings, packing=packing))
                  for packing in ("per-sa", "per-cluster")}
    assert {packing: group.characters(packing) for packing in one_policy} == one_policy
    # Eight statements of ~430 characters overflow 2,048 but fit the raised quotas; per cluster fits at once.
    assert one_policy["per-sa"] > 2048 and one_policy["per-cluster"] < 2048
    assert (group.roles("per-sa", 2048), group.roles("per-sa", 4096), group.roles("per-sa", 8192)) == (2, 1, 1)
    assert group.roles("per-cluster", 2048) == 1
    finding = next(f for f in result.findings if f.id == "shared-role-trust-policy-size")
    assert finding.severity == "warning" and "2 roles" in finding.message
    assert "shared-role-trust-policy-size" in _fired(result, "job-0")
    trust = result.workload("job-0").artifacts.trust_policy
    assert len(trust["Statement"]) == 3  # the shared role's trust, one statement per cluster


def test_a_shared_pod_identity_role_gets_an_abac_policy() -> None:
    members = [workload(f"svc-{i}", namespace=f"team-{i}", sharing_group="domain",
                        needs=[{"service": "s3", "actions": ["GetObject"],
                                "resources": [f"arn:aws:s3:::data-team-{i}/*"]}]) for i in range(3)]
    result = plan(inventory([cluster()], members, sharing_groups=[{"name": "domain", "role_name": "domain-role"}]))
    assert result.group("domain").mechanism == "pod-identity"
    abac = result.workload("svc-1").artifacts.abac_policy
    assert abac["Statement"][0]["Resource"] == "arn:aws:s3:::data-${aws:PrincipalTag/kubernetes-namespace}/*"
    assert result.workload("svc-1").role_name == "domain-role"


def test_pod_identity_minimum_versions() -> None:
    cases = {("1.23", None): "irsa", ("1.28", "eks.3"): "irsa", ("1.28", "eks.4"): "pod-identity",
             ("1.24", "eks.13"): "pod-identity", ("1.30", "eks.1"): "pod-identity"}
    for (version, platform_version), expected in cases.items():
        extra = {"platform_version": platform_version} if platform_version else {}
        result = plan(inventory([cluster(kubernetes_version=version, **extra)], [workload()]))
        assert result.workload("app").mechanism == expected, (version, platform_version)


def test_a_fargate_profile_decides_compute_whatever_was_declared() -> None:
    profile = [{"name": "web", "selectors": [{"namespace": "apps", "labels": {"tier": "web"}}]}]
    result = plan(inventory([cluster(node_kinds=["ec2-linux", "fargate"], fargate_profiles=profile)],
                            [workload("web", compute="ec2-linux", labels={"tier": "web"}),
                             workload("api", labels={"tier": "api"}),
                             workload("lost", compute="fargate", labels={"tier": "api"})]))
    assert _mechanisms(result) == {"web": "irsa", "api": "pod-identity", "lost": "irsa"}
    assert "fargate-profile-overrides-compute" in _fired(result, "web")
    assert [b.rule.id for b in result.workload("lost").blockers] == ["fargate-without-profile"]


def test_a_proxy_without_the_agent_in_no_proxy_blocks_pod_identity() -> None:
    proxy = {"https_proxy": "http://proxy:3128", "no_proxy": ["localhost", "10.0.0.0/8"]}
    bypass = {"https_proxy": "http://proxy:3128", "no_proxy": "localhost,169.254.170.23,fd00:ec2::23"}
    cidr = {"https_proxy": "http://proxy:3128", "no_proxy": ["169.254.0.0/16"]}
    result = plan(inventory(workloads=[workload("a", proxy=proxy), workload("b", proxy=bypass),
                                       workload("c", proxy=cidr)]))
    assert [b.rule.fact for b in result.workload("a").blockers] == ["eks.pod-identity-agent-address"]
    assert not result.workload("b").blockers and not result.workload("c").blockers


def test_the_association_quota_per_cluster() -> None:
    quota = value("eks.pod-identity-associations-per-cluster")
    workloads = [workload(f"w{i}", service_account=f"sa{i}") for i in range(quota + 1)]
    result = plan(inventory(workloads=workloads))
    finding = next(f for f in result.findings if f.id == "pod-identity-association-quota")
    assert finding.scope == "cluster:prod" and str(quota + 1) in finding.message


def test_hardened_and_open_imds_settings() -> None:
    result = plan(inventory([cluster("good", node_metadata={"http_tokens": "required", "hop_limit": 1}),
                             cluster("bad", node_metadata={"http_tokens": "optional", "hop_limit": 2}),
                             cluster("serverless", node_kinds=["fargate"])], [workload(cluster_name="good")]))
    ids = {f.scope: f.id for f in result.findings if f.fact == "eks.imds-hardening"}
    assert ids == {"cluster:good": "imds-hardened", "cluster:bad": "imds-open"}


def test_irsa_cross_account_chains_when_the_workload_also_needs_its_own_account() -> None:
    accounts = [ACCOUNT, {"name": "audit", "id": "444455556666"}]
    target = {"account": "audit", "role_name": "audit-read",
              "needs": [{"service": "s3", "actions": ["GetObject"], "resources": ["arn:aws:s3:::audit/*"]}]}
    result = plan(inventory([cluster(node_kinds=["fargate"], fargate_profiles=[
        {"name": "all", "selectors": [{"namespace": "apps"}]}])],
        [workload("both", targets=[target]), workload("only", targets=[target], needs=[])], accounts=accounts))
    both, only = result.workload("both"), result.workload("only")
    assert both.mechanism == only.mechanism == "irsa"
    assert "irsa-cross-account-chain" in _fired(result, "both") and "irsa-cross-account-chain" not in _fired(result, "only")
    assert both.role_arn.startswith("arn:aws:iam::111122223333:") and only.role_arn.startswith("arn:aws:iam::444455556666:")
    chained = both.artifacts.target_trust_policy()["Statement"][0]
    assert chained["Principal"] == {"AWS": both.role_arn} and chained["Action"] == "sts:AssumeRole"
    assert {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": both.target_role_arn()} in \
        both.artifacts.permission_policy["Statement"]
    assert result.account("audit").oidc_providers_needed == 1  # only the direct route needs a provider there


def test_an_ipv6_cluster_needs_the_ipv6_agent_address_in_no_proxy() -> None:
    v4_only = {"https_proxy": "http://proxy:3128", "no_proxy": ["169.254.170.23"]}
    both = {"https_proxy": "http://proxy:3128", "no_proxy": "169.254.170.23,[fd00:ec2::23]"}
    result = plan(inventory([cluster(ip_family="ipv6")], [workload("a", proxy=v4_only), workload("b", proxy=both)]))
    assert [b.rule.id for b in result.workload("a").blockers] == ["proxy-hides-agent"]
    assert not result.workload("b").blockers


def test_an_sdk_older_than_pod_identity_support_is_a_blocker() -> None:
    result = plan(inventory(workloads=[workload("old", sdk={"boto3": "1.33.13"}), workload("new", sdk={"boto3": "1.34.41"}),
                                       workload("java", sdk={"java-v2": "2.21.29"})]))
    assert [b.rule.fact for b in result.workload("old").blockers] == ["eks.pod-identity-min-sdk"]
    assert "boto3 1.34.41" in result.workload("old").blockers[0].because
    assert not result.workload("new").blockers and result.workload("java").blockers
