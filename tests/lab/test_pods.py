"""Pods that run real code in the lab cluster: the real boto3 chain finds IRSA, Pod Identity or the node role.

Every `run_pod` here is a real subprocess (about a second each), so the cases share one cluster: node groups
`open` (IMDS optional, hop limit 2), `hardened` (IMDSv2 required, hop limit 1) and `win` (Windows), a Fargate
profile for namespace `serverless`, the Pod Identity add-on, and associations for `app` in several namespaces.
Tests that move the lab clock far come last in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
import re
from pathlib import Path
from typing import Any

import pytest

from labkit.errors import KubernetesError
from labkit.sim import Lab
from labkit.sim.cluster import Cluster
from labkit.sim.pods import PodRun

from lab_helpers import ACCOUNT, allow, create_role, doc

PODS = "pods.eks.amazonaws.com"
POD_TRUST = doc({"Effect": "Allow", "Principal": {"Service": PODS}, "Action": ["sts:AssumeRole", "sts:TagSession"]})
ABAC = allow("s3:GetObject", "arn:aws:s3:::team-${aws:PrincipalTag/kubernetes-namespace}/*")
# Section 6 of the course text as the course ships it, unchanged, plus a line that prints its answer.
VERIFY_PROGRAM = ((Path(__file__).parents[2] / "examples" / "runtime" / "verify_credentials.py").read_text()
                  + "\nprint(json.dumps(verify_credentials()))\n")
WHO_AM_I = """
import boto3, json
session = boto3.Session(region_name="us-east-1")
try:
    creds = session.get_credentials()
    method = creds.method if creds else None
    arn = session.client("sts").get_caller_identity()["Arn"] if creds else None
except Exception as error:
    method, arn = "ERROR " + type(error).__name__, str(error)
print(json.dumps({"method": method, "arn": arn}))
"""
READ_BUCKETS = """
import boto3, json
s3 = boto3.client("s3", region_name="us-east-1")
result = {"method": boto3.Session().get_credentials().method}
for bucket in ("team-alpha", "team-beta"):
    try:
        result[bucket] = s3.get_object(Bucket=bucket, Key="data.txt")["Body"].read().decode()
    except Exception as error:
        result[bucket] = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
print(json.dumps(result))
"""
AGENT_THROUGH_URLLIB = """
import json, os, urllib.request, urllib.error
token = open(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]).read()
request = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], headers={"Authorization": token})
try:
    status = urllib.request.urlopen(request, timeout=5).status
except urllib.error.HTTPError as error:
    status = error.code
print(json.dumps({"agent": status}))
"""


def pod(name: str, namespace: str = "default", service_account: str | None = None, *, env: dict[str, str] | None = None,
        labels: dict[str, str] | None = None, node_selector: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    """A one-container pod manifest."""
    container: dict[str, Any] = {"name": "app", "image": "python:3.12-slim"}
    if env:
        container["env"] = [{"name": key, "value": value} for key, value in env.items()]
    body: dict[str, Any] = {"containers": [container], **spec}
    if service_account:
        body["serviceAccountName"] = service_account
    if node_selector:
        body["nodeSelector"] = node_selector
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
            "spec": body}


def outcome(run: PodRun) -> dict[str, Any]:
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def cluster(lab: Lab) -> Iterator[Cluster]:
    cluster = lab.create_cluster("runtime")
    iam = lab.client("iam")
    iam.create_open_id_connect_provider(Url=cluster.oidc_issuer, ClientIDList=["sts.amazonaws.com"])
    irsa_trust = doc({"Effect": "Allow", "Principal": {"Federated": cluster.oidc_provider_arn()},
                      "Action": "sts:AssumeRoleWithWebIdentity",
                      "Condition": {"StringEquals": {f"{cluster.oidc_provider}:sub": "system:serviceaccount:prod:app",
                                                     f"{cluster.oidc_provider}:aud": "sts.amazonaws.com"}}})
    create_role(lab, "irsa-app", irsa_trust, allow("s3:ListAllMyBuckets"))
    create_role(lab, "team-role", POD_TRUST, ABAC)
    s3 = lab.client("s3")
    for team in ("alpha", "beta"):
        s3.create_bucket(Bucket=f"team-{team}")
        s3.put_object(Bucket=f"team-{team}", Key="data.txt", Body=team.encode())
    cluster.add_nodegroup("open", http_tokens="optional", hop_limit=2)
    cluster.add_nodegroup("hardened", http_tokens="required", hop_limit=1)
    cluster.add_nodegroup("win", "ec2-windows", http_tokens="optional", hop_limit=2)
    cluster.add_fargate_profile("serverless", [{"namespace": "serverless"}])
    for namespace in ("prod", "alpha", "beta", "serverless", "windows", "proxied"):
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    cluster.apply(f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  namespace: prod
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::{ACCOUNT}:role/irsa-app
""")
    eks = lab.client("eks")
    eks.create_addon(clusterName="runtime", addonName="eks-pod-identity-agent")
    for namespace in ("alpha", "beta", "serverless", "windows", "proxied"):
        cluster.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app", "namespace": namespace}})
        eks.create_pod_identity_association(clusterName="runtime", namespace=namespace, serviceAccount="app",
                                            roleArn=f"arn:aws:iam::{ACCOUNT}:role/team-role")
    lab.advance(seconds=60)  # the add-on becomes ACTIVE and the associations visible (eventual consistency)
    yield cluster
    cluster.runtime.stop()


OPEN = {"eks.amazonaws.com/nodegroup": "open"}
HARDENED = {"eks.amazonaws.com/nodegroup": "hardened"}


def test_an_irsa_pod_gets_its_role_through_the_default_chain(cluster: Cluster) -> None:
    run = cluster.run_pod(pod("irsa", "prod", "app", node_selector=OPEN), ["python", "-c", WHO_AM_I])
    result = outcome(run)
    assert result["method"] == "assume-role-with-web-identity"
    assert result["arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/irsa-app/botocore-session-")
    assert run.env["AWS_ROLE_ARN"] == f"arn:aws:iam::{ACCOUNT}:role/irsa-app"
    assert run.env["AWS_WEB_IDENTITY_TOKEN_FILE"] == "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
    assert run.env["AWS_STS_REGIONAL_ENDPOINTS"] == "regional" and run.env["AWS_REGION"] == "us-east-1"
    assert not [key for key in run.env if key.startswith(("LABKIT_", "PYTHONPATH", "AWS_ENDPOINT_URL"))]
    assert run.env["HOME"] == "/root" and run.env["HOSTNAME"] == "irsa"


def test_a_pod_identity_pod_gets_its_role_and_its_session_tags_decide_abac(cluster: Cluster) -> None:
    result = outcome(cluster.run_pod(pod("reader", "alpha", "app", node_selector=OPEN), ["python", "-c", READ_BUCKETS]))
    assert result == {"method": "container-role", "team-alpha": "alpha", "team-beta": "AccessDenied"}
    manifest = cluster.get("pod", "reader", "alpha")
    assert manifest["metadata"]["labels"]["eks.amazonaws.com/pod-identity"] == "enabled"
    assert manifest["spec"]["nodeName"].startswith("ip-10-0-")


def test_the_default_service_account_falls_back_to_the_node_role_with_hop_limit_2(cluster: Cluster) -> None:
    run = cluster.run_pod(pod("plain", node_selector=OPEN), ["python", "-c", WHO_AM_I])
    result = outcome(run)
    node = cluster.runtime.nodes.by_name(cluster.get("pod", "plain")["spec"]["nodeName"])
    assert not [key for key in run.env if key.startswith("AWS_")]
    assert result == {"method": "iam-role", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/runtime-open-node-role/{node.instance_id}"}


def test_hop_limit_1_with_imdsv2_required_leaves_a_pod_without_credentials(cluster: Cluster,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "AKIAPARENT", "AWS_SECRET_ACCESS_KEY": "parent", "AWS_PROFILE": "x"}.items():
        monkeypatch.setenv(name, value)  # the parent's AWS_* never reach a pod
    result = outcome(cluster.run_pod(pod("hardened", node_selector=HARDENED), ["python", "-c", WHO_AM_I]))
    assert result == {"method": None, "arn": None}


def test_a_host_network_pod_is_one_hop_from_imds_and_gets_the_node_role(cluster: Cluster) -> None:
    result = outcome(cluster.run_pod(pod("hostnet", node_selector=HARDENED, hostNetwork=True), ["python", "-c", WHO_AM_I]))
    assert result["method"] == "iam-role" and "/runtime-hardened-node-role/" in result["arn"]


def test_a_proxy_without_the_agent_in_no_proxy_breaks_pod_identity(cluster: Cluster) -> None:
    proxy = {"HTTP_PROXY": "http://proxy.corp.example:3128", "HTTPS_PROXY": "http://proxy.corp.example:3128"}
    script = AGENT_THROUGH_URLLIB + WHO_AM_I
    broken = cluster.run_pod(pod("proxied", "proxied", "app", env=proxy, node_selector=OPEN), ["python", "-c", script])
    lines = [json.loads(line) for line in broken.stdout.splitlines()]
    # A client that honours the proxy variables for the agent call (Go SDK, curl, urllib) gets the proxy's 502.
    assert lines[0] == {"agent": 502}
    # botocore's container fetcher ignores them, so boto3 still gets Pod Identity; its STS call went via the proxy.
    assert lines[1]["method"] == "container-role"
    assert any(r.status == 502 and "169.254.170.23" in r.target for r in cluster.runtime.proxy.requests)
    assert any(r.status == 200 and "127.0.0.1" in r.target for r in cluster.runtime.proxy.requests)
    fixed = cluster.run_pod(pod("proxied-fixed", "proxied", "app", env={**proxy, "NO_PROXY": "169.254.170.23,169.254.169.254"},
                                node_selector=OPEN), ["python", "-c", AGENT_THROUGH_URLLIB])
    assert outcome(fixed) == {"agent": 200}


def test_a_fargate_pod_with_an_association_gets_no_credentials(cluster: Cluster) -> None:
    run = cluster.run_pod(pod("fargate", "serverless", "app"), ["python", "-c", WHO_AM_I])
    result = outcome(run)
    assert run.node.startswith("fargate-ip-")
    assert run.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == "http://169.254.170.23/v1/credentials"  # the webhook still injects
    assert result["method"] == "ERROR CredentialRetrievalError"


def test_a_windows_pod_with_an_association_gets_no_credentials(cluster: Cluster) -> None:
    script = "import os; print(len(open(os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE']).read().split('.')))" + WHO_AM_I
    run = cluster.run_pod(pod("win", "windows", "app", node_selector={"kubernetes.io/os": "windows"}), ["python", "-c", script])
    token_parts, result = run.stdout.split("\n", 1)
    assert run.returncode == 0, run.stderr
    assert run.env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] == (
        "C:\\var\\run\\secrets\\pods.eks.amazonaws.com\\serviceaccount\\eks-pod-identity-token")
    assert token_parts == "3"  # the C:\ path opens the pod's token (a JWT)
    assert json.loads(result)["method"] == "ERROR CredentialRetrievalError"  # no agent on Windows nodes


def test_the_source_texts_verify_credentials_runs_unchanged_in_a_pod(cluster: Cluster) -> None:
    irsa = outcome(cluster.run_pod(pod("verify-irsa", "prod", "app", node_selector=OPEN), ["python", "-c", VERIFY_PROGRAM]))
    assert irsa["credential_type"] == "IRSA" and "/irsa-app/" in irsa["role_arn"]
    pod_identity = outcome(cluster.run_pod(pod("verify-pi", "beta", "app", node_selector=OPEN), ["python", "-c", VERIFY_PROGRAM]))
    assert pod_identity["credential_type"] == "Pod Identity"
    assert re.fullmatch(rf"arn:aws:sts::{ACCOUNT}:assumed-role/team-role/eks-runtime-verify-pi-[0-9a-f-]{{36}}",
                        pod_identity["role_arn"])


def test_on_an_ipv6_cluster_pod_identity_uses_the_agents_ipv6_address(cluster: Cluster) -> None:
    cluster.runtime.set_ip_family("ipv6")
    try:
        run = cluster.run_pod(pod("six", "beta", "app", node_selector=OPEN), ["python", "-c", WHO_AM_I])
    finally:
        cluster.runtime.set_ip_family("ipv4")
    assert run.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == "http://[fd00:ec2::23]/v1/credentials"
    assert outcome(run)["method"] == "container-role"


def test_verify_credentials_calls_the_node_role_unknown(cluster: Cluster) -> None:
    # The source's check looks for "assumed-role" in the ARN, but a node role reached through IMDS is an
    # assumed role too (assumed-role/<node role>/<instance id>): the warning branch never fires.
    node_role = outcome(cluster.run_pod(pod("verify-node", env={"AWS_DEFAULT_REGION": "us-east-1"}, node_selector=OPEN),
                                        ["python", "-c", VERIFY_PROGRAM]))
    assert "/runtime-open-node-role/i-" in node_role["role_arn"]
    assert node_role["credential_type"] == "unknown"


def test_an_unschedulable_pod_stays_pending_and_says_why(cluster: Cluster) -> None:
    run = cluster.run_pod(pod("nowhere", node_selector={"kubernetes.io/os": "plan9"}), ["python", "-c", "print(1)"])
    assert (run.phase, run.returncode) == ("Pending", -1)
    assert "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector" in run.stderr
    assert cluster.get("pod", "nowhere")["status"]["phase"] == "Pending"


def test_kubectl_run_with_the_removed_serviceaccount_flag(cluster: Cluster) -> None:
    with pytest.raises(KubernetesError, match="unknown flag: --serviceaccount"):
        cluster.kubectl_run("old", image="python:3.12", namespace="prod", serviceaccount="app")
    printed, _ = cluster.kubectl_run("old", image="python:3.12", namespace="prod", serviceaccount="app",
                                     kubectl_version="1.23")
    assert printed.splitlines() == ["Flag --serviceaccount has been deprecated, has no effect and will be removed in 1.24.",
                                    "pod/old created"]
    env_names = [e["name"] for e in cluster.get("pod", "old", "prod")["spec"]["containers"][0].get("env", [])]
    assert cluster.get("pod", "old", "prod")["spec"]["serviceAccountName"] == "default" and "AWS_ROLE_ARN" not in env_names
    cluster.kubectl_run("new", image="python:3.12", namespace="prod", overrides='{"spec":{"serviceAccountName":"app"}}')
    env = cluster.get("pod", "new", "prod")["spec"]["containers"][0]["env"]
    assert {"name": "AWS_ROLE_ARN", "value": f"arn:aws:iam::{ACCOUNT}:role/irsa-app"} in env


def test_the_webhook_objectselector_and_eventual_consistency(lab: Lab, cluster: Cluster) -> None:
    cluster.apply(pod("opted-out", "prod", "app", labels={"eks.amazonaws.com/skip-pod-identity-webhook": "true"}))
    assert "env" not in cluster.get("pod", "opted-out", "prod")["spec"]["containers"][0]
    cluster.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "late", "namespace": "alpha"}})
    lab.client("eks").create_pod_identity_association(clusterName="runtime", namespace="alpha", serviceAccount="late",
                                                      roleArn=f"arn:aws:iam::{ACCOUNT}:role/team-role")
    cluster.apply(pod("too-early", "alpha", "late"))
    assert "env" not in cluster.get("pod", "too-early", "alpha")["spec"]["containers"][0]
    lab.advance(seconds=5)
    cluster.apply(pod("in-time", "alpha", "late"))
    names = [e["name"] for e in cluster.get("pod", "in-time", "alpha")["spec"]["containers"][0]["env"]]
    assert names[-2:] == ["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]


def test_exec_env_logs_and_describe(cluster: Cluster) -> None:
    env = cluster.exec_env("irsa", "prod").splitlines()
    assert env[:2] == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=irsa"]
    assert "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/irsa-app" in env and env[-1] == "HOME=/root"
    assert "assume-role-with-web-identity" in cluster.logs("irsa", "prod")
    assert "eks.amazonaws.com/role-arn" in cluster.describe("sa", "app", "prod")


# -- the lab clock moves from here on ------------------------------------------------------------------------------


def _token_file(cluster: Cluster, namespace: str, name: str, volume: str) -> Path:
    volumes = cluster.runtime.kubelet.pods[(namespace, name)]
    return next(volumes.volume(volume).iterdir())


def test_token_files_have_no_newline_and_are_renewed_at_80_percent(lab: Lab, cluster: Cluster) -> None:
    token = _token_file(cluster, "prod", "irsa", "aws-iam-token")
    first = token.read_text()
    assert not first.endswith("\n") and first.count(".") == 2
    issued = cluster.runtime.kubelet.pods[("prod", "irsa")].tokens
    irsa = next(t for t in issued if t.path == token)
    assert irsa.expiration_seconds == 86400 and irsa.audience == "sts.amazonaws.com"
    lab.advance(seconds=irsa.expiration_seconds * 0.8 - (lab.clock.now() - irsa.issued).total_seconds() - 60)
    assert token.read_text() == first
    lab.advance(seconds=120)
    assert token.read_text() != first


def test_the_agent_cache_is_swept_when_the_clock_advances(lab: Lab, cluster: Cluster) -> None:
    node = cluster.runtime.nodes.by_name(cluster.get("pod", "reader", "alpha")["spec"]["nodeName"])
    assert node.agent is not None
    renewed = node.agent.metrics["cache_renewed"]
    lab.advance(hours=3, minutes=1)  # past the agent's 3 h retention: the janitor renews with EKS Auth
    assert node.agent.metrics["cache_renewed"] > renewed


def test_credentials_expire_on_the_lab_clock_when_the_gateway_says(lab: Lab, cluster: Cluster) -> None:
    script = """
import boto3, datetime, json
creds = boto3.Session().get_credentials()
left = (creds._expiry_time - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
print(json.dumps({"method": creds.method, "left": left, "key": creds.get_frozen_credentials().access_key}))
"""
    for name, namespace, selector in (("clock-imds", "default", OPEN), ("clock-pi", "beta", OPEN)):
        sa = "app" if namespace == "beta" else None
        result = outcome(cluster.run_pod(pod(name, namespace, sa, node_selector=selector), ["python", "-c", script]))
        session = lab.sessions.get(result["key"])
        assert session is not None
        lab_left = (session.expiration - lab.clock.now()).total_seconds()
        assert abs(result["left"] - lab_left) < 5, (name, result, lab_left)
