"""The kubelet's part: a folder per pod with its volumes, and projected service-account tokens kept fresh.

Every projected ``serviceAccountToken`` source (the IRSA ``aws-iam-token``, the Pod Identity
``eks-pod-identity-token``, the API token in ``kube-api-access-*``) becomes a file signed by the cluster's issuer
with the source's audience and ``expirationSeconds``, bound to the pod and its node, as the kubelet's
TokenRequest does. The file has no trailing newline (botocore's container provider would send it in a header
and fail). The kubelet renews a token once it is older than 80% of its lifetime or 24 hours, which the lab
checks whenever its clock advances. ConfigMap, Secret and downward-API sources are written too.
"""

from __future__ import annotations

import base64
import os
import shutil
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labkit.sim.cluster import Cluster
    from labkit.sim.kubernetes import ApiServer
    from labkit.sim.nodes import Node

API_SERVER_AUDIENCE = "https://kubernetes.default.svc"  # the API server's audience for audience-less tokens
DEFAULT_TOKEN_SECONDS = 3600  # expirationSeconds when a projection gives none
REFRESH_FRACTION = 0.8
REFRESH_CEILING = timedelta(hours=24)
LAB_CA = "-----BEGIN CERTIFICATE-----\n(the lab cluster's CA: not used offline)\n-----END CERTIFICATE-----\n"


@dataclass
class TokenFile:
    """One projected token on disk and when it was issued."""

    path: Path
    audience: str
    expiration_seconds: int
    issued: datetime

    def due(self, now: datetime) -> bool:
        """Whether the kubelet renews it now: older than 80% of its lifetime, or than 24 hours."""
        age = now - self.issued
        return age > timedelta(seconds=self.expiration_seconds * REFRESH_FRACTION) or age > REFRESH_CEILING


@dataclass
class PodVolumes:
    """A started pod's folder: volumes by name, the mounts of each container, an empty home."""

    root: Path
    namespace: str
    name: str
    uid: str
    service_account: str
    node: str
    tokens: list[TokenFile] = field(default_factory=list)

    @property
    def home(self) -> Path:
        """The pod's empty HOME folder (so no ~/.aws of this machine is ever read)."""
        return self.root / "home"

    def volume(self, name: str) -> Path:
        """The folder of one volume."""
        return self.root / "volumes" / name

    def mounts(self, container: Mapping[str, Any]) -> dict[str, str]:
        """``{mountPath: host folder}`` of a container (a ``C:\\`` form too, for Windows pods)."""
        mapping = {}
        for mount in container.get("volumeMounts") or []:
            folder = self.volume(mount["name"])
            if mount.get("subPath"):
                folder = folder / mount["subPath"]
            path = mount["mountPath"].rstrip("/")
            mapping[path] = str(folder)
            mapping["C:" + path.replace("/", "\\")] = str(folder)
        return mapping


class Kubelet:
    """Writes pod volumes under one lab folder and renews their tokens on the lab clock."""

    def __init__(self, cluster: Cluster, api: ApiServer, root: Path) -> None:
        self.cluster, self.api, self.root = cluster, api, root
        self.pods: dict[tuple[str, str], PodVolumes] = {}
        self._lock = threading.Lock()

    def start_pod(self, pod: Mapping[str, Any], node: Node) -> PodVolumes:
        """Create the pod's folder and write every volume (once per pod)."""
        metadata = pod["metadata"]
        key = (metadata["namespace"], metadata["name"])
        with self._lock:
            if key in self.pods and self.pods[key].uid == metadata["uid"]:
                return self.pods[key]
        folder = self.root / metadata["namespace"] / metadata["name"]
        shutil.rmtree(folder, ignore_errors=True)
        volumes = PodVolumes(folder, metadata["namespace"], metadata["name"], metadata["uid"],
                             pod["spec"]["serviceAccountName"], node.name)
        volumes.home.mkdir(parents=True)
        for volume in pod["spec"].get("volumes") or []:
            self._write_volume(volumes, volume)
        with self._lock:
            self.pods[key] = volumes
        return volumes

    def stop_pod(self, namespace: str, name: str) -> None:
        """Forget a deleted pod and remove its folder."""
        with self._lock:
            volumes = self.pods.pop((namespace, name), None)
        if volumes is not None:
            shutil.rmtree(volumes.root, ignore_errors=True)

    def refresh(self, now: datetime) -> int:
        """Renew every token that is due (80% of its lifetime or 24 h); returns how many were renewed."""
        renewed = 0
        with self._lock:
            pods = list(self.pods.values())
        for volumes in pods:
            for token in volumes.tokens:
                if token.due(now):
                    self._write_token(volumes, token)
                    renewed += 1
        return renewed

    # -- volumes --------------------------------------------------------------------------------------------------
    def _write_volume(self, volumes: PodVolumes, volume: Mapping[str, Any]) -> None:
        folder = volumes.volume(volume["name"])
        folder.mkdir(parents=True, exist_ok=True)
        if "projected" in volume:
            for source in volume["projected"].get("sources") or []:
                self._write_source(volumes, folder, source)
        elif "secret" in volume:
            self._write_data(folder, self._secret_data(volumes.namespace, volume["secret"].get("secretName", "")),
                             volume["secret"].get("items"))
        elif "configMap" in volume:
            data = self._object_data("ConfigMap", volumes.namespace, volume["configMap"].get("name", ""))
            self._write_data(folder, data, volume["configMap"].get("items"))

    def _write_source(self, volumes: PodVolumes, folder: Path, source: Mapping[str, Any]) -> None:
        if "serviceAccountToken" in source:
            projection = source["serviceAccountToken"]
            token = TokenFile(folder / projection.get("path", "token"), projection.get("audience") or API_SERVER_AUDIENCE,
                              int(projection.get("expirationSeconds") or DEFAULT_TOKEN_SECONDS), self.cluster.lab.clock.now())
            volumes.tokens.append(token)
            self._write_token(volumes, token)
        elif "configMap" in source:
            name = source["configMap"].get("name", "")
            data = {"ca.crt": LAB_CA} if name == "kube-root-ca.crt" else self._object_data("ConfigMap", volumes.namespace, name)
            self._write_data(folder, data, source["configMap"].get("items"))
        elif "secret" in source:
            self._write_data(folder, self._secret_data(volumes.namespace, source["secret"].get("name", "")),
                             source["secret"].get("items"))
        elif "downwardAPI" in source:
            fields = {"metadata.namespace": volumes.namespace, "metadata.name": volumes.name, "metadata.uid": volumes.uid}
            for item in source["downwardAPI"].get("items") or []:
                value = fields.get((item.get("fieldRef") or {}).get("fieldPath", ""), "")
                _write_atomically(folder / item["path"], value)

    def _write_token(self, volumes: PodVolumes, token: TokenFile) -> None:
        now = self.cluster.lab.clock.now()
        signed = self.cluster.mint_token(volumes.namespace, volumes.service_account, audience=token.audience,
                                         expires_in=token.expiration_seconds, pod=volumes.name, pod_uid=volumes.uid,
                                         node=volumes.node)
        _write_atomically(token.path, signed)  # no trailing newline, as the kubelet writes it
        token.issued = now

    def _object_data(self, kind: str, namespace: str, name: str) -> dict[str, str]:
        if not self.api.exists(kind, name, namespace):
            return {}
        return dict(self.api.get(kind, name, namespace).get("data") or {})

    def _secret_data(self, namespace: str, name: str) -> dict[str, str]:
        if not self.api.exists("Secret", name, namespace):
            return {}
        secret = self.api.get("Secret", name, namespace)
        data = {key: base64.b64decode(value).decode() for key, value in (secret.get("data") or {}).items()}
        return data | dict(secret.get("stringData") or {})

    @staticmethod
    def _write_data(folder: Path, data: Mapping[str, str], items: list[Mapping[str, str]] | None) -> None:
        chosen = {item["key"]: item.get("path", item["key"]) for item in items} if items else {k: k for k in data}
        for key, path in chosen.items():
            if key in data:
                _write_atomically(folder / path, str(data[key]))


def _write_atomically(path: Path, text: str) -> None:
    """Write a file so that a reader sees the old or the new content, never half (the kubelet's atomic writer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(text)
    os.replace(partial, path)
