"""EKS Pod Identity: associations, the agent add-on, and EKS Auth AssumeRoleForPodIdentity with ABAC."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from labkit.sim import Lab
from labkit.sim.cluster import Cluster
from labkit.sim.sessions import Credentials

from lab_helpers import ACCOUNT, OTHER_ACCOUNT, allow, create_role, doc, error_code

PODS = "pods.eks.amazonaws.com"
POD_TRUST = doc({"Effect": "Allow", "Principal": {"Service": PODS}, "Action": ["sts:AssumeRole", "sts:TagSession"]})
EC2_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
ABAC = allow("s3:GetObject", "arn:aws:s3:::team-${aws:PrincipalTag/kubernetes-namespace}/*")


@pytest.fixture(scope="module")
def cluster(lab: Lab) -> Cluster:
    cluster = lab.create_cluster("pods")
    s3 = lab.client("s3")
    for namespace in ("alpha", "beta"):
        s3.create_bucket(Bucket=f"team-{namespace}")
        s3.put_object(Bucket=f"team-{namespace}", Key="data.txt", Body=namespace.encode())
    create_role(lab, "app-pod-identity", POD_TRUST, ABAC, allow(["sts:AssumeRole", "sts:TagSession"]))
    create_role(lab, "node-role", EC2_TRUST, allow("eks-auth:AssumeRoleForPodIdentity", cluster.arn))
    return cluster


@pytest.fixture(scope="module")
def agent(lab: Lab, cluster: Cluster) -> Any:
    """The eks-auth client a node's Pod Identity agent uses: the node role's instance credentials."""
    node = lab.instance_credentials(f"arn:aws:iam::{ACCOUNT}:role/node-role", "i-0123456789abcdef0")
    return lab.client("eks-auth", credentials=node)


def associate(lab: Lab, namespace: str, service_account: str = "app", role: str = "app-pod-identity",
              settle: bool = True, **extra: Any) -> dict[str, Any]:
    answer = lab.client("eks").create_pod_identity_association(
        clusterName="pods", namespace=namespace, serviceAccount=service_account,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", **extra)["association"]
    if settle:
        lab.advance(seconds=5)  # past the association delay (eventual consistency)
    return answer


def pod_token(cluster: Cluster, namespace: str, service_account: str = "app", pod: str = "app-7d9f", **extra: Any) -> str:
    return cluster.mint_token(namespace, service_account, audience=PODS, pod=pod, node="ip-10-0-1-23", **extra)


def credentials(answer: dict[str, Any]) -> Credentials:
    creds = answer["credentials"]
    return Credentials(creds["accessKeyId"], creds["secretAccessKey"], creds["sessionToken"])


@pytest.fixture(scope="module")
def alpha_and_beta(lab: Lab, cluster: Cluster) -> None:
    associate(lab, "alpha")
    associate(lab, "beta")


def test_pod_identity_session_carries_the_six_tags(lab: Lab, cluster: Cluster, agent: Any, alpha_and_beta: None) -> None:
    answer = agent.assume_role_for_pod_identity(clusterName="pods", token=pod_token(cluster, "alpha"))
    assert answer["subject"] == {"namespace": "alpha", "serviceAccount": "app"}
    assert answer["audience"] == PODS
    arn = answer["assumedRoleUser"]["arn"]
    assert re.fullmatch(rf"arn:aws:sts::{ACCOUNT}:assumed-role/app-pod-identity/eks-pods-app-7d9f-[0-9a-f-]{{36}}", arn)
    session = lab.sessions.get(answer["credentials"]["accessKeyId"])
    assert session is not None
    assert session.tags == {
        "eks-cluster-arn": cluster.arn, "eks-cluster-name": "pods", "kubernetes-namespace": "alpha",
        "kubernetes-service-account": "app", "kubernetes-pod-name": "app-7d9f",
        "kubernetes-pod-uid": session.tags["kubernetes-pod-uid"],
    }
    assert session.transitive_tag_keys == frozenset(session.tags)
    assert answer["credentials"]["expiration"] == session.expiration  # lab time, six hours ahead
    assert (session.expiration - lab.clock.now()).total_seconds() == 6 * 3600
    assert lab.client("sts", credentials=credentials(answer)).get_caller_identity()["Arn"] == arn


def test_abac_each_namespace_reads_only_its_own_bucket(lab: Lab, cluster: Cluster, agent: Any,
                                                       alpha_and_beta: None) -> None:
    for mine, theirs in (("alpha", "beta"), ("beta", "alpha")):
        answer = agent.assume_role_for_pod_identity(clusterName="pods", token=pod_token(cluster, mine))
        s3 = lab.client("s3", credentials=credentials(answer))
        assert s3.get_object(Bucket=f"team-{mine}", Key="data.txt")["Body"].read() == mine.encode()
        with pytest.raises(ClientError) as denied:
            s3.get_object(Bucket=f"team-{theirs}", Key="data.txt")
        assert error_code(denied) == "AccessDenied"


@pytest.mark.parametrize(("case", "code"), [
    ("sts-audience", "InvalidTokenException"),
    ("other-cluster", "InvalidTokenException"),
    ("no-pod-binding", "InvalidTokenException"),
    ("expired", "ExpiredTokenException"),
    ("not-a-jwt", "InvalidParameterException"),
    ("unknown-service-account", "ResourceNotFoundException"),
])
def test_eks_auth_refuses_bad_pod_tokens(lab: Lab, cluster: Cluster, agent: Any, alpha_and_beta: None,
                                         case: str, code: str) -> None:
    tokens = {
        "sts-audience": lambda: cluster.mint_token("alpha", "app", pod="p"),
        "other-cluster": lambda: lab.create_cluster("elsewhere").mint_token("alpha", "app", audience=PODS, pod="p"),
        "no-pod-binding": lambda: cluster.mint_token("alpha", "app", audience=PODS),
        "expired": lambda: pod_token(cluster, "alpha", expires_in=-1),
        "not-a-jwt": lambda: "definitely not a token",
        "unknown-service-account": lambda: pod_token(cluster, "alpha", "nobody"),
    }
    with pytest.raises(ClientError) as refused:
        agent.assume_role_for_pod_identity(clusterName="pods", token=tokens[case]())
    assert error_code(refused) == code


def test_the_caller_needs_eks_auth_permission(lab: Lab, cluster: Cluster, alpha_and_beta: None) -> None:
    create_role(lab, "bare-node", EC2_TRUST, allow("s3:ListAllMyBuckets"))
    bare = lab.instance_credentials(f"arn:aws:iam::{ACCOUNT}:role/bare-node", "i-0fedcba9876543210")
    with pytest.raises(ClientError) as denied:
        lab.client("eks-auth", credentials=bare).assume_role_for_pod_identity(
            clusterName="pods", token=pod_token(cluster, "alpha"))
    assert error_code(denied) == "AccessDeniedException"
    assert "eks-auth:AssumeRoleForPodIdentity" in denied.value.response["Error"]["Message"]


def test_a_trust_policy_without_tag_session_is_refused_unless_tags_are_disabled(
        lab: Lab, cluster: Cluster, agent: Any) -> None:
    no_tags = doc({"Effect": "Allow", "Principal": {"Service": PODS}, "Action": "sts:AssumeRole"})
    create_role(lab, "no-tag-session", no_tags, allow("s3:ListAllMyBuckets"))
    associate(lab, "gamma", role="no-tag-session")
    with pytest.raises(ClientError) as denied:
        agent.assume_role_for_pod_identity(clusterName="pods", token=pod_token(cluster, "gamma"))
    assert error_code(denied) == "AccessDeniedException" and "sts:TagSession" in str(denied.value)
    associate(lab, "delta", role="no-tag-session", disableSessionTags=True)
    answer = agent.assume_role_for_pod_identity(clusterName="pods", token=pod_token(cluster, "delta"))
    assert lab.sessions.get(answer["credentials"]["accessKeyId"]).tags == {}


def test_a_new_association_takes_effect_after_the_consistency_delay(lab: Lab, cluster: Cluster, agent: Any) -> None:
    associate(lab, "late", settle=False)
    with pytest.raises(ClientError) as not_yet:
        agent.assume_role_for_pod_identity(clusterName="pods", token=pod_token(cluster, "late"))
    assert error_code(not_yet) == "ResourceNotFoundException"
    lab.advance(seconds=lab.eks.association_delay.total_seconds())
    assert agent.assume_role_for_pod_identity(clusterName="pods", token=pod_token(cluster, "late"))["subject"]


def test_a_target_role_in_another_account_is_chained(lab: Lab, cluster: Cluster, agent: Any) -> None:
    source = f"arn:aws:iam::{ACCOUNT}:role/app-pod-identity"
    target_trust = doc({"Effect": "Allow", "Principal": {"AWS": source}, "Action": ["sts:AssumeRole", "sts:TagSession"]})
    target = create_role(lab, "cross-target", target_trust, allow("s3:ListAllMyBuckets"), account_id=OTHER_ACCOUNT)
    association = associate(lab, "cross", targetRoleArn=target)
    assert association["targetRoleArn"] == target and association["externalId"]
    answer = agent.assume_role_for_pod_identity(clusterName="pods", token=pod_token(cluster, "cross"))
    assert answer["assumedRoleUser"]["arn"].startswith(f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/cross-target/eks-pods-")
    session = lab.sessions.get(answer["credentials"]["accessKeyId"])
    assert session.chained and session.tags["kubernetes-namespace"] == "cross"
    assert (session.expiration - lab.clock.now()).total_seconds() == 59 * 60


def test_association_lifecycle(lab: Lab, cluster: Cluster) -> None:
    eks = lab.client("eks")
    created = associate(lab, "crud", "worker", settle=False)
    assert created["associationArn"] == (f"arn:aws:eks:us-east-1:{ACCOUNT}:podidentityassociation/pods/"
                                         f"{created['associationId']}")
    assert re.fullmatch(r"a-[a-z0-9]{17}", created["associationId"])
    described = eks.describe_pod_identity_association(clusterName="pods", associationId=created["associationId"])
    assert described["association"]["serviceAccount"] == "worker"
    listed = eks.list_pod_identity_associations(clusterName="pods", namespace="crud")["associations"]
    assert [a["associationId"] for a in listed] == [created["associationId"]]
    with pytest.raises(ClientError) as duplicate:
        associate(lab, "crud", "worker", settle=False)
    assert error_code(duplicate) == "ResourceInUseException"
    updated = eks.update_pod_identity_association(clusterName="pods", associationId=created["associationId"],
                                                  disableSessionTags=True)["association"]
    assert updated["disableSessionTags"] is True
    eks.delete_pod_identity_association(clusterName="pods", associationId=created["associationId"])
    with pytest.raises(ClientError) as gone:
        eks.describe_pod_identity_association(clusterName="pods", associationId=created["associationId"])
    assert error_code(gone) == "ResourceNotFoundException"


@pytest.mark.parametrize(("params", "code"), [
    ({"clusterName": "missing-cluster"}, "ResourceNotFoundException"),
    ({"roleArn": f"arn:aws:iam::{OTHER_ACCOUNT}:role/app-pod-identity"}, "InvalidParameterException"),
    ({"roleArn": f"arn:aws:iam::{ACCOUNT}:role/no-such-role"}, "InvalidParameterException"),
])
def test_association_input_errors(lab: Lab, cluster: Cluster, params: dict[str, str], code: str) -> None:
    request = {"clusterName": "pods", "namespace": "errors", "serviceAccount": "app",
               "roleArn": f"arn:aws:iam::{ACCOUNT}:role/app-pod-identity", **params}
    with pytest.raises(ClientError) as refused:
        lab.client("eks").create_pod_identity_association(**request)
    assert error_code(refused) == code


@pytest.fixture
def small_quota(lab: Lab) -> Iterator[int]:
    saved = lab.eks.association_quota
    lab.eks.association_quota = len(lab.client("eks").list_pod_identity_associations(clusterName="pods")["associations"]) + 1
    yield lab.eks.association_quota
    lab.eks.association_quota = saved


def test_the_association_quota(lab: Lab, cluster: Cluster, small_quota: int) -> None:
    associate(lab, "quota", "first", settle=False)
    with pytest.raises(ClientError) as refused:
        associate(lab, "quota", "second", settle=False)
    assert error_code(refused) == "ResourceLimitExceededException"
    assert lab.eks.association_quota == small_quota


def test_the_agent_addon_goes_from_creating_to_active(lab: Lab, cluster: Cluster) -> None:
    eks = lab.client("eks")
    created = eks.create_addon(clusterName="pods", addonName="eks-pod-identity-agent")["addon"]
    assert created["status"] == "CREATING"
    eks.get_waiter("addon_active").wait(clusterName="pods", addonName="eks-pod-identity-agent",
                                        WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    assert eks.list_addons(clusterName="pods")["addons"] == ["eks-pod-identity-agent"]
    assert eks.delete_addon(clusterName="pods", addonName="eks-pod-identity-agent")["addon"]["status"] == "DELETING"
    with pytest.raises(ClientError) as gone:
        eks.describe_addon(clusterName="pods", addonName="eks-pod-identity-agent")
    assert error_code(gone) == "ResourceNotFoundException"


def test_an_addon_becomes_active_on_the_lab_clock(lab: Lab, cluster: Cluster) -> None:
    eks = lab.client("eks")
    eks.create_addon(clusterName="pods", addonName="eks-pod-identity-agent")
    lab.advance(seconds=lab.eks.addon_delay.total_seconds())
    assert eks.describe_addon(clusterName="pods", addonName="eks-pod-identity-agent")["addon"]["status"] == "ACTIVE"
    eks.delete_addon(clusterName="pods", addonName="eks-pod-identity-agent")


def test_instance_credentials_need_a_role_that_trusts_ec2(lab: Lab, cluster: Cluster) -> None:
    from labkit.errors import AwsError

    with pytest.raises(AwsError) as refused:
        lab.instance_credentials(f"arn:aws:iam::{ACCOUNT}:role/app-pod-identity", "i-0aaaaaaaaaaaaaaaa")
    assert refused.value.code == "AccessDenied"
    node = lab.instance_credentials(f"arn:aws:iam::{ACCOUNT}:role/node-role", "i-0bbbbbbbbbbbbbbbb")
    arn = lab.client("sts", credentials=node).get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/node-role/i-0bbbbbbbbbbbbbbbb"
