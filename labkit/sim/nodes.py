"""A lab cluster's nodes: EC2 node groups (Linux, Windows) with a node role and IMDS, Fargate, and scheduling.

What a pod can reach depends on where it runs, as on EKS:

* EC2 Linux node: IMDS (169.254.169.254) serving the node role's instance credentials, and the Pod Identity
  agent (169.254.170.23) when the cluster's ``eks-pod-identity-agent`` add-on is ACTIVE.
* EC2 Windows node: IMDS, but no agent (the add-on's DaemonSet runs on Linux only).
* Fargate: neither (each Fargate pod gets its own micro-VM node; the agent DaemonSet excludes Fargate).

The node role is created through the lab's IAM API as a user would (trust ec2.amazonaws.com, the three
AWS-managed worker policies, an instance profile). The lab publishes AWS managed policies from moto's copy,
whose AmazonEKSWorkerNodePolicy grants eks-auth:AssumeRoleForPodIdentity as AWS's current version does.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal

from labkit.errors import LabError
from labkit.sim.agent import AGENT_IPV4, AGENT_IPV6, AGENT_PORT, EKS_AUTH_CLIENT_CONFIG, PodIdentityAgent
from labkit.sim.imds import IMDS_IPV4, IMDS_IPV6, IMDS_PORT, InstanceIdentity, InstanceMetadataService, MetadataOptions
from labkit.sim.sts import wire_time

if TYPE_CHECKING:
    from labkit.sim.cluster import Cluster
    from labkit.sim.sessions import Credentials

NodeKind = Literal["ec2-linux", "ec2-windows", "fargate"]
AddressMap = dict[tuple[str, int], tuple[str, int]]
EC2_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")
OS_LABEL = "kubernetes.io/os"
COMPUTE_TYPE_LABEL = "eks.amazonaws.com/compute-type"
ECS_CREDENTIALS_IPV4 = "169.254.170.2"  # what AWS_CONTAINER_CREDENTIALS_RELATIVE_URI points at
NODE_CREDENTIALS_MARGIN = timedelta(minutes=15)  # the SDK in the agent refreshes instance credentials early


class Unschedulable(LabError):
    """The scheduler found no node for a pod; the message reads as the pod's FailedScheduling event."""


@dataclass(frozen=True)
class FargateProfile:
    """An EKS Fargate profile: pods matching one selector (namespace, and all its labels) run on Fargate."""

    name: str
    selectors: tuple[Mapping[str, Any], ...]

    def selects(self, pod: Mapping[str, Any]) -> bool:
        """Whether a pod matches one of the profile's selectors."""
        metadata = pod.get("metadata") or {}
        labels = metadata.get("labels") or {}
        return any(selector.get("namespace") == metadata.get("namespace")
                   and all(labels.get(k) == v for k, v in (selector.get("labels") or {}).items())
                   for selector in self.selectors)


@dataclass(eq=False)
class Node:
    """One node: its kind, labels, and (EC2) instance id, node role and metadata service."""

    name: str
    kind: NodeKind
    labels: dict[str, str]
    nodegroup: str | None = None
    instance_id: str | None = None
    role_arn: str | None = None
    imds: InstanceMetadataService | None = None
    agent: PodIdentityAgent | None = field(default=None, repr=False)

    def matches(self, selector: Mapping[str, str]) -> bool:
        """Whether the node carries every label of a pod's nodeSelector."""
        return all(self.labels.get(key) == value for key, value in selector.items())

    def __repr__(self) -> str:
        return f"<Node {self.name} {self.kind}{f' role={self.role_arn}' if self.role_arn else ''}>"


@dataclass(frozen=True)
class NodeGroup:
    """A managed node group: its node role, instance profile and nodes."""

    name: str
    kind: NodeKind
    role_arn: str
    instance_profile_arn: str
    options: MetadataOptions
    nodes: tuple[Node, ...]

    def __repr__(self) -> str:
        return (f"<NodeGroup {self.name} {self.kind} nodes={len(self.nodes)} HttpTokens={self.options.http_tokens} "
                f"HopLimit={self.options.http_put_response_hop_limit}>")


class NodePool:
    """Every node of one cluster, the Fargate profiles, and the scheduler."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.nodegroups: dict[str, NodeGroup] = {}
        self.fargate_profiles: dict[str, FargateProfile] = {}
        self._fargate_nodes: dict[str, Node] = {}
        self._lock = threading.Lock()

    @property
    def nodes(self) -> list[Node]:
        """EC2 nodes and the Fargate nodes of started pods."""
        return [n for group in self.nodegroups.values() for n in group.nodes] + list(self._fargate_nodes.values())

    # -- node groups ----------------------------------------------------------------------------------------------
    def add_nodegroup(self, name: str, kind: NodeKind = "ec2-linux", *, http_tokens: str = "required",
                      hop_limit: int = 2, size: int = 1, node_role_arn: str | None = None) -> NodeGroup:
        """Create a node group: node role (unless given), instance profile, and `size` nodes with IMDS.

        The defaults are those of an EKS managed node group on Amazon Linux 2023 (IMDSv2 required, hop limit 2,
        so that pods can still reach IMDS); ``hop_limit=1`` is the hardening that hides the node role from pods.
        """
        if kind not in ("ec2-linux", "ec2-windows"):
            raise ValueError("a node group is 'ec2-linux' or 'ec2-windows' (Fargate: add_fargate_profile)")
        if name in self.nodegroups:
            raise LabError(f"NodeGroup already exists with name {name} and cluster name {self.cluster.name}")
        options = MetadataOptions(http_tokens=http_tokens, http_put_response_hop_limit=hop_limit)  # type: ignore[arg-type]
        role_arn, profile_arn = self._node_role(name, node_role_arn)
        nodes = tuple(self._ec2_node(name, kind, index, role_arn, options) for index in range(size))
        group = self.nodegroups[name] = NodeGroup(name, kind, role_arn, profile_arn, options, nodes)
        return group

    def _node_role(self, nodegroup: str, given: str | None) -> tuple[str, str]:
        """Create (through IAM, as a user would) the node role and its instance profile."""
        iam = self.cluster.lab.client("iam", self.cluster.account_id)
        role_name = given.rsplit("/", 1)[-1] if given else f"{self.cluster.name}-{nodegroup}-node-role"
        if given is None:
            iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST),
                            Description=f"EKS node role of node group {nodegroup}")
            for policy in NODE_POLICIES:
                iam.attach_role_policy(RoleName=role_name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
        profile = iam.create_instance_profile(InstanceProfileName=role_name)["InstanceProfile"]
        iam.add_role_to_instance_profile(InstanceProfileName=role_name, RoleName=role_name)
        return given or f"arn:aws:iam::{self.cluster.account_id}:role/{role_name}", profile["Arn"]

    def _ec2_node(self, nodegroup: str, kind: NodeKind, index: int, role_arn: str, options: MetadataOptions) -> Node:
        lab, cluster = self.cluster.lab, self.cluster
        instance_id = "i-0" + lab.ids.fixed("instance", cluster.arn, nodegroup, index, length=16, alphabet="0123456789abcdef")
        octets = lab.ids.fixed("node-ip", cluster.arn, nodegroup, index, length=4, alphabet="0123456789")
        private_ip = f"10.0.{int(octets[:2]) + 1}.{int(octets[2:]) + 10}"
        name = f"ip-{private_ip.replace('.', '-')}.{'ec2.internal' if cluster.region == 'us-east-1' else cluster.region + '.compute.internal'}"
        os_name = "windows" if kind == "ec2-windows" else "linux"
        labels = {"kubernetes.io/hostname": name, OS_LABEL: os_name, "kubernetes.io/arch": "amd64",
                  "eks.amazonaws.com/nodegroup": nodegroup, "node.kubernetes.io/instance-type": "m5.large",
                  "topology.kubernetes.io/region": cluster.region, "topology.kubernetes.io/zone": f"{cluster.region}a",
                  COMPUTE_TYPE_LABEL: "ec2"}
        identity = InstanceIdentity(instance_id=instance_id, account_id=cluster.account_id, region=cluster.region,
                                    private_ip=private_ip)
        imds = InstanceMetadataService(
            identity, lab.clock, role_name=role_arn.rsplit("/", 1)[-1], options=options,
            credentials=lambda: _sts_shape(lab.instance_credentials(role_arn, instance_id)),
            render_time=lambda moment: wire_time(lab.clock, moment),
        ).start()
        return Node(name, kind, labels, nodegroup, instance_id, role_arn, imds)

    # -- Fargate ----------------------------------------------------------------------------------------------------
    def add_fargate_profile(self, name: str, selectors: Sequence[Mapping[str, Any]]) -> FargateProfile:
        """A Fargate profile (EKS allows up to 5 selectors, each with a namespace)."""
        if not selectors or len(selectors) > 5 or any(not s.get("namespace") for s in selectors):
            raise LabError("a Fargate profile needs 1 to 5 selectors, each with a namespace")
        profile = self.fargate_profiles[name] = FargateProfile(name, tuple(dict(s) for s in selectors))
        return profile

    def _fargate_node(self, pod: Mapping[str, Any]) -> Node:
        """Each Fargate pod runs on its own node (a micro-VM), with no IMDS and no Pod Identity agent."""
        uid = pod["metadata"]["uid"]
        octets = self.cluster.lab.ids.fixed("fargate-ip", uid, length=4, alphabet="0123456789")
        ip = f"192.168.{int(octets[:2]) + 100}.{int(octets[2:]) + 10}"
        name = f"fargate-ip-{ip.replace('.', '-')}.ec2.internal"
        with self._lock:
            node = self._fargate_nodes.setdefault(uid, Node(name, "fargate", {
                "kubernetes.io/hostname": name, OS_LABEL: "linux", "kubernetes.io/arch": "amd64",
                COMPUTE_TYPE_LABEL: "fargate"}))
        return node

    # -- scheduling -------------------------------------------------------------------------------------------------
    def schedule(self, pod: Mapping[str, Any]) -> Node:
        """The node a pod runs on: Fargate if a profile selects it, else an EC2 node matching its nodeSelector."""
        if pod["spec"].get("nodeName"):
            return self.by_name(pod["spec"]["nodeName"])
        if any(profile.selects(pod) for profile in self.fargate_profiles.values()):
            return self._fargate_node(pod)
        selector = dict(pod["spec"].get("nodeSelector") or {})
        ec2 = [node for group in self.nodegroups.values() for node in group.nodes]
        fitting = [node for node in ec2 if node.matches(selector)]
        if not ec2:
            raise Unschedulable("no nodes available to schedule pods")
        if not fitting:
            count = len(ec2)
            raise Unschedulable(f"0/{count} nodes are available: {count} node(s) didn't match Pod's node "
                                f"affinity/selector. preemption: 0/{count} nodes are available: {count} "
                                "Preemption is not helpful for scheduling.")
        return fitting[_spread(pod["metadata"]["uid"], len(fitting))]

    def by_name(self, name: str) -> Node:
        """A node by name."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise LabError(f'nodes "{name}" not found')

    # -- what a pod on a node can reach -----------------------------------------------------------------------------
    def agent_for(self, node: Node) -> PodIdentityAgent | None:
        """The node's Pod Identity agent: EC2 Linux nodes only, while the add-on is ACTIVE."""
        lab, cluster = self.cluster.lab, self.cluster
        if node.kind != "ec2-linux" or not lab.eks.addon_active(cluster._record):
            return None
        with self._lock:
            if node.agent is None:
                assert node.role_arn and node.instance_id
                client = NodeEksAuth(self.cluster, node.role_arn, node.instance_id)
                node.agent = PodIdentityAgent(cluster.name, client, lab.clock,
                                              render_time=lambda moment: wire_time(lab.clock, moment)).start()
        return node.agent

    def address_map(self, node: Node, *, host_network: bool) -> AddressMap:
        """Where a pod's link-local addresses lead: this node's IMDS and agent, or nowhere (refused)."""
        nowhere = _nothing_there()
        mapping: AddressMap = {(IMDS_IPV4, IMDS_PORT): ("127.0.0.1", nowhere),
                               (IMDS_IPV6, IMDS_PORT): ("::ffff:127.0.0.1", nowhere),
                               (AGENT_IPV4, AGENT_PORT): ("127.0.0.1", nowhere),
                               (AGENT_IPV6, AGENT_PORT): ("::ffff:127.0.0.1", nowhere),
                               (ECS_CREDENTIALS_IPV4, 80): ("127.0.0.1", nowhere)}  # ECS's endpoint: never on EKS
        if node.imds is not None:
            mapping.update(node.imds.address_map(1 if host_network else 2))
        agent = self.agent_for(node)
        if agent is not None:
            mapping.update(agent.address_map())
        return mapping

    def sweep(self, now: datetime) -> None:
        """The agents' cache janitors (called when the lab clock advances)."""
        for node in self.nodes:
            if node.agent is not None:
                node.agent.sweep()

    def stop(self) -> None:
        """Stop every node's servers."""
        for node in self.nodes:
            for server in (node.imds, node.agent):
                if server is not None:
                    server.stop()


class NodeEksAuth:
    """The agent's EKS Auth client on a node: instance credentials of the node role, expirations in lab time.

    The agent reads its cache deadlines on the lab clock. EKS Auth's wire expirations may be written in host
    time (real now + lab time left, like STS) or in lab time; an expiration is always near "now" on the clock
    that wrote it, so the nearer reading is taken (when the two clocks are close, both readings agree).
    """

    def __init__(self, cluster: Cluster, role_arn: str, instance_id: str) -> None:
        self._cluster, self._role_arn, self._instance_id = cluster, role_arn, instance_id
        self._credentials: Credentials | None = None
        self._client: Any = None

    def assume_role_for_pod_identity(self, *, clusterName: str, token: str) -> dict[str, Any]:  # noqa: N803
        """AssumeRoleForPodIdentity over HTTP with the node role; expiration converted to lab time."""
        reply: dict[str, Any] = self._eks_auth().assume_role_for_pod_identity(clusterName=clusterName, token=token)
        credentials = reply.get("credentials")
        if credentials and credentials.get("expiration") is not None:
            credentials["expiration"] = to_lab_time(self._cluster.lab.clock.now(), credentials["expiration"])
        return reply

    def _eks_auth(self) -> Any:
        lab, clock = self._cluster.lab, self._cluster.lab.clock
        stale = self._credentials is None or (self._credentials.expiration is not None
                                              and self._credentials.expiration - clock.now() < NODE_CREDENTIALS_MARGIN)
        if stale:
            import boto3

            self._credentials = lab.instance_credentials(self._role_arn, self._instance_id)
            self._client = boto3.session.Session().client(
                "eks-auth", region_name=self._cluster.region, endpoint_url=lab.endpoint_url,
                config=EKS_AUTH_CLIENT_CONFIG, **self._credentials.as_boto())
        return self._client


def to_lab_time(lab_now: datetime, value: datetime | float | int) -> datetime:
    """An expiration read as lab time: as is if near lab now, else host (wire) time turned back into lab time."""
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value, timezone.utc)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    host_now = datetime.now(timezone.utc)
    if abs(moment - lab_now) <= abs(moment - host_now):
        return moment
    return lab_now + (moment - host_now)


def _sts_shape(credentials: Credentials) -> dict[str, Any]:
    """Instance credentials as the STS-style mapping IMDS expects (expiration in lab time)."""
    return {"AccessKeyId": credentials.access_key_id, "SecretAccessKey": credentials.secret_access_key,
            "SessionToken": credentials.session_token, "Expiration": credentials.expiration}


def _spread(uid: str, count: int) -> int:
    """A stable choice among fitting nodes (the real scheduler scores; the lab only needs determinism)."""
    return int(uid.replace("-", "")[:8], 16) % count


_nowhere: socket.socket | None = None


def _nothing_there() -> int:
    """A loopback port where nothing listens: connections are refused at once, like an unreachable address."""
    global _nowhere
    if _nowhere is None:
        _nowhere = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        _nowhere.bind(("127.0.0.1", 0))  # bound, never listening: the port stays ours and refuses
    return int(_nowhere.getsockname()[1])
