"""Kubernetes manifests: service accounts, secrets and pods (pod templates of every workload kind)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

from labkit.audit.checks import Finding, finding
from labkit.audit.estate import Container, Estate, Pod
from labkit.audit.sources import Document, items, mapping, scalar
from labkit.decide.yamlnodes import child

ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
# Where the pod spec sits in each kind that runs pods.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",), "Deployment": ("spec", "template", "spec"), "ReplicaSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"), "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"), "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
}
KEY_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
_ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
_KEY_NAME = re.compile(r"aws_?(access_key_id|secret_access_key)", re.IGNORECASE)
_OS_LABELS = ("kubernetes.io/os", "beta.kubernetes.io/os")


def is_manifest(data: Any) -> bool:
    """Whether a document is a Kubernetes object (not an eksctl config)."""
    return (isinstance(data, dict) and "kind" in data and isinstance(data.get("apiVersion"), str)
            and not data["apiVersion"].startswith("eksctl.io/"))


def collect(doc: Document, data: dict[str, Any], path: str, estate: Estate) -> Iterator[Finding]:
    """Record what the object tells about the estate, and yield what is wrong in it alone."""
    kind = scalar(data.get("kind"))
    if kind == "List":
        for item_path, item in items(data.get("items"), child(path, "items")):
            if is_manifest(item):
                yield from collect(doc, item, item_path, estate)
    elif kind == "ServiceAccount":
        _service_account(doc, data, path, estate)
    elif kind == "Secret":
        yield from _secret(doc, data, path, estate)
    elif kind in POD_SPEC_PATHS:
        pod = _pod(doc, data, path, kind)
        if pod:
            estate.pods.append(pod)
            yield from _keys_in_env(pod)


def _metadata(data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(name, namespace, annotations) of an object; namespace `default` when unset."""
    meta = mapping(data.get("metadata"))
    return scalar(meta.get("name")) or "", scalar(meta.get("namespace")) or "default", mapping(meta.get("annotations"))


def _service_account(doc: Document, data: dict[str, Any], path: str, estate: Estate) -> None:
    """Note service accounts annotated with an IRSA role (and aws-node's own role)."""
    name, namespace, annotations = _metadata(data)
    if annotations.get(ROLE_ANNOTATION):
        location = doc.at(child(child(child(path, "metadata"), "annotations"), ROLE_ANNOTATION))
        estate.annotated_service_accounts[(namespace, name)] = location
        if (namespace, name) == ("kube-system", "aws-node"):
            estate.aws_node_roles.append(location)


def _secret(doc: Document, data: dict[str, Any], path: str, estate: Estate) -> Iterator[Finding]:
    """Access keys in a Secret's data (base64) or stringData."""
    name, namespace, _ = _metadata(data)
    for section, encoded in (("data", True), ("stringData", False)):
        for key, value in mapping(data.get(section)).items():
            text = _decoded(value) if encoded else str(value)
            if _KEY_NAME.search(str(key)) or _ACCESS_KEY.search(text) or _KEY_NAME.search(text):
                estate.secrets_with_keys.add((namespace, name))
                yield finding("static-keys-in-secret", doc.at(child(child(path, section), key)),
                              f"Secret {namespace}/{name} holds {key!r}, an AWS access key.")


def _decoded(value: Any) -> str:
    """A Secret data value decoded from base64 (the raw text when it is not base64)."""
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return str(value)


def _pod(doc: Document, data: dict[str, Any], path: str, kind: str) -> Pod | None:
    """The pod (template) of an object, with what the checks need."""
    spec, spec_path, labels = data, path, {}
    for step in POD_SPEC_PATHS[kind]:
        if step == "spec" and isinstance(spec.get("metadata"), dict):
            labels = mapping(spec["metadata"].get("labels"))  # a template's labels sit beside its spec
        spec, spec_path = mapping(spec.get(step)), child(spec_path, step)
    if not spec:
        return None
    name, namespace, _ = _metadata(data)
    if kind == "Pod":
        labels = mapping(mapping(data.get("metadata")).get("labels"))
    containers = tuple(_container(doc, c, p) for section in ("initContainers", "containers")
                       for p, c in items(spec.get(section), child(spec_path, section)) if isinstance(c, dict))
    return Pod(kind, name, namespace, scalar(spec.get("serviceAccountName")) or None,
               {str(k): str(v) for k, v in labels.items()}, _runs_on_windows(spec), containers, doc.at(spec_path))


def _container(doc: Document, container: dict[str, Any], path: str) -> Container:
    """A container's environment, by name, with each variable's location."""
    env: dict[str, tuple[str | None, Any]] = {}
    for env_path, variable in items(container.get("env"), child(path, "env")):
        name = scalar(mapping(variable).get("name"))
        if name:
            env[name] = (scalar(variable.get("value")), doc.at(env_path))
    secrets = tuple(str(mapping(source.get("secretRef")).get("name")) for _, source in
                    items(container.get("envFrom"), "") if isinstance(source, dict) and source.get("secretRef"))
    return Container(str(container.get("name", "")), env, doc.at(path), secrets)


def _runs_on_windows(spec: dict[str, Any]) -> bool:
    """Whether the pod is scheduled onto Windows nodes (nodeSelector or required node affinity)."""
    selector = mapping(spec.get("nodeSelector"))
    if any(selector.get(label) == "windows" for label in _OS_LABELS):
        return True
    required = mapping(mapping(mapping(spec.get("affinity")).get("nodeAffinity")).get(
        "requiredDuringSchedulingIgnoredDuringExecution"))
    for term in required.get("nodeSelectorTerms") or []:
        for expression in mapping(term).get("matchExpressions") or []:
            expression = mapping(expression)
            if (expression.get("key") in _OS_LABELS and expression.get("operator") == "In"
                    and expression.get("values") == ["windows"]):
                return True
    return False


def _keys_in_env(pod: Pod) -> Iterator[Finding]:
    """Access keys set as environment variables (by name, or a value that looks like a key id)."""
    for container in pod.containers:
        for name, (value, location) in container.env.items():
            if name in KEY_VARIABLES or (value and _ACCESS_KEY.search(value)):
                yield finding("static-keys-in-env", location,
                              f"{pod.kind} {pod.namespace}/{pod.name}, container {container.name}: env {name}.")
