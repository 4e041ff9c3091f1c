"""Nodes of a lab cluster: the node role made through IAM, IMDS in wire time, scheduling, the agent's add-on gate."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from labkit.errors import LabError
from labkit.sim import Lab
from labkit.sim.cluster import Cluster
from labkit.sim.nodes import to_lab_time

from lab_helpers import ACCOUNT


@pytest.fixture(scope="module")
def cluster(lab: Lab) -> Iterator[Cluster]:
    cluster = lab.create_cluster("nodes")
    cluster.add_nodegroup("linux", http_tokens="optional", hop_limit=2, size=2)
    yield cluster
    cluster.runtime.stop()


def pod(name: str, **spec: object) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "python:3.12"}], **spec}}


def test_the_node_role_is_created_through_iam_with_the_worker_policies(lab: Lab, cluster: Cluster) -> None:
    iam = lab.client("iam")
    group = cluster.runtime.nodes.nodegroups["linux"]
    assert group.role_arn == f"arn:aws:iam::{ACCOUNT}:role/nodes-linux-node-role"
    attached = iam.list_attached_role_policies(RoleName="nodes-linux-node-role")["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in attached) == [
        "AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]
    worker = iam.get_policy_version(PolicyArn="arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                                    VersionId=iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy")
                                    ["Policy"]["DefaultVersionId"])["PolicyVersion"]["Document"]
    worker = json.loads(worker) if isinstance(worker, str) else worker
    assert "eks-auth:AssumeRoleForPodIdentity" in worker["Statement"][0]["Action"]
    profile = iam.get_instance_profile(InstanceProfileName="nodes-linux-node-role")["InstanceProfile"]
    assert [role["RoleName"] for role in profile["Roles"]] == ["nodes-linux-node-role"]
    trust = iam.get_role(RoleName="nodes-linux-node-role")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}


def test_imds_writes_expirations_in_wire_time(lab: Lab, cluster: Cluster) -> None:
    node = cluster.runtime.nodes.nodegroups["linux"].nodes[0]
    assert node.imds is not None
    path = "latest/meta-data/iam/security-credentials/nodes-linux-node-role"
    with urllib.request.urlopen(node.imds.url(1) + path, timeout=5) as answer:
        served = json.loads(answer.read())
    session = lab.sessions.get(served["AccessKeyId"])
    assert session is not None
    expires = datetime.strptime(served["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    left_on_the_wire = expires - datetime.now(timezone.utc)
    assert abs(left_on_the_wire - (session.expiration - lab.clock.now())) < timedelta(seconds=5)
    assert session.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/nodes-linux-node-role/{node.instance_id}"


def test_to_lab_time_reads_wire_or_lab_expirations() -> None:
    lab_now = datetime(2026, 1, 15, 9, tzinfo=timezone.utc)
    host_now = datetime.now(timezone.utc)
    assert to_lab_time(lab_now, lab_now + timedelta(hours=6)) == lab_now + timedelta(hours=6)
    wire = (host_now + timedelta(hours=6)).timestamp()
    assert abs(to_lab_time(lab_now, wire) - (lab_now + timedelta(hours=6))) < timedelta(seconds=2)


def test_pods_are_spread_deterministically_and_node_selectors_are_honoured(cluster: Cluster) -> None:
    names = {node.name for node in cluster.runtime.nodes.nodegroups["linux"].nodes}
    cluster.apply(pod("a"))
    placed = cluster.runtime.nodes.schedule(cluster.get("pod", "a"))
    assert placed.name in names and placed is cluster.runtime.nodes.schedule(cluster.get("pod", "a"))
    cluster.apply(pod("b", nodeSelector={"kubernetes.io/os": "windows"}))
    with pytest.raises(LabError, match="0/2 nodes are available: 2 node"):
        cluster.runtime.nodes.schedule(cluster.get("pod", "b"))


def test_a_cluster_without_nodes_cannot_schedule(lab: Lab) -> None:
    empty = lab.create_cluster("empty")
    run = empty.run_pod(pod("lonely"), ["python", "-c", "print(1)"])
    assert run.phase == "Pending" and "no nodes available to schedule pods" in run.stderr
    assert "Unschedulable" in empty.kubectl("describe pod lonely") or "FailedScheduling" in empty.kubectl("describe pod lonely")


def test_fargate_profiles_select_by_namespace_and_labels(cluster: Cluster) -> None:
    cluster.add_fargate_profile("batch", [{"namespace": "default", "labels": {"compute": "fargate"}}])
    cluster.apply(pod("serverless") | {"metadata": {"name": "serverless", "labels": {"compute": "fargate"}}})
    node = cluster.runtime.nodes.schedule(cluster.get("pod", "serverless"))
    assert node.kind == "fargate" and node.imds is None and cluster.runtime.nodes.agent_for(node) is None
    assert cluster.runtime.nodes.schedule(cluster.get("pod", "a")).kind == "ec2-linux"
    with pytest.raises(LabError, match="selectors"):
        cluster.add_fargate_profile("bad", [{"labels": {"a": "b"}}])


def test_the_agent_runs_only_once_the_add_on_is_active(lab: Lab, cluster: Cluster) -> None:
    node = cluster.runtime.nodes.nodegroups["linux"].nodes[0]
    assert cluster.runtime.nodes.agent_for(node) is None
    lab.client("eks").create_addon(clusterName="nodes", addonName="eks-pod-identity-agent")
    assert cluster.runtime.nodes.agent_for(node) is None  # CREATING
    lab.advance(seconds=31)
    agent = cluster.runtime.nodes.agent_for(node)
    assert agent is not None and agent is cluster.runtime.nodes.agent_for(node)
    assert cluster.runtime.nodes.address_map(node, host_network=False)[("169.254.170.23", 80)] == ("127.0.0.1", agent.port)
