"""Checks that run the learner's code where it will really run: inside lab pods, with the real SDK chain."""

from __future__ import annotations

import inspect
import json
import re
import textwrap
from collections.abc import Callable
from typing import Any

from labkit.errors import CheckFailed
from labkit.grading import check, passed

EXPECTED = {"irsa": "irsa", "pod-identity": "pod-identity", "no-identity": "node-role", "keys-and-irsa": "static-keys"}
_HINT = ("Ask the SDK, not the environment: boto3.Session().get_credentials().method is 'env', "
         "'assume-role-with-web-identity', 'container-role' or 'iam-role'.")


def _scenarios(lab: Any, cluster: Any) -> dict[str, dict[str, Any]]:
    """Four pods' identities: IRSA, Pod Identity, nothing (IMDS open), static keys beside IRSA."""
    from labkit.policy import irsa_trust_policy, pod_identity_trust_policy

    iam, eks = lab.client("iam"), lab.client("eks")
    iam.create_open_id_connect_provider(Url=cluster.oidc_issuer, ClientIDList=["sts.amazonaws.com"])
    iam.create_role(RoleName="app-irsa", AssumeRolePolicyDocument=json.dumps(
        irsa_trust_policy(lab.account_id, [(cluster.oidc_issuer, "app", "irsa")])))
    iam.create_role(RoleName="app-pod-identity", AssumeRolePolicyDocument=json.dumps(pod_identity_trust_policy()))
    iam.create_user(UserName="legacy")
    key = iam.create_access_key(UserName="legacy")["AccessKey"]
    eks.create_addon(clusterName=cluster.name, addonName="eks-pod-identity-agent")
    role = f"arn:aws:iam::{lab.account_id}:role/app-irsa"
    cluster.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}},
                   {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
                       "name": "irsa", "namespace": "app", "annotations": {"eks.amazonaws.com/role-arn": role}}},
                   {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "pod-identity", "namespace": "app"}}])
    eks.create_pod_identity_association(clusterName=cluster.name, namespace="app", serviceAccount="pod-identity",
                                       roleArn=f"arn:aws:iam::{lab.account_id}:role/app-pod-identity")
    lab.advance(seconds=60)
    keys = [{"name": "AWS_ACCESS_KEY_ID", "value": key["AccessKeyId"]},
            {"name": "AWS_SECRET_ACCESS_KEY", "value": key["SecretAccessKey"]}]
    return {"irsa": {"serviceAccountName": "irsa"}, "pod-identity": {"serviceAccountName": "pod-identity"},
            "no-identity": {}, "keys-and-irsa": {"serviceAccountName": "irsa", "env": keys}}


def _run(cluster: Any, name: str, spec: dict[str, Any], program: str) -> Any:
    spec = dict(spec)
    env = [{"name": "AWS_DEFAULT_REGION", "value": "us-east-1"}] + spec.pop("env", [])
    return cluster.run_pod({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "app"},
                            "spec": {**spec, "containers": [{"name": "app", "image": "python:3.11", "env": env,
                                                             "command": ["python", "-c", program]}]}})


def _outcome(run: Any) -> str:
    """The answer printed by the pod, or a CheckFailed for a stub or a crash."""
    if run.returncode == 0:
        return run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    stub = re.search(r"NotImplementedError: (.*)", run.stderr)
    if stub:
        raise CheckFailed("credential_type is not written yet.", stub.group(1) or _HINT)
    last = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else f"exit code {run.returncode}"
    raise CheckFailed(f"credential_type crashed in pod {run.pod}: {last}", _HINT)


def check_credential_type(credential_type: Callable[[], str]) -> None:
    """``credential_type()`` run in four real pods names the provider that really won each time."""
    from labkit.sim import Lab

    source = textwrap.dedent(inspect.getsource(credential_type))
    program = f"{source}\nprint({credential_type.__name__}())"
    with Lab(seed=7) as lab:
        cluster = lab.create_cluster("grading")
        cluster.add_nodegroup("open-imds", http_tokens="optional", hop_limit=2)
        for scenario, spec in _scenarios(lab, cluster).items():
            answer = _outcome(_run(cluster, f"check-{scenario}", spec, program))
            check(answer == EXPECTED[scenario],
                  f"in the {scenario} pod credential_type() returned {answer!r}; the SDK used "
                  f"{EXPECTED[scenario]}", _HINT)
    passed("credential_type() names the winning provider in all four pods, node role and static keys included")
