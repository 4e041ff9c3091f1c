"""The simulated API server: objects, kubectl-shaped answers, and the pod admission order."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest

from labkit.errors import KubernetesError, ManifestError
from labkit.sim.kubernetes import ApiServer, kind_of, load_manifests

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)
SA = """apiVersion: v1
kind: ServiceAccount
metadata:
  name: checkout-api-sa
  namespace: production
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/CheckoutApiIRSARole
"""


def pod(name: str = "p", namespace: str = "production", **spec: object) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": [{"name": "app", "image": "python:3.11"}], **spec}}


@pytest.fixture
def api() -> ApiServer:
    server = ApiServer(uid=lambda *parts: hashlib.sha1("/".join(parts).encode()).hexdigest(), now=lambda: NOW)
    server.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "production"}})
    server.apply(SA)
    return server


def test_apply_answers_like_kubectl(api: ApiServer):
    assert api.apply(SA) == ["serviceaccount/checkout-api-sa unchanged"]
    assert api.apply(SA.replace("CheckoutApiIRSARole", "Other")) == ["serviceaccount/checkout-api-sa configured"]
    assert api.get("sa", "checkout-api-sa", "production")["metadata"]["annotations"][
        "eks.amazonaws.com/role-arn"].endswith("role/Other")


def test_every_namespace_has_a_default_service_account(api: ApiServer):
    assert api.exists("ServiceAccount", "default", "production")
    assert api.exists("ServiceAccount", "default", "kube-system")


def test_pod_without_service_account_gets_default(api: ApiServer):
    api.apply(pod())
    spec = api.get("pod", "p", "production")["spec"]
    assert spec["serviceAccountName"] == spec["serviceAccount"] == "default"


def test_deprecated_service_account_field_is_ignored(api: ApiServer):
    api.apply(pod(serviceAccount="checkout-api-sa"))
    assert api.get("pod", "p", "production")["spec"]["serviceAccountName"] == "default"


def test_missing_service_account_is_forbidden(api: ApiServer):
    with pytest.raises(KubernetesError) as caught:
        api.apply(pod(serviceAccountName="nope"))
    assert str(caught.value) == ('Error from server (Forbidden): pods "p" is forbidden: error looking up service '
                                 'account production/nope: serviceaccount "nope" not found')


def test_missing_namespace_is_not_found(api: ApiServer):
    with pytest.raises(KubernetesError, match='namespaces "staging" not found'):
        api.apply(pod(namespace="staging"))


def test_api_token_is_mounted_unless_automount_is_off(api: ApiServer):
    api.apply(pod("a"))
    mounts = api.get("pod", "a", "production")["spec"]["containers"][0]["volumeMounts"]
    assert mounts[0]["mountPath"] == "/var/run/secrets/kubernetes.io/serviceaccount"
    api.apply(pod("b", automountServiceAccountToken=False))
    assert "volumeMounts" not in api.get("pod", "b", "production")["spec"]["containers"][0]


def test_webhook_runs_after_service_account_admission(api: ApiServer):
    seen = {}

    def webhook(p: dict, sa: dict) -> dict:
        seen["account"] = p["spec"]["serviceAccountName"]
        seen["annotations"] = sa["metadata"].get("annotations")
        p["metadata"].setdefault("labels", {})["mutated"] = "yes"
        return p

    api.pod_admission = webhook
    api.apply(pod(serviceAccountName="checkout-api-sa"))
    assert seen["account"] == "checkout-api-sa" and "eks.amazonaws.com/role-arn" in seen["annotations"]
    assert api.get("pod", "p", "production")["metadata"]["labels"] == {"mutated": "yes"}


def test_pod_spec_is_immutable(api: ApiServer):
    api.apply(pod())
    with pytest.raises(KubernetesError, match="pod updates may not change fields"):
        api.apply(pod(serviceAccountName="checkout-api-sa"))


def test_deployment_creates_its_replicas(api: ApiServer):
    api.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "checkout-api", "namespace": "production"},
               "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "checkout-api"}},
                                                     "spec": {"serviceAccountName": "checkout-api-sa",
                                                              "containers": [{"name": "api", "image": "x"}]}}}})
    pods = api.list("pods", "production")
    assert len(pods) == 3 and all(p["spec"]["serviceAccountName"] == "checkout-api-sa" for p in pods)
    assert all(p["metadata"]["labels"]["app"] == "checkout-api" for p in pods)


def test_get_unknown_object_is_not_found(api: ApiServer):
    with pytest.raises(KubernetesError, match='pods "ghost" not found'):
        api.get("pods", "ghost", "production")


@pytest.mark.parametrize(
    ("text", "path"),
    [("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {}\n", "$[0].spec.containers"),
     ("kind: Pod\nmetadata: {name: x}\n", "$[0].apiVersion"),
     ("apiVersion: v1\nkind: ServiceAccount\nmetadata: {}\n", "$[0].metadata.name"),
     ("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Gadget\nmetadata: {name: b}\n", "$[1].kind"),
     ("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: a}]}\n", "$[0].spec.containers[0].image")],
)
def test_bad_manifests_name_the_path(text: str, path: str):
    with pytest.raises(ManifestError) as caught:
        load_manifests(text, source="pod.yaml")
    assert caught.value.path == path and caught.value.file == "pod.yaml"


def test_bad_yaml_names_the_line():
    with pytest.raises(ManifestError) as caught:
        load_manifests("apiVersion: v1\nkind: [Pod\n", source="bad.yaml")
    assert caught.value.line == 3 and "not valid YAML" in str(caught.value)


def test_kubectl_resource_names():
    assert [kind_of(n) for n in ("sa", "pods", "ServiceAccount", "deploy")] == ["ServiceAccount", "Pod", "ServiceAccount", "Deployment"]
    with pytest.raises(KubernetesError, match="doesn't have a resource type"):
        kind_of("gizmo")


def test_secret_string_data_is_stored_base64_encoded_in_data(api: ApiServer):
    api.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "aws-creds", "namespace": "production"},
               "stringData": {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}})
    secret = api.get("secret", "aws-creds", "production")
    assert "stringData" not in secret and secret["type"] == "Opaque"
    assert secret["data"] == {"AWS_ACCESS_KEY_ID": "QUtJQUVYQU1QTEU="}
