"""Every case of tests/data/webhook-sample.yaml (the upstream fixtures restated as facts) through one test."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
import yaml

from labkit.sim.webhook import WebhookConfig, json_patch, mutate_pod, webhook_patch

SAMPLE = yaml.safe_load((Path(__file__).parents[1] / "data" / "webhook-sample.yaml").read_text())
CASES = SAMPLE["fixture_cases"] + SAMPLE["derived_cases"]
DEFAULT_NAMESPACE = "default"


def _config(case: dict[str, Any]) -> WebhookConfig:
    """The flags of a case; the harness's random source 0 makes the jittered default 79200."""
    flags = case.get("webhook_config") or {}
    settings: dict[str, Any] = {"region": flags.get("aws_default_region_flag") or "", "jitter": lambda: 79200}
    for ours, theirs in [
        ("token_mount_path", "token_mount_path"),
        ("token_audience", "token_audience_default"),
        ("token_expiration", "token_expiration_default"),
    ]:
        if theirs in flags:
            settings[ours] = flags[theirs]
    association = case.get("pod_identity_association")
    if association:
        settings.update(
            container_credentials_full_uri=association["full_uri"],
            container_credentials_audience=association["audience"],
            container_credentials_token_mount_path=association["mount_path"],
            container_credentials_token_volume_name=association["volume_name"],
            container_credentials_token_path=association["token_path"],
        )
    return WebhookConfig(**settings)


def _service_account(case: dict[str, Any]) -> dict[str, Any]:
    """The harness's fake SA: always default/default."""
    annotations = dict(case["service_account"].get("annotations") or {})
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": DEFAULT_NAMESPACE, "annotations": annotations}}


def _pod(case: dict[str, Any]) -> dict[str, Any]:
    """The case's pod, with namespace and serviceAccountName forced to 'default' as the harness does."""
    source = case["pod"]
    metadata: dict[str, Any] = {"name": "balajilovesoreos", "namespace": DEFAULT_NAMESPACE}
    if "annotations" in source:
        metadata["annotations"] = dict(source["annotations"])
    spec: dict[str, Any] = {"serviceAccountName": "default"}
    for key in ("containers", "initContainers", "nodeSelector", "volumes"):
        if key in source:
            spec[key] = copy.deepcopy(source[key])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def _ops(patch: list[dict[str, Any]] | None) -> list[str]:
    return [f"{op['op']} {op['path']}" for op in patch or []]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_sample_case(case: dict[str, Any]) -> None:
    config, pod, service_account = _config(case), _pod(case), _service_account(case)
    pod_identity = bool(case.get("pod_identity_association"))
    expected = case["expected"]
    patch = webhook_patch(pod, service_account, config=config, pod_identity=pod_identity)
    after = mutate_pod(pod, service_account, config=config, pod_identity=pod_identity)

    if "patch" in expected and expected["patch"] is None:
        assert patch is None and after == pod and json_patch(pod, after) == []
        return
    assert jsonpatch.apply_patch(pod, patch) == after
    assert jsonpatch.apply_patch(pod, json_patch(pod, after)) == after
    if "patch_op_sequence" in expected:
        assert _ops(patch) == expected["patch_op_sequence"]
        assert _ops(json_patch(pod, after)) == expected["patch_op_sequence"]
    _check_labels(after, expected)
    _check_volume(pod, after, expected)
    _check_containers(pod, after, expected)


def _check_labels(after: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, value in (expected.get("pod_labels_added") or {}).items():
        assert after["metadata"]["labels"][key] == value


def _check_volume(before: dict[str, Any], after: dict[str, Any], expected: dict[str, Any]) -> None:
    if "pod_volume_added" not in expected:
        return
    wanted = expected["pod_volume_added"]
    if wanted is None:
        assert after["spec"].get("volumes") == before["spec"].get("volumes")
        return
    volume = after["spec"]["volumes"][0]
    if "name" in wanted:
        assert volume["name"] == wanted["name"]
    projection = volume["projected"]["sources"][0]["serviceAccountToken"]
    for key, value in wanted["projected_service_account_token"].items():
        assert projection[key] == value, key
    if str(wanted.get("placement", "")).startswith("volumes array created"):
        assert "volumes" not in before["spec"] and len(after["spec"]["volumes"]) == 1


def _check_containers(before: dict[str, Any], after: dict[str, Any], expected: dict[str, Any]) -> None:
    for wanted in expected.get("containers") or []:
        [old] = [c for c in before["spec"]["containers"] if c["name"] == wanted["name"]]
        [new] = [c for c in after["spec"]["containers"] if c["name"] == wanted["name"]]
        if "env_final_in_order" in wanted:
            assert new.get("env", []) == wanted["env_final_in_order"]
        if "env_added" in wanted:
            assert [e["name"] for e in new.get("env", [])[len(old.get("env", [])):]] == wanted["env_added"]
        if "volumeMounts_final" in wanted:
            assert new.get("volumeMounts", []) == wanted["volumeMounts_final"]
        if "volumeMounts_added" in wanted:
            added = new.get("volumeMounts", [])[len(old.get("volumeMounts", [])):]
            assert added == wanted["volumeMounts_added"]
        if "untouched" in wanted:
            assert (new == old) is wanted["untouched"]
