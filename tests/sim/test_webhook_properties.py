"""Properties of the webhook over generated pods: pure, patch-consistent, idempotent."""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
from hypothesis import given, settings
from hypothesis import strategies as st

from labkit.sim.webhook import WebhookConfig, json_patch, mutate_pod, webhook_patch

ENV_NAMES = ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
             "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_REGION", "AWS_DEFAULT_REGION",
             "AWS_STS_REGIONAL_ENDPOINTS", "APP_MODE"]
TOKEN_VOLUMES = ["aws-iam-token", "eks-pod-identity-token", "data"]
EXPIRATIONS = ["", "100", "600", "5000", "86400", "86401", "x", "-3"]

env_entries = st.lists(st.builds(lambda name, value: {"name": name, "value": value},
                                 st.sampled_from(ENV_NAMES), st.sampled_from(["v", "/t", "regional"])),
                       max_size=4, unique_by=lambda entry: entry["name"])
mounts = st.lists(st.builds(lambda name: {"name": name, "mountPath": f"/mnt/{name}"}, st.sampled_from(TOKEN_VOLUMES)),
                  max_size=2, unique_by=lambda mount: mount["name"])


@st.composite
def containers(draw: st.DrawFn, names: list[str]) -> list[dict[str, Any]]:
    result = []
    for name in names:
        container: dict[str, Any] = {"name": name, "image": "public.ecr.aws/lab/app"}
        if draw(st.booleans()):
            container["env"] = draw(env_entries)
        if draw(st.booleans()):
            container["volumeMounts"] = draw(mounts)
        result.append(container)
    return result


@st.composite
def pods(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(["app", "sidecar", " sidecar", "x,y"]), min_size=1, max_size=3, unique=True))
    init_names = draw(st.lists(st.sampled_from(["setup", "proxy"]), max_size=2, unique=True))
    metadata: dict[str, Any] = {"name": "web", "namespace": "default"}
    annotations = {}
    if draw(st.booleans()):
        annotations["eks.amazonaws.com/skip-containers"] = draw(st.sampled_from(["sidecar", "app, sidecar", '"x,y"',
                                                                                 "setup", 'a"b', ""]))
    if draw(st.booleans()):
        annotations["eks.amazonaws.com/token-expiration"] = draw(st.sampled_from(EXPIRATIONS))
    if annotations:
        metadata["annotations"] = annotations
    if draw(st.booleans()):
        metadata["labels"] = draw(st.dictionaries(st.sampled_from(["app", "eks.amazonaws.com/pod-identity"]),
                                                  st.sampled_from(["web", "enabled"]), max_size=2))
    spec: dict[str, Any] = {"serviceAccountName": "app", "containers": draw(containers(names))}
    if init_names:
        spec["initContainers"] = draw(containers(init_names))
    volumes = draw(st.one_of(st.none(), st.lists(st.sampled_from(TOKEN_VOLUMES), max_size=2, unique=True)))
    if volumes is not None:
        spec["volumes"] = [{"name": name, "emptyDir": {}} for name in volumes]
    if draw(st.booleans()):
        spec["nodeSelector"] = {"kubernetes.io/os": draw(st.sampled_from(["linux", "windows"]))}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


@st.composite
def service_accounts(draw: st.DrawFn) -> dict[str, Any] | None:
    if draw(st.integers(0, 9)) == 0:
        return None
    annotations = {}
    if draw(st.booleans()):
        annotations["eks.amazonaws.com/role-arn"] = draw(st.sampled_from(["arn:aws:iam::111122223333:role/r", ""]))
    if draw(st.booleans()):
        annotations["eks.amazonaws.com/sts-regional-endpoints"] = draw(st.sampled_from(["true", "0", "maybe"]))
    if draw(st.booleans()):
        annotations["eks.amazonaws.com/token-expiration"] = draw(st.sampled_from(EXPIRATIONS))
    return {"metadata": {"name": "app", "namespace": "default", "annotations": annotations}}


configs = st.builds(lambda region, sts: WebhookConfig(region=region, sts_regional_endpoints=sts, jitter=lambda: 80000),
                    st.sampled_from(["", "eu-west-1"]), st.booleans())


@settings(max_examples=150, deadline=None)
@given(pod=pods(), account=service_accounts(), config=configs, pod_identity=st.booleans())
def test_webhook_is_pure_patch_consistent_and_idempotent(
    pod: dict[str, Any], account: dict[str, Any] | None, config: WebhookConfig, pod_identity: bool
) -> None:
    pod_before, account_before = copy.deepcopy(pod), copy.deepcopy(account)
    patch = webhook_patch(pod, account, config=config, pod_identity=pod_identity)
    after = mutate_pod(pod, account, config=config, pod_identity=pod_identity)
    assert pod == pod_before and account == account_before
    if patch is None:
        assert after == pod
    else:
        assert jsonpatch.apply_patch(pod, patch) == after
    assert jsonpatch.apply_patch(pod, json_patch(pod, after)) == after
    assert mutate_pod(after, account, config=config, pod_identity=pod_identity) == after
