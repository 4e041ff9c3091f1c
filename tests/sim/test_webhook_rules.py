"""One small test per rule of the webhook spec, parts A (IRSA) and C (Pod Identity), named by the rule."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import jsonpatch
import pytest

from labkit.sim.webhook import (
    AGENT_FULL_URI_IPV6,
    WebhookConfig,
    admission_review,
    go_parse_bool,
    go_parse_int64,
    json_patch,
    mutate_pod,
    read_csv_record,
    uniform_jitter,
    webhook_patch,
)

ROLE = "arn:aws:iam::111122223333:role/s3-reader"
IRSA_FILE = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
IRSA_MOUNT = {"name": "aws-iam-token", "readOnly": True, "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount"}
PI_FILE = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"
PI_URI = "http://169.254.170.23/v1/credentials"
FIXED = WebhookConfig(jitter=lambda: 79200)


def sa(**annotations: str) -> dict[str, Any]:
    """ServiceAccount default/app with annotations given as keyword args (``role_arn`` -> ``role-arn``)."""
    full = {f"eks.amazonaws.com/{key.replace('_', '-')}": value for key, value in annotations.items()}
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "app", "namespace": "default", "annotations": full}}


def pod(*containers: dict[str, Any], annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    """Pod default/web on SA app; containers default to one bare container named app."""
    metadata: dict[str, Any] = {"name": "web", "namespace": "default"}
    if annotations is not None:
        metadata["annotations"] = annotations
    body = {"serviceAccountName": "app", "containers": list(containers) or [{"name": "app"}], **spec}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": body}


def env(container: dict[str, Any]) -> list[tuple[str, str]]:
    return [(entry["name"], entry.get("value", "")) for entry in container.get("env", [])]


def names(container: dict[str, Any]) -> list[str]:
    return [entry["name"] for entry in container.get("env", [])]


def only(result: dict[str, Any]) -> dict[str, Any]:
    [container] = result["spec"]["containers"]
    return container


def projection(result: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return result["spec"]["volumes"][index]["projected"]["sources"][0]["serviceAccountToken"]


def irsa(p: dict[str, Any], account: dict[str, Any] | None = None, **flags: Any) -> dict[str, Any]:
    return mutate_pod(p, sa(role_arn=ROLE) if account is None else account, config=WebhookConfig(**flags))


def pod_identity(p: dict[str, Any], account: dict[str, Any] | None = None, **flags: Any) -> dict[str, Any]:
    flags.setdefault("jitter", lambda: 79200)
    return mutate_pod(p, sa() if account is None else account, config=WebhookConfig(**flags), pod_identity=True)


# --- A.3: whether to mutate -----------------------------------------------------------------------------------


def test_no_role_arn_means_no_mutation() -> None:
    assert webhook_patch(pod(), sa()) is None
    assert mutate_pod(pod(), sa()) == pod()


def test_empty_role_arn_counts_as_no_role() -> None:
    assert webhook_patch(pod(), sa(role_arn="")) is None


def test_service_account_missing_from_cache_means_no_mutation() -> None:
    assert webhook_patch(pod(), None) is None


def test_webhook_never_defaults_the_service_account_name() -> None:
    # The API server's ServiceAccount admission fills in "default" before webhooks run; the webhook does not.
    nameless = pod()
    del nameless["spec"]["serviceAccountName"]
    assert webhook_patch(nameless, sa(role_arn=ROLE)) is None
    assert webhook_patch(nameless, None, pod_identity=True) is None


def test_service_account_must_be_the_pods() -> None:
    other = sa(role_arn=ROLE)
    other["metadata"]["name"] = "someone-else"
    with pytest.raises(ValueError, match="not the pod's"):
        mutate_pod(pod(), other)


def test_invalid_role_arn_is_still_injected() -> None:
    assert ("AWS_ROLE_ARN", "not-an-arn") in env(only(irsa(pod(), sa(role_arn="not-an-arn"))))


def test_audience_annotation_beats_flag() -> None:
    result = irsa(pod(), sa(role_arn=ROLE, audience="my-aud"), token_audience="flag-aud")
    assert projection(result)["audience"] == "my-aud"


def test_audience_defaults_to_flag() -> None:
    assert projection(irsa(pod(), token_audience="flag-aud"))["audience"] == "flag-aud"


def test_empty_audience_annotation_gives_a_token_without_audience() -> None:
    assert "audience" not in projection(irsa(pod(), sa(role_arn=ROLE, audience="")))


@pytest.mark.parametrize("value", ["1", "t", "T", "TRUE", "true", "True"])
def test_sts_regional_endpoints_annotation_true_values(value: str) -> None:
    assert names(only(irsa(pod(), sa(role_arn=ROLE, sts_regional_endpoints=value))))[0] == "AWS_STS_REGIONAL_ENDPOINTS"


@pytest.mark.parametrize("value", ["0", "f", "F", "FALSE", "false", "False"])
def test_sts_regional_endpoints_annotation_false_beats_flag(value: str) -> None:
    result = irsa(pod(), sa(role_arn=ROLE, sts_regional_endpoints=value), sts_regional_endpoints=True)
    assert "AWS_STS_REGIONAL_ENDPOINTS" not in names(only(result))


@pytest.mark.parametrize("value", ["yes", "", " true", "tRuE"])
def test_sts_regional_endpoints_unparsable_falls_back_to_flag(value: str) -> None:
    on = irsa(pod(), sa(role_arn=ROLE, sts_regional_endpoints=value), sts_regional_endpoints=True)
    off = irsa(pod(), sa(role_arn=ROLE, sts_regional_endpoints=value))
    assert "AWS_STS_REGIONAL_ENDPOINTS" in names(only(on))
    assert "AWS_STS_REGIONAL_ENDPOINTS" not in names(only(off))


def test_sa_token_expiration_is_raised_to_600() -> None:
    assert projection(irsa(pod(), sa(role_arn=ROLE, token_expiration="100")))["expirationSeconds"] == 600


def test_sa_token_expiration_has_no_upper_clamp() -> None:
    assert projection(irsa(pod(), sa(role_arn=ROLE, token_expiration="172800")))["expirationSeconds"] == 172800


@pytest.mark.parametrize("value", ["abc", "", " 3600", "3_600", "1e4", "99999999999999999999"])
def test_sa_token_expiration_unparsable_uses_flag(value: str) -> None:
    result = irsa(pod(), sa(role_arn=ROLE, token_expiration=value), token_expiration=7200)
    assert projection(result)["expirationSeconds"] == 7200


def test_flag_token_expiration_is_raised_to_600_at_startup() -> None:
    assert WebhookConfig(token_expiration=60).token_expiration == 600
    assert projection(irsa(pod(), token_expiration=60))["expirationSeconds"] == 600


def test_annotation_prefix_applies_to_sa_and_pod_annotations() -> None:
    account = sa()
    account["metadata"]["annotations"] = {"example.com/role-arn": ROLE, "eks.amazonaws.com/token-expiration": "900"}
    p = pod(annotations={"example.com/token-expiration": "1200"})
    result = mutate_pod(p, account, config=WebhookConfig(annotation_prefix="example.com"))
    assert ("AWS_ROLE_ARN", ROLE) in env(only(result)) and projection(result)["expirationSeconds"] == 1200
    assert webhook_patch(pod(), sa(role_arn=ROLE), config=WebhookConfig(annotation_prefix="example.com")) is None


# --- A.4: per-pod parameters ----------------------------------------------------------------------------------


def test_pod_token_expiration_beats_sa_annotation() -> None:
    result = irsa(pod(annotations={"eks.amazonaws.com/token-expiration": "4000"}), sa(role_arn=ROLE, token_expiration="9000"))
    assert projection(result)["expirationSeconds"] == 4000


def test_pod_token_expiration_is_raised_to_600() -> None:
    result = irsa(pod(annotations={"eks.amazonaws.com/token-expiration": "10"}))
    assert projection(result)["expirationSeconds"] == 600


def test_pod_token_expiration_unparsable_is_ignored() -> None:
    result = irsa(pod(annotations={"eks.amazonaws.com/token-expiration": "soon"}), sa(role_arn=ROLE, token_expiration="9000"))
    assert projection(result)["expirationSeconds"] == 9000


def test_no_jitter_in_irsa_mode() -> None:
    def jitter() -> int:
        raise AssertionError("IRSA never jitters")

    result = mutate_pod(pod(), sa(role_arn=ROLE), config=WebhookConfig(jitter=jitter))
    assert projection(result)["expirationSeconds"] == 86400


def test_skip_containers_is_one_csv_record_keeping_leading_spaces() -> None:
    p = pod({"name": "a"}, {"name": "b"}, {"name": " b"}, annotations={"eks.amazonaws.com/skip-containers": "a, b"})
    a, b, spaced_b = irsa(p)["spec"]["containers"]
    assert a == {"name": "a"} and spaced_b == {"name": " b"} and "env" in b


def test_skip_containers_honours_csv_quoting() -> None:
    p = pod({"name": "x,y"}, {"name": "z"}, annotations={"eks.amazonaws.com/skip-containers": '"x,y",z'})
    assert irsa(p)["spec"]["containers"] == [{"name": "x,y"}, {"name": "z"}]


def test_skip_containers_parse_error_skips_nothing() -> None:
    p = pod({"name": "a"}, annotations={"eks.amazonaws.com/skip-containers": 'a"b'})
    assert "env" in only(irsa(p))


def test_skip_containers_applies_to_init_containers() -> None:
    p = pod(annotations={"eks.amazonaws.com/skip-containers": "setup"}, initContainers=[{"name": "setup"}])
    assert irsa(p)["spec"]["initContainers"] == [{"name": "setup"}]


def test_region_comes_only_from_the_flag() -> None:
    assert "AWS_REGION" not in names(only(irsa(pod())))
    assert env(only(irsa(pod(), region="eu-west-1")))[:2] == [("AWS_DEFAULT_REGION", "eu-west-1"), ("AWS_REGION", "eu-west-1")]


@pytest.mark.parametrize("selector", ["kubernetes.io/os", "beta.kubernetes.io/os"])
def test_windows_node_selector_rewrites_only_the_token_file_value(selector: str) -> None:
    container = only(irsa(pod(nodeSelector={selector: "windows"})))
    assert ("AWS_WEB_IDENTITY_TOKEN_FILE", "C:\\var\\run\\secrets\\eks.amazonaws.com\\serviceaccount\\token") in env(container)
    assert container["volumeMounts"] == [IRSA_MOUNT]


def test_windows_node_affinity_is_not_detected() -> None:
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["windows"]}]}]}}}
    assert ("AWS_WEB_IDENTITY_TOKEN_FILE", IRSA_FILE) in env(only(irsa(pod(affinity=affinity))))


def test_webhook_ignores_host_network_security_context_and_ephemeral_containers() -> None:
    extra = {"hostNetwork": True, "securityContext": {"runAsUser": 1000}, "ephemeralContainers": [{"name": "dbg"}]}
    result = irsa(pod(**copy.deepcopy(extra)))
    assert {key: result["spec"][key] for key in extra} == extra and "fsGroup" not in result["spec"]["securityContext"]


# --- A.5: the patch and each container --------------------------------------------------------------------------


def test_volumes_array_created_when_pod_has_none() -> None:
    patch = webhook_patch(pod(), sa(role_arn=ROLE))
    assert [op["path"] for op in patch or []] == ["/spec/volumes", "/spec/containers"]


def test_token_volume_inserted_first() -> None:
    result = irsa(pod(volumes=[{"name": "data", "emptyDir": {}}]))
    assert [v["name"] for v in result["spec"]["volumes"]] == ["aws-iam-token", "data"]
    assert projection(result) == {"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}


def test_existing_volume_with_the_same_name_is_kept_whatever_its_type() -> None:
    host_path = {"name": "aws-iam-token", "hostPath": {"path": "/tmp"}}
    result = irsa(pod(volumes=[host_path]))
    assert result["spec"]["volumes"] == [host_path]
    assert [op["path"] for op in webhook_patch(pod(volumes=[host_path]), sa(role_arn=ROLE)) or []] == ["/spec/containers"]


def test_containers_op_always_emitted_even_when_nothing_changes() -> None:
    ready = {"name": "app", "env": [{"name": "AWS_ROLE_ARN", "value": "x"}, {"name": "AWS_REGION", "value": "r"},
                                    {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"}]}
    p = pod(ready, volumes=[{"name": "aws-iam-token", "emptyDir": {}}])
    assert webhook_patch(p, sa(role_arn=ROLE)) == [{"op": "add", "path": "/spec/containers", "value": [ready]}]
    assert mutate_pod(p, sa(role_arn=ROLE)) == p and json_patch(p, p) == []


def test_init_containers_op_only_when_present_and_sidecars_preserved() -> None:
    sidecar = {"name": "proxy", "restartPolicy": "Always"}
    patch = webhook_patch(pod(initContainers=[sidecar]), sa(role_arn=ROLE)) or []
    assert [op["path"] for op in patch][-1] == "/spec/initContainers"
    [init] = patch[-1]["value"]
    assert init["restartPolicy"] == "Always" and ("AWS_ROLE_ARN", ROLE) in env(init)
    assert "/spec/initContainers" not in [op["path"] for op in webhook_patch(pod(initContainers=[]), sa(role_arn=ROLE)) or []]


def test_early_exit_leaves_container_untouched_but_volume_still_added() -> None:
    ready = {"name": "app", "env": [{"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/t"},
                                    {"name": "AWS_DEFAULT_REGION", "value": "r"},
                                    {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "legacy"}]}
    result = irsa(pod(copy.deepcopy(ready)), region="eu-west-1", sts_regional_endpoints=True)
    assert only(result) == ready and result["spec"]["volumes"][0]["name"] == "aws-iam-token"


@pytest.mark.parametrize("missing", ["AWS_ROLE_ARN", "AWS_REGION", "AWS_STS_REGIONAL_ENDPOINTS"])
def test_early_exit_needs_credential_region_and_sts_all_set(missing: str) -> None:
    preset = [{"name": n, "value": "v"} for n in ("AWS_ROLE_ARN", "AWS_REGION", "AWS_STS_REGIONAL_ENDPOINTS") if n != missing]
    assert only(irsa(pod({"name": "app", "env": preset})))["volumeMounts"] == [IRSA_MOUNT]


def test_env_order_is_sts_then_regions_then_credentials() -> None:
    result = irsa(pod({"name": "app", "env": [{"name": "MINE", "value": "1"}]}), region="eu-west-1", sts_regional_endpoints=True)
    assert names(only(result)) == ["MINE", "AWS_STS_REGIONAL_ENDPOINTS", "AWS_DEFAULT_REGION", "AWS_REGION",
                                   "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]


@pytest.mark.parametrize("present", ["AWS_REGION", "AWS_DEFAULT_REGION"])
def test_either_region_variable_suppresses_both(present: str) -> None:
    result = irsa(pod({"name": "app", "env": [{"name": present, "value": "us-east-2"}]}), region="eu-west-1")
    assert [n for n in names(only(result)) if "REGION" in n] == [present]


@pytest.mark.parametrize("present", ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"])
def test_credential_pair_is_all_or_nothing(present: str) -> None:
    container = only(irsa(pod({"name": "app", "env": [{"name": present, "value": "mine"}]})))
    assert env(container) == [(present, "mine")] and container["volumeMounts"] == [IRSA_MOUNT]


def test_existing_env_values_are_never_overwritten_or_removed() -> None:
    own = [{"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "legacy"}, {"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}]
    result = irsa(pod({"name": "app", "env": copy.deepcopy(own)}), sts_regional_endpoints=True)
    assert only(result)["env"][:2] == own


def test_env_from_is_ignored() -> None:
    container = {"name": "app", "envFrom": [{"configMapRef": {"name": "aws"}}]}
    assert names(only(irsa(pod(container)))) == ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]


def test_existing_mount_is_matched_by_name_not_path() -> None:
    mount = {"name": "aws-iam-token", "mountPath": "/elsewhere"}
    assert only(irsa(pod({"name": "app", "volumeMounts": [mount]})))["volumeMounts"] == [mount]


def test_token_mount_path_flag() -> None:
    container = only(irsa(pod(), token_mount_path="/aws/token-dir/"))
    assert ("AWS_WEB_IDENTITY_TOKEN_FILE", "/aws/token-dir/token") in env(container)
    assert container["volumeMounts"][0]["mountPath"] == "/aws/token-dir/"


def test_mutate_pod_does_not_change_its_inputs() -> None:
    p, account = pod(annotations={}, volumes=[]), sa(role_arn=ROLE)
    p_copy, account_copy = copy.deepcopy(p), copy.deepcopy(account)
    result = mutate_pod(p, account)
    assert p == p_copy and account == account_copy and result is not p
    result["spec"]["containers"][0]["env"].append({"name": "LATER"})
    assert p == p_copy


def test_patch_applies_to_the_pod_and_equals_the_diff() -> None:
    p = pod({"name": "a"}, volumes=[{"name": "data", "emptyDir": {}}], initContainers=[{"name": "i"}])
    after = mutate_pod(p, sa(role_arn=ROLE))
    assert jsonpatch.apply_patch(p, webhook_patch(p, sa(role_arn=ROLE))) == after
    assert json_patch(p, after) == webhook_patch(p, sa(role_arn=ROLE))


# --- C: Pod Identity ------------------------------------------------------------------------------------------


def test_pod_identity_label_creates_labels_map_when_absent() -> None:
    patch = webhook_patch(pod(), sa(), config=FIXED, pod_identity=True) or []
    assert patch[0] == {"op": "add", "path": "/metadata/labels", "value": {"eks.amazonaws.com/pod-identity": "enabled"}}


def test_pod_identity_label_adds_one_key_to_existing_labels() -> None:
    p = pod()
    p["metadata"]["labels"] = {"app": "web"}
    patch = webhook_patch(p, sa(), config=FIXED, pod_identity=True) or []
    assert patch[0] == {"op": "add", "path": "/metadata/labels/eks.amazonaws.com~1pod-identity", "value": "enabled"}
    assert mutate_pod(p, sa(), config=FIXED, pod_identity=True)["metadata"]["labels"] == {
        "app": "web", "eks.amazonaws.com/pod-identity": "enabled"}


def test_pod_identity_label_key_ignores_annotation_prefix() -> None:
    result = pod_identity(pod(), annotation_prefix="example.com")
    assert result["metadata"]["labels"] == {"eks.amazonaws.com/pod-identity": "enabled"}


def test_pod_identity_volume_has_pods_audience() -> None:
    result = pod_identity(pod())
    assert result["spec"]["volumes"][0]["name"] == "eks-pod-identity-token"
    assert projection(result) == {"audience": "pods.eks.amazonaws.com", "expirationSeconds": 79200,
                                  "path": "eks-pod-identity-token"}


def test_pod_identity_env_and_mount_ipv4() -> None:
    container = only(pod_identity(pod()))
    assert env(container) == [("AWS_CONTAINER_CREDENTIALS_FULL_URI", PI_URI), ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", PI_FILE)]
    assert container["volumeMounts"] == [{"name": "eks-pod-identity-token", "readOnly": True,
                                          "mountPath": "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"}]


def test_pod_identity_full_uri_ipv6_cluster() -> None:
    config = WebhookConfig.for_ipv6_cluster(jitter=lambda: 80000)
    container = only(mutate_pod(pod(), sa(), config=config, pod_identity=True))
    assert env(container)[0] == ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://[fd00:ec2::23]/v1/credentials")
    assert AGENT_FULL_URI_IPV6 == "http://[fd00:ec2::23]/v1/credentials"


def test_pod_identity_flags_are_configurable() -> None:
    result = pod_identity(pod(), container_credentials_audience="aud", container_credentials_token_mount_path="/m",
                          container_credentials_token_volume_name="vol", container_credentials_token_path="f",
                          container_credentials_full_uri="http://agent/creds")
    assert projection(result) == {"audience": "aud", "expirationSeconds": 79200, "path": "f"}
    assert env(only(result)) == [("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://agent/creds"),
                                 ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/m/f")]
    assert only(result)["volumeMounts"] == [{"name": "vol", "readOnly": True, "mountPath": "/m"}]


def test_pod_identity_takes_precedence_over_role_arn() -> None:
    container = only(pod_identity(pod(), sa(role_arn=ROLE)))
    assert "AWS_ROLE_ARN" not in names(container) and "AWS_CONTAINER_CREDENTIALS_FULL_URI" in names(container)


def test_pod_identity_ignores_sa_audience_annotation() -> None:
    assert projection(pod_identity(pod(), sa(audience="sts.amazonaws.com")))["audience"] == "pods.eks.amazonaws.com"


def test_pod_identity_borrows_sts_and_expiration_from_sa() -> None:
    result = pod_identity(pod(), sa(sts_regional_endpoints="true", token_expiration="10000"))
    assert projection(result)["expirationSeconds"] == 10000
    assert names(only(result))[0] == "AWS_STS_REGIONAL_ENDPOINTS"


def test_pod_identity_uses_flags_through_a_cached_sa() -> None:
    result = pod_identity(pod(), sa(), token_expiration=7200, sts_regional_endpoints=True)
    assert projection(result)["expirationSeconds"] == 7200 and "AWS_STS_REGIONAL_ENDPOINTS" in names(only(result))


def test_pod_identity_uncached_sa_falls_back_to_86400_ignoring_flag() -> None:
    result = mutate_pod(pod(), None, config=WebhookConfig(token_expiration=7200, sts_regional_endpoints=True,
                                                          jitter=lambda: 80001), pod_identity=True)
    assert projection(result)["expirationSeconds"] == 80001 and "AWS_STS_REGIONAL_ENDPOINTS" not in names(only(result))


def test_pod_identity_pod_annotation_expiration_beats_sa() -> None:
    result = pod_identity(pod(annotations={"eks.amazonaws.com/token-expiration": "5000"}), sa(token_expiration="10000"))
    assert projection(result)["expirationSeconds"] == 5000


@pytest.mark.parametrize("expiration", ["86399", "86401", "10000"])
def test_jitter_only_at_exactly_86400(expiration: str) -> None:
    result = pod_identity(pod(annotations={"eks.amazonaws.com/token-expiration": expiration}))
    assert projection(result)["expirationSeconds"] == int(expiration)


def test_jitter_replaces_exact_86400_after_the_pod_annotation() -> None:
    result = pod_identity(pod(annotations={"eks.amazonaws.com/token-expiration": "86400"}), sa(token_expiration="3600"),
                          jitter=lambda: 81234)
    assert projection(result)["expirationSeconds"] == 81234


def test_default_jitter_is_uniform_in_79200_86400() -> None:
    draws = {uniform_jitter() for _ in range(2000)}
    assert min(draws) >= 79200 and max(draws) <= 86400 and len(draws) > 1000


def test_pod_identity_windows_rewrites_authorization_token_file() -> None:
    container = only(pod_identity(pod(nodeSelector={"kubernetes.io/os": "windows"})))
    assert ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            "C:\\var\\run\\secrets\\pods.eks.amazonaws.com\\serviceaccount\\eks-pod-identity-token") in env(container)


def test_pod_identity_early_exit_uses_the_container_credentials_group() -> None:
    irsa_ready = [{"name": n, "value": "v"} for n in ("AWS_ROLE_ARN", "AWS_REGION", "AWS_STS_REGIONAL_ENDPOINTS")]
    pi_ready = [{"name": n, "value": "v"} for n in ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_REGION",
                                                    "AWS_STS_REGIONAL_ENDPOINTS")]
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI" in names(only(pod_identity(pod({"name": "app", "env": irsa_ready}))))
    assert only(pod_identity(pod({"name": "app", "env": copy.deepcopy(pi_ready)}))) == {"name": "app", "env": pi_ready}


def test_pod_identity_credential_pair_is_all_or_nothing() -> None:
    container = only(pod_identity(pod({"name": "app", "env": [{"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "u"}]})))
    assert names(container) == ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]


def test_pod_identity_skip_containers_and_region() -> None:
    p = pod({"name": "a"}, {"name": "b"}, annotations={"eks.amazonaws.com/skip-containers": "b"})
    a, b = pod_identity(p, region="eu-west-1")["spec"]["containers"]
    assert names(a)[:2] == ["AWS_DEFAULT_REGION", "AWS_REGION"] and b == {"name": "b"}


# --- json_patch and the admission handler ---------------------------------------------------------------------


def test_json_patch_of_a_pod_identity_mutation_applies() -> None:
    p = pod(volumes=[{"name": "data", "emptyDir": {}}])
    after = pod_identity(p)
    patch = json_patch(p, after)
    assert [op["path"] for op in patch] == ["/metadata/labels", "/spec/volumes/0", "/spec/containers"]
    assert jsonpatch.apply_patch(p, patch) == after


def _review(p: dict[str, Any], namespace: str = "default") -> dict[str, Any]:
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "abc-123", "namespace": namespace, "object": p}}


def test_admission_review_echoes_uid_and_returns_base64_json_patch() -> None:
    answer = admission_review(_review(pod()), service_accounts={("default", "app"): sa(role_arn=ROLE)})
    response = answer["response"]
    assert answer["apiVersion"] == "admission.k8s.io/v1" and answer["kind"] == "AdmissionReview"
    assert response["uid"] == "abc-123" and response["allowed"] is True and response["patchType"] == "JSONPatch"
    assert json.loads(base64.b64decode(response["patch"])) == webhook_patch(pod(), sa(role_arn=ROLE))


def test_admission_review_without_role_allows_without_patch() -> None:
    response = admission_review(_review(pod()), service_accounts={("default", "app"): sa()})["response"]
    assert response == {"uid": "abc-123", "allowed": True}


def test_admission_review_takes_namespace_from_the_request() -> None:
    p = pod()
    p["metadata"]["namespace"] = "elsewhere"
    accounts = {("default", "app"): sa(role_arn=ROLE)}
    assert "patch" in admission_review(_review(p), service_accounts=accounts)["response"]
    assert "patch" not in admission_review(_review(pod(), "other"), service_accounts=accounts)["response"]


def test_admission_review_uses_the_identities_set() -> None:
    response = admission_review(_review(pod()), service_accounts={}, identities={("default", "app")},
                                config=FIXED)["response"]
    assert json.loads(base64.b64decode(response["patch"]))[0]["path"] == "/metadata/labels"


def test_admission_review_without_request_is_bad_content() -> None:
    response = admission_review({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}, service_accounts={})
    assert response["response"]["allowed"] is False and response["response"]["status"]["message"] == "bad content"


# --- Go parsing helpers ---------------------------------------------------------------------------------------


def test_go_parse_bool_and_int64() -> None:
    assert [go_parse_bool(v) for v in ("t", "False", "yes", None)] == [True, False, None, None]
    assert [go_parse_int64(v) for v in ("+700", "-5", "0x10", "9223372036854775808")] == [700, -5, None, None]


@pytest.mark.parametrize(("text", "record"), [
    ("a, b", ["a", " b"]),
    ('"a ""q""",b', ['a "q"', "b"]),
    ("\n\na,b\nc", ["a", "b"]),
    ('"multi\nline",x', ["multi\nline", "x"]),
    ("a,\r\n", ["a", ""]),
    ("", None),
    ('a"b', None),
    ('"open', None),
    ('"a"b', None),
    (' "a"', None),
])
def test_read_csv_record_like_go(text: str, record: list[str] | None) -> None:
    assert read_csv_record(text) == record
