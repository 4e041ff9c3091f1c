"""`cluster.kubectl(...)`: the command lines the notebooks show, answered as kubectl answers them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from labkit.errors import KubernetesError
from labkit.sim import Lab
from labkit.sim.cluster import Cluster

ROLE = "arn:aws:iam::111122223333:role/irsa-app"


@pytest.fixture(scope="module")
def cluster(lab: Lab) -> Iterator[Cluster]:
    cluster = lab.create_cluster("kubectl")
    cluster.add_nodegroup("ng", http_tokens="optional")
    cluster.apply({"apiVersion": "v1", "kind": "ServiceAccount",
                   "metadata": {"name": "app", "annotations": {"eks.amazonaws.com/role-arn": ROLE}}})
    yield cluster
    cluster.runtime.stop()


def test_get_and_describe_a_service_account(cluster: Cluster) -> None:
    assert cluster.kubectl("get sa").splitlines() == ["NAME      SECRETS   AGE", "app       0         0s",
                                                      "default   0         0s"]
    assert yaml.safe_load(cluster.kubectl("kubectl get sa app -o yaml"))["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": ROLE}
    described = cluster.kubectl("describe sa app")
    assert f"Annotations:        eks.amazonaws.com/role-arn: {ROLE}" in described.splitlines()


def test_run_exec_and_logs(cluster: Cluster) -> None:
    printed = cluster.kubectl("""run t --image=python:3.12 --overrides='{"spec":{"serviceAccountName":"app"}}' """
                              """--command -- python -c 'print("started")'""")
    assert printed == "pod/t created"
    assert cluster.logs("t") == "started\n" == cluster.kubectl("logs t")
    env = cluster.kubectl("exec t -- env").splitlines()
    assert f"AWS_ROLE_ARN={ROLE}" in env
    assert cluster.kubectl("exec t -- python -c 'print(6 * 7)'") == "42\n"
    assert cluster.kubectl("logs t") == "started\n"  # exec output is not in the container's logs
    assert "command terminated with exit code 3" in cluster.kubectl("exec t -- python -c 'raise SystemExit(3)'")
    assert 'exec: "curl": executable file not found' in cluster.kubectl("exec t -- curl http://169.254.170.23")
    assert cluster.kubectl("get pods").splitlines()[1].split()[:3] == ["t", "1/1", "Running"]


def test_a_pod_that_never_restarts_completes(cluster: Cluster) -> None:
    run = cluster.run_pod({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "job"},
                           "spec": {"restartPolicy": "Never", "containers": [
                               {"name": "job", "image": "python:3.12", "command": ["python", "-c", "raise SystemExit(2)"]}]}})
    assert (run.returncode, run.phase) == (2, "Failed")
    assert cluster.kubectl("get pod job").splitlines()[1].split()[:3] == ["job", "0/1", "Failed"]
    with pytest.raises(KubernetesError, match="cannot exec into a container in a completed pod; current phase is Failed"):
        cluster.kubectl("exec job -- env")


def test_a_missing_secret_keeps_the_container_from_starting(cluster: Cluster) -> None:
    run = cluster.run_pod({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "needs-secret"},
                           "spec": {"containers": [{"name": "app", "image": "python:3.12", "env": [
                               {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}]}},
                          ["python", "-c", "print(1)"])
    assert (run.returncode, run.phase) == (-1, "Pending")
    assert run.stderr == 'CreateContainerConfigError: secret "db" not found'
    cluster.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "czNjcjN0"}})
    run = cluster.run_pod("needs-secret", ["python", "-c", "import os; print(os.environ['DB_PASSWORD'])"])
    assert run.stdout == "s3cr3t\n" and run.env["DB_PASSWORD"] == "s3cr3t"
    assert cluster.get("pod", "needs-secret")["status"]["phase"] == "Running"


def test_a_deployment_replica_reads_its_secret_volume_and_downward_env(cluster: Cluster) -> None:
    cluster.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api-key"}, "stringData": {"key": "k-123"}})
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {
        "replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"serviceAccountName": "app", "volumes": [{"name": "key", "secret": {"secretName": "api-key"}}],
                     "containers": [{"name": "web", "image": "python:3.12",
                                     "volumeMounts": [{"name": "key", "mountPath": "/etc/api"}],
                                     "env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                                             {"name": "GREETING", "value": "hello $(POD)"}]}]}}}}
    run = cluster.run_pod(deployment, ["python", "-c", "print(open('/etc/api/key').read())"])
    assert run.stdout == "k-123\n"
    assert run.pod.startswith("web-") and run.env["GREETING"] == f"hello {run.pod}"
    assert run.env["AWS_ROLE_ARN"] == ROLE  # replicas pass the webhook like any pod


def test_the_serviceaccount_flag_by_kubectl_version(cluster: Cluster) -> None:
    with pytest.raises(KubernetesError, match="unknown flag: --serviceaccount"):
        cluster.kubectl("run old --image=python:3.12 --serviceaccount=app")
    printed = cluster.kubectl("run old --image=python:3.12 --serviceaccount=app --kubectl-version=1.22")
    assert printed.startswith("Flag --serviceaccount has been deprecated")
    assert "AWS_ROLE_ARN" not in cluster.kubectl("describe pod old")
    cluster.kubectl("run older --image=python:3.12 --serviceaccount=app --kubectl-version=1.20")
    assert f"AWS_ROLE_ARN:  {ROLE}" in cluster.kubectl("describe pod older")


def test_errors_read_as_kubectl_prints_them(cluster: Cluster) -> None:
    with pytest.raises(KubernetesError, match='unknown command "frobnicate"'):
        cluster.kubectl("frobnicate")
    with pytest.raises(KubernetesError, match='pods "ghost" not found'):
        cluster.kubectl("logs ghost")
    with pytest.raises(KubernetesError, match="Invalid JSON Patch"):
        cluster.kubectl("run bad --image=python:3.12 --overrides={spec}")
    assert cluster.kubectl("delete pod old") == 'pod "old" deleted'
