"""A cluster's API server, as far as workload identity needs it: objects, apply/get/describe, pod admission.

A pod passes the admission steps of a real API server, in the real order: the namespace must exist, the
ServiceAccount admission plugin fills ``serviceAccountName`` (``default`` when empty), checks the account
exists and mounts the ordinary API token, then the mutating webhook (``pod_admission``) runs, and the pod is
stored with a uid and a node. Errors read as kubectl prints them (`KubernetesError`).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import yaml

from labkit.errors import KubernetesError, ManifestError

PodAdmission = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
KINDS = {  # kind -> (apiVersion, namespaced, plural as kubectl prints it)
    "Namespace": ("v1", False, "namespace"),
    "ServiceAccount": ("v1", True, "serviceaccount"),
    "Pod": ("v1", True, "pod"),
    "Secret": ("v1", True, "secret"),
    "ConfigMap": ("v1", True, "configmap"),
    "Deployment": ("apps/v1", True, "deployment.apps"),
}
API_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
API_TOKEN_EXPIRATION = 3607  # what the API server asks for its bound default token (kubelet-managed)
_ALIASES = {name.lower(): name for name in KINDS} | {
    "sa": "ServiceAccount", "serviceaccounts": "ServiceAccount", "pods": "Pod", "po": "Pod", "ns": "Namespace",
    "namespaces": "Namespace", "secrets": "Secret", "configmaps": "ConfigMap", "cm": "ConfigMap",
    "deploy": "Deployment", "deployments": "Deployment",
}


def kind_of(name: str) -> str:
    """The kind for a kubectl resource name (`sa`, `pods`, `ServiceAccount`, ...)."""
    kind = _ALIASES.get(name.lower())
    if kind is None:
        raise KubernetesError("", f'the server doesn\'t have a resource type "{name}"')
    return kind


def load_manifests(manifest: str | Mapping[str, Any] | Iterable[Mapping[str, Any]], *, source: str = "manifest") -> list[dict[str, Any]]:
    """Manifests from YAML text (one or more documents), a dict, or a list of dicts, checked for shape."""
    if isinstance(manifest, str):
        try:
            documents = [doc for doc in yaml.safe_load_all(manifest) if doc is not None]
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise ManifestError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=source,
                                line=mark.line + 1 if mark else None) from None
    elif isinstance(manifest, Mapping):
        documents = [manifest]
    else:
        documents = list(manifest)
    for index, document in enumerate(documents):
        _check_shape(document, f"$[{index}]", source)
    return [copy.deepcopy(dict(document)) for document in documents]


def _check_shape(document: Any, path: str, source: str) -> None:
    if not isinstance(document, Mapping):
        raise ManifestError("a manifest must be a mapping", file=source, path=path)
    for key in ("apiVersion", "kind"):
        if not isinstance(document.get(key), str):
            raise ManifestError(f"{key} is required", file=source, path=f"{path}.{key}")
    if document["kind"] not in KINDS:
        raise ManifestError(f"kind {document['kind']!r} is not simulated; use one of {', '.join(KINDS)}",
                            file=source, path=f"{path}.kind")
    if document["apiVersion"] != KINDS[document["kind"]][0]:
        raise ManifestError(f"{document['kind']} is served as apiVersion {KINDS[document['kind']][0]!r}",
                            file=source, path=f"{path}.apiVersion")
    name = (document.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise ManifestError("metadata.name is required", file=source, path=f"{path}.metadata.name")
    if document["kind"] == "Pod":
        _check_containers((document.get("spec") or {}).get("containers"), f"{path}.spec.containers", source)


def _check_containers(containers: Any, path: str, source: str) -> None:
    if not isinstance(containers, list) or not containers:
        raise ManifestError("a pod needs at least one container", file=source, path=path)
    for index, container in enumerate(containers):
        for key in ("name", "image"):
            if not isinstance(container, Mapping) or not container.get(key):
                raise ManifestError(f"{key} is required", file=source, path=f"{path}[{index}].{key}")


class ApiServer:
    """The objects of one cluster and the admission steps pods go through."""

    def __init__(self, *, uid: Callable[..., str], now: Callable[[], datetime],
                 pod_admission: PodAdmission | None = None) -> None:
        self._objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._uid = uid
        self._now = now
        self.pod_admission = pod_admission
        for namespace in ("default", "kube-system"):
            self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})

    # -- kubectl-shaped API -------------------------------------------------------------------------

    def apply(self, manifest: str | Mapping[str, Any] | Iterable[Mapping[str, Any]], *, source: str = "manifest") -> list[str]:
        """Create or update objects; returns kubectl's lines (``serviceaccount/x created``)."""
        return [self._apply_one(document) for document in load_manifests(manifest, source=source)]

    def get(self, kind: str, name: str, namespace: str = "default") -> dict[str, Any]:
        """A copy of one object; NotFound as kubectl says it."""
        kind = kind_of(kind)
        found = self._objects.get(self._key(kind, name, namespace))
        if found is None:
            raise KubernetesError("NotFound", f'{KINDS[kind][2].split(".")[0]}s "{name}" not found')
        return copy.deepcopy(found)

    def list(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """Copies of every object of a kind (in one namespace, or all)."""
        kind = kind_of(kind)
        return [copy.deepcopy(obj) for (k, ns, _), obj in sorted(self._objects.items())
                if k == kind and (namespace is None or ns == namespace or not KINDS[kind][1])]

    def exists(self, kind: str, name: str, namespace: str = "default") -> bool:
        """Whether an object exists."""
        return self._key(kind_of(kind), name, namespace) in self._objects

    def describe(self, kind: str, name: str, namespace: str = "default") -> str:
        """The object as YAML (what `kubectl get -o yaml` shows)."""
        return str(yaml.safe_dump(self.get(kind, name, namespace), sort_keys=False, default_flow_style=False))

    def delete(self, kind: str, name: str, namespace: str = "default") -> str:
        """Delete one object; returns kubectl's line."""
        kind = kind_of(kind)
        self.get(kind, name, namespace)
        del self._objects[self._key(kind, name, namespace)]
        return f'{KINDS[kind][2]} "{name}" deleted'

    def update_pod(self, name: str, namespace: str, *, node_name: str | None = None,
                   status: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The scheduler's binding (``spec.nodeName``) and the kubelet's status report; returns a copy."""
        pod = self._objects.get(self._key("Pod", name, namespace))
        if pod is None:
            raise KubernetesError("NotFound", f'pods "{name}" not found')
        if node_name is not None:
            pod["spec"]["nodeName"] = node_name
        if status is not None:
            pod["status"] = copy.deepcopy(dict(status))
        return copy.deepcopy(pod)

    # -- internals ----------------------------------------------------------------------------------

    def _key(self, kind: str, name: str, namespace: str | None) -> tuple[str, str, str]:
        return (kind, (namespace or "default") if KINDS[kind][1] else "", name)

    def _apply_one(self, document: dict[str, Any]) -> str:
        kind, metadata = document["kind"], document.setdefault("metadata", {})
        if kind == "Secret":
            _fold_string_data(document)
        if KINDS[kind][1]:
            metadata.setdefault("namespace", "default")
            self._require_namespace(metadata["namespace"])
        key = self._key(kind, metadata["name"], metadata.get("namespace"))
        previous = self._objects.get(key)
        label = f"{KINDS[kind][2]}/{metadata['name']}"
        if previous is not None:
            return self._update(previous, document, label)
        if kind == "Pod":
            document = self._admit_pod(document)
            metadata = document["metadata"]  # the webhook answers with a new object
        metadata["uid"] = self._uid(kind.lower(), metadata.get("namespace", ""), metadata["name"])
        metadata["creationTimestamp"] = self._now().strftime("%Y-%m-%dT%H:%M:%SZ")
        self._objects[key] = document
        if kind == "Namespace":
            self._apply_one({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": metadata["name"]}})
        if kind == "Deployment":
            self._create_replicas(document)
        return f"{label} created"

    def _update(self, previous: dict[str, Any], document: dict[str, Any], label: str) -> str:
        if document["kind"] == "Pod":
            if _spec(previous) != _spec(document):
                raise KubernetesError("Invalid", f'Pod "{document["metadata"]["name"]}" is invalid: spec: Forbidden: '
                                      "pod updates may not change fields other than image, activeDeadlineSeconds, "
                                      "tolerations and terminationGracePeriodSeconds")
        changed = False
        for field in ("metadata", "spec", "data", "stringData", "secrets", "automountServiceAccountToken", "type"):
            if field not in document:
                continue
            if field == "metadata":
                for part in ("labels", "annotations"):
                    if previous["metadata"].get(part) != document["metadata"].get(part):
                        previous["metadata"][part] = copy.deepcopy(document["metadata"].get(part) or {})
                        changed = True
            elif previous.get(field) != document[field] and document["kind"] != "Pod":
                previous[field] = copy.deepcopy(document[field])
                changed = True
        return f"{label} {'configured' if changed else 'unchanged'}"

    def _require_namespace(self, namespace: str) -> None:
        if self._key("Namespace", namespace, None) not in self._objects:
            raise KubernetesError("NotFound", f'namespaces "{namespace}" not found')

    def _admit_pod(self, pod: dict[str, Any]) -> dict[str, Any]:
        """The ServiceAccount admission plugin, then the mutating webhook."""
        spec, namespace, name = pod.setdefault("spec", {}), pod["metadata"]["namespace"], pod["metadata"]["name"]
        account = spec.get("serviceAccountName") or "default"  # the deprecated spec.serviceAccount is ignored
        spec["serviceAccountName"] = spec["serviceAccount"] = account
        sa = self._objects.get(self._key("ServiceAccount", account, namespace))
        if sa is None:
            raise KubernetesError("Forbidden", f'pods "{name}" is forbidden: error looking up service account '
                                  f'{namespace}/{account}: serviceaccount "{account}" not found')
        if _automounts(pod, sa):
            _mount_api_token(pod, self._uid("kube-api-access", namespace, name)[:5])
        if self.pod_admission is not None:
            pod = self.pod_admission(copy.deepcopy(pod), copy.deepcopy(sa))
        pod["status"] = {"phase": "Pending"}
        return pod

    def _create_replicas(self, deployment: dict[str, Any]) -> None:
        spec, metadata = deployment.get("spec") or {}, deployment["metadata"]
        template = copy.deepcopy(spec.get("template") or {})
        template_hash = self._uid("pod-template-hash", metadata["namespace"], metadata["name"]).replace("-", "")[:10]
        for index in range(int(spec.get("replicas", 1))):
            suffix = self._uid("replica", metadata["namespace"], metadata["name"], str(index)).replace("-", "")[:5]
            pod_metadata = template.get("metadata") or {}
            labels = dict(pod_metadata.get("labels") or {}, **{"pod-template-hash": template_hash})
            self._apply_one({"apiVersion": "v1", "kind": "Pod", "spec": copy.deepcopy(template.get("spec") or {}),
                             "metadata": {"name": f"{metadata['name']}-{template_hash}-{suffix}",
                                          "namespace": metadata["namespace"], "labels": labels,
                                          "annotations": dict(pod_metadata.get("annotations") or {})}})


def _fold_string_data(secret: dict[str, Any]) -> None:
    """stringData is write-only: the API server stores it base64-encoded in data (base64 is not encryption)."""
    extra = secret.pop("stringData", None) or {}
    if extra:
        encoded = {key: base64.b64encode(str(value).encode()).decode() for key, value in extra.items()}
        secret["data"] = dict(secret.get("data") or {}, **encoded)
    secret.setdefault("type", "Opaque")


def _spec(pod: Mapping[str, Any]) -> Any:
    """The user-set part of a pod spec (what admission adds is not compared)."""
    spec = dict(pod.get("spec") or {})
    for added in ("serviceAccount", "volumes", "nodeName"):
        spec.pop(added, None)
    spec["containers"] = [{k: v for k, v in c.items() if k not in ("env", "volumeMounts")} for c in spec.get("containers", [])]
    return spec


def _automounts(pod: Mapping[str, Any], sa: Mapping[str, Any]) -> bool:
    """The pod's automountServiceAccountToken wins over the service account's; the default is true."""
    pod_setting = pod["spec"].get("automountServiceAccountToken")
    return pod_setting if pod_setting is not None else sa.get("automountServiceAccountToken", True) is not False


def _mount_api_token(pod: dict[str, Any], suffix: str) -> None:
    """The projected volume with the ordinary API token, mounted in every container (as the plugin does)."""
    volume = f"kube-api-access-{suffix}"
    pod["spec"].setdefault("volumes", []).append({"name": volume, "projected": {"sources": [
        {"serviceAccountToken": {"expirationSeconds": API_TOKEN_EXPIRATION, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}})
    for group in ("initContainers", "containers"):
        for container in pod["spec"].get(group) or []:
            container.setdefault("volumeMounts", []).append({"name": volume, "readOnly": True, "mountPath": API_TOKEN_PATH})
