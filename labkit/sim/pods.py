"""Pods that run real code: admission (with the webhook), scheduling, the kubelet, and a real subprocess.

`PodRuntime` is one cluster's Kubernetes side. `run_pod` takes a manifest (or an existing pod), lets the API
server admit it (ServiceAccount plugin, then the EKS Pod Identity webhook, as EKS configures it), schedules
it on a node, writes its volumes, and runs the container's command as a subprocess whose environment holds
only what Kubernetes gives a container, plus the lab's mapping, which the pod's code cannot tell apart from
EKS:

* ``AWS_ENDPOINT_URL`` = the lab endpoint (every SDK call stays on loopback, never real AWS);
* the netguard address map: 169.254.169.254 → the node's IMDS (at the pod's hop distance), 169.254.170.23 /
  [fd00:ec2::23] → the node's Pod Identity agent, proxies named in the env → the lab's corporate proxy; an
  address with nothing behind it on that node maps to a refusing loopback port;
* ``LABKIT_PATH_MAP``: the mount paths (``/var/run/secrets/...``, ``C:\\var\\run\\...``) open the pod's files;
* ``HOME`` = an empty per-pod folder (the image's ``/root`` is what `PodRun.env` shows).

The parent's ``AWS_*`` variables are never passed on.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from labkit import netguard
from labkit.errors import KubernetesError, LabError
from labkit.sim.kubelet import Kubelet
from labkit.sim.kubernetes import ApiServer, load_manifests
from labkit.sim.mounts import ENV_PATH_MAP, format_path_map
from labkit.sim.nodes import AddressMap, Node, NodePool, Unschedulable
from labkit.sim.webhook import JITTER_MIN_EXPIRATION, DEFAULT_TOKEN_EXPIRATION, WebhookConfig, mutate_pod

if TYPE_CHECKING:
    from labkit.sim.cluster import Cluster
    from labkit.sim.proxy import CorporateProxy

SKIP_WEBHOOK_LABEL = "eks.amazonaws.com/skip-pod-identity-webhook"  # the registration's objectSelector
IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IMAGE_HOME = "/root"
KUBERNETES_SERVICE_IP = "10.100.0.1"  # EKS's default service CIDR is 10.100.0.0/16
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
LAB_ONLY_PREFIXES = ("AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_CONFIG_FILE",
                     "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE")
SERVICE_ACCOUNT_FLAG_REMOVED = (1, 24)  # kubectl 1.24 removed `kubectl run --serviceaccount`
SERVICE_ACCOUNT_FLAG_DEPRECATED = (1, 21)


@dataclass(frozen=True)
class PodRun:
    """What one command in a pod did: exit code, output, and the environment Kubernetes gave it."""

    returncode: int
    stdout: str
    stderr: str
    env: dict[str, str] = field(default_factory=dict)
    pod: str = ""
    namespace: str = "default"
    node: str = ""
    phase: str = "Running"

    @property
    def ok(self) -> bool:
        """Whether the command exited 0."""
        return self.returncode == 0

    def __repr__(self) -> str:
        first = (self.stdout.strip() or self.stderr.strip()).splitlines()
        return (f"<PodRun {self.namespace}/{self.pod} rc={self.returncode} {self.phase} on {self.node or '-'}: "
                f"{first[-1][:80] if first else ''!r}>")


class PodRuntime:
    """The Kubernetes side of one lab cluster: API server, nodes, kubelet, pod processes and their logs."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        lab = cluster.lab
        self._jitter = random.Random(f"labkit:{lab.seed}:{cluster.arn}:webhook-jitter")
        self.webhook_config = self._webhook_config("ipv4")
        self.api = ApiServer(uid=cluster._uid, now=lab.clock.now, pod_admission=self._webhook)
        self.nodes = NodePool(cluster)
        root = Path(tempfile.mkdtemp(prefix=f"labkit-pods-{cluster.name}-"))
        weakref.finalize(self, shutil.rmtree, root, ignore_errors=True)
        self.kubelet = Kubelet(cluster, self.api, root)
        self._logs: dict[tuple[str, str], str] = {}
        self._proxy: CorporateProxy | None = None
        self._lock = threading.Lock()
        lab.clock.on_advance(self._on_advance)

    # -- admission: the webhook stage -----------------------------------------------------------------------------
    def set_ip_family(self, family: str) -> None:
        """The cluster's IP family: on ``ipv6`` the webhook points pods at the agent's [fd00:ec2::23]."""
        if family not in ("ipv4", "ipv6"):
            raise ValueError("the IP family is 'ipv4' or 'ipv6'")
        self.webhook_config = self._webhook_config(family)

    def _webhook_config(self, family: str) -> WebhookConfig:
        """The flags EKS starts the webhook with: region and regional STS on; jitter from the lab's seed."""
        flags: dict[str, Any] = {"region": self.cluster.region, "sts_regional_endpoints": True,
                                 "jitter": lambda: self._jitter.randint(JITTER_MIN_EXPIRATION, DEFAULT_TOKEN_EXPIRATION)}
        return WebhookConfig.for_ipv6_cluster(**flags) if family == "ipv6" else WebhookConfig(**flags)

    def _webhook(self, pod: dict[str, Any], service_account: dict[str, Any]) -> dict[str, Any]:
        """The EKS Pod Identity webhook, called as EKS registers it (objectSelector skips opted-out pods)."""
        if SKIP_WEBHOOK_LABEL in ((pod.get("metadata") or {}).get("labels") or {}):
            return pod
        namespace = pod["metadata"]["namespace"]
        account = service_account["metadata"]["name"]
        lab = self.cluster.lab
        associated = lab.eks.association_for(self.cluster._record, namespace, account) is not None
        return mutate_pod(pod, service_account, config=self.webhook_config, pod_identity=associated)

    def _on_advance(self, now: datetime) -> None:
        self.kubelet.refresh(now)
        self.nodes.sweep(now)

    # -- pods -----------------------------------------------------------------------------------------------------
    def run_pod(self, name_or_manifest: str | Mapping[str, Any] | Iterable[Mapping[str, Any]],
                command: str | Sequence[str] | None = None, *, namespace: str | None = None,
                container: str | None = None, timeout: float = 60) -> PodRun:
        """Apply (if a manifest), schedule, start and run a command in the pod; the result and the env it had.

        On a pod that is not running yet the command is the container's own (``None``: the manifest's
        command + args) and its output becomes the pod's logs; on a running pod it is ``kubectl exec``.
        An unschedulable pod stays Pending: the run has returncode -1 and the scheduler's event as stderr.
        """
        name, namespace = self._pod_to_run(name_or_manifest, namespace)
        phase = (self.api.get("Pod", name, namespace).get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            raise KubernetesError("BadRequest", f"cannot exec into a container in a completed pod; current phase is {phase}")
        try:
            node = self._start(self.api.get("Pod", name, namespace))
        except Unschedulable as pending:
            return PodRun(-1, "", f"Warning  FailedScheduling  default-scheduler  {pending}", {}, name, namespace,
                          "", "Pending")
        pod = self.api.get("Pod", name, namespace)
        spec_container = _container(pod, container)
        try:
            env = self.container_env(pod, spec_container)
        except KubernetesError as error:  # e.g. a secretKeyRef to a missing Secret: the container never starts
            self.api.update_pod(name, namespace, status={**pod["status"], "phase": "Pending", "reason": "CreateContainerConfigError"})
            return PodRun(-1, "", f"CreateContainerConfigError: {error.message}", {}, name, namespace, node.name, "Pending")
        argv = _argv(command) if command is not None else _argv(spec_container.get("command") or []) + _argv(
            spec_container.get("args") or [])
        run = self._execute(pod, spec_container, node, env, argv, timeout)
        return self._finish(pod, run) if phase != "Running" else run

    def _finish(self, pod: Mapping[str, Any], run: PodRun) -> PodRun:
        """The container's own command ended: its output is the pod's log; with restartPolicy Never, the phase."""
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        with self._lock:
            self._logs[key] = run.stdout + run.stderr  # exec'd commands never reach `kubectl logs`
        if pod["spec"].get("restartPolicy") != "Never":
            return run  # the lab keeps it Running so that notebooks can exec into it
        phase = "Succeeded" if run.returncode == 0 else "Failed"
        self.api.update_pod(key[1], key[0], status={**pod["status"], "phase": phase})
        self.kubelet.stop_pod(*key)
        return dataclasses.replace(run, phase=phase)

    def _pod_to_run(self, name_or_manifest: Any, namespace: str | None) -> tuple[str, str]:
        if isinstance(name_or_manifest, str) and "\n" not in name_or_manifest and ":" not in name_or_manifest:
            return name_or_manifest, namespace or "default"
        documents = load_manifests(name_or_manifest)
        for document in documents:
            if document["kind"] != "Namespace":
                document["metadata"].setdefault("namespace", namespace or "default")
            key = (document["kind"], document["metadata"]["name"], document["metadata"].get("namespace", ""))
            if not (document["kind"] == "Pod" and self.api.exists(*key)):  # an existing pod is reused, not patched
                self.api.apply(document)
        for document in documents:
            if document["kind"] in ("Pod", "Deployment"):
                return self._first_pod(document)
        raise LabError("run_pod needs a Pod or Deployment manifest (or the name of an existing pod)")

    def _first_pod(self, document: Mapping[str, Any]) -> tuple[str, str]:
        """The pod itself, or a Deployment's first replica."""
        name, namespace = document["metadata"]["name"], document["metadata"]["namespace"]
        if document["kind"] == "Pod":
            return name, namespace
        replicas = [pod["metadata"]["name"] for pod in self.api.list("Pod", namespace)
                    if pod["metadata"]["name"].startswith(f"{name}-")]
        if not replicas:
            raise LabError(f"deployment {name} has no replicas to run")
        return replicas[0], namespace

    def _start(self, pod: dict[str, Any]) -> Node:
        """Schedule (once), then the kubelet's side: volumes written, phase Running."""
        metadata = pod["metadata"]
        try:
            node = self.nodes.schedule(pod)
        except Unschedulable as reason:
            self.api.update_pod(metadata["name"], metadata["namespace"], status={
                "phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                                                    "reason": "Unschedulable", "message": str(reason)}]})
            raise
        if pod["spec"].get("nodeName") != node.name or (pod.get("status") or {}).get("phase") != "Running":
            self.api.update_pod(metadata["name"], metadata["namespace"], node_name=node.name, status={
                "phase": "Running", "hostIP": _node_ip(node), "podIP": self._pod_ip(pod, node)})
        self.kubelet.start_pod(self.api.get("Pod", metadata["name"], metadata["namespace"]), node)
        return node

    def _pod_ip(self, pod: Mapping[str, Any], node: Node) -> str:
        if pod["spec"].get("hostNetwork"):
            return _node_ip(node)
        digits = self.cluster.lab.ids.fixed("pod-ip", pod["metadata"]["uid"], length=4, alphabet="0123456789")
        return f"10.0.{int(digits[:2]) + 100}.{int(digits[2:]) + 10}"

    def delete_pod(self, name: str, namespace: str = "default") -> str:
        """Delete a pod; the kubelet removes its folder."""
        line = self.api.delete("Pod", name, namespace)
        self.kubelet.stop_pod(namespace, name)
        return line

    def logs(self, pod: str, namespace: str = "default") -> str:
        """What `kubectl logs` shows: what the container's command printed when the pod started."""
        self.api.get("Pod", pod, namespace)
        with self._lock:
            return self._logs.get((namespace, pod), "")

    def exec_env(self, pod: str, namespace: str = "default", container: str | None = None) -> str:
        """What `kubectl exec <pod> -- env` prints, in the order env prints it."""
        manifest = self.api.get("Pod", pod, namespace)
        phase = manifest["status"].get("phase")
        if phase in ("Succeeded", "Failed"):
            raise KubernetesError("BadRequest", f"cannot exec into a container in a completed pod; current phase is {phase}")
        if phase != "Running":
            raise KubernetesError("BadRequest", f"pod {pod} does not have a host assigned")
        env = self.container_env(manifest, _container(manifest, container))
        return "".join(f"{key}={value}\n" for key, value in env.items())

    # -- the container's environment ------------------------------------------------------------------------------
    def container_env(self, pod: Mapping[str, Any], container: Mapping[str, Any]) -> dict[str, str]:
        """The environment Kubernetes gives a container, in the order `env` prints it."""
        env: dict[str, str] = {"PATH": IMAGE_PATH, "HOSTNAME": _hostname(pod)}
        namespace = pod["metadata"]["namespace"]
        for source in container.get("envFrom") or []:
            env.update(self._env_from(namespace, source))
        for entry in container.get("env") or []:
            value = self._env_value(pod, entry, env)
            if value is not None:
                env[entry["name"]] = value
        for key, value in _service_variables().items():  # the kubelet always adds the API server's service
            env.setdefault(key, value)
        env.setdefault("HOME", IMAGE_HOME)
        return env

    def _env_from(self, namespace: str, source: Mapping[str, Any]) -> dict[str, str]:
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            data = self._data("ConfigMap", namespace, source["configMapRef"])
        elif "secretRef" in source:
            data = self._data("Secret", namespace, source["secretRef"])
        else:
            data = {}
        return {prefix + key: value for key, value in data.items()}

    def _data(self, kind: str, namespace: str, ref: Mapping[str, Any]) -> dict[str, str]:
        name = ref.get("name", "")
        if not self.api.exists(kind, name, namespace):
            if ref.get("optional"):
                return {}
            raise KubernetesError("", f'{kind.lower()} "{name}" not found')
        obj = self.api.get(kind, name, namespace)
        if kind == "Secret":
            import base64

            decoded = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
            return decoded | dict(obj.get("stringData") or {})
        return dict(obj.get("data") or {})

    def _env_value(self, pod: Mapping[str, Any], entry: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
        if "value" in entry or "valueFrom" not in entry:
            return _expand(str(entry.get("value", "")), env)
        source = entry["valueFrom"]
        namespace = pod["metadata"]["namespace"]
        for kind, ref_key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
            if ref_key in source:
                ref = source[ref_key]
                data = self._data(kind, namespace, ref)
                if ref["key"] not in data:
                    if ref.get("optional"):
                        return None
                    raise KubernetesError("", f"couldn't find key {ref['key']} in {kind} {namespace}/{ref.get('name')}")
                return data[ref["key"]]
        if "fieldRef" in source:
            return _field(pod, source["fieldRef"].get("fieldPath", ""))
        return None

    # -- the process ----------------------------------------------------------------------------------------------
    def _execute(self, pod: Mapping[str, Any], container: Mapping[str, Any], node: Node, env: dict[str, str],
                 argv: list[str], timeout: float) -> PodRun:
        metadata = pod["metadata"]

        def done(code: int, out: str, err: str) -> PodRun:
            return PodRun(code, out, err, dict(env), metadata["name"], metadata["namespace"], node.name, "Running")

        if argv and argv[0] in ("env", "printenv"):
            return done(0, "".join(f"{k}={v}\n" for k, v in env.items()), "")
        program = _program(argv)
        if program is None:
            what = argv[0] if argv else "(no command)"
            return done(127, "", f'OCI runtime exec failed: exec failed: unable to start container process: '
                                 f'exec: "{what}": executable file not found in $PATH: unknown\n')
        volumes = self.kubelet.pods[(metadata["namespace"], metadata["name"])]
        real_env = self._process_env(pod, container, node, env, volumes.mounts(container), str(volumes.home))
        try:
            finished = subprocess.run(program + argv[1:], env=real_env, cwd=volumes.home, capture_output=True,
                                      text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as expired:
            return done(137, _text(expired.stdout), _text(expired.stderr) + f"\n(killed after {timeout} s)\n")
        return done(finished.returncode, finished.stdout, finished.stderr)

    def _process_env(self, pod: Mapping[str, Any], container: Mapping[str, Any], node: Node, env: Mapping[str, str],
                     mounts: Mapping[str, str], home: str) -> dict[str, str]:
        """The env the subprocess really gets: the container's, then the lab's mapping (never the parent's AWS_*)."""
        real = {k: v for k, v in env.items() if not k.startswith(LAB_ONLY_PREFIXES) and not k.startswith("LABKIT_")}
        real["HOME"] = home
        real["AWS_ENDPOINT_URL"] = self.cluster.lab.endpoint_url
        real[ENV_PATH_MAP] = format_path_map(mounts)
        address_map = self.nodes.address_map(node, host_network=bool(pod["spec"].get("hostNetwork")))
        address_map.update(self._proxy_map(env))
        return netguard.child_environment(real, address_map=address_map)

    def _proxy_map(self, env: Mapping[str, str]) -> AddressMap:
        """Every proxy the env names, mapped to the lab's corporate proxy."""
        mapping: AddressMap = {}
        for variable in PROXY_VARIABLES:
            if env.get(variable):
                url = urlsplit(env[variable] if "://" in env[variable] else f"http://{env[variable]}")
                if url.hostname and not netguard.is_loopback(url.hostname):
                    mapping[(url.hostname, url.port or 80)] = ("127.0.0.1", self.proxy.port)
        return mapping

    @property
    def proxy(self) -> CorporateProxy:
        """The lab's corporate proxy (started on first use)."""
        with self._lock:
            if self._proxy is None:
                from labkit.sim.proxy import CorporateProxy

                self._proxy = CorporateProxy().start()
            return self._proxy

    def stop(self) -> None:
        """Stop the nodes' IMDS and agents and the proxy (their threads are daemons; this frees the ports)."""
        self.nodes.stop()
        with self._lock:
            if self._proxy is not None:
                self._proxy.stop()
                self._proxy = None

    # -- kubectl run ----------------------------------------------------------------------------------------------
    def kubectl_run(self, name: str, *, image: str, namespace: str = "default", serviceaccount: str | None = None,
                    overrides: str | Mapping[str, Any] | None = None, command: str | Sequence[str] | None = None,
                    env: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None,
                    kubectl_version: str = "1.31") -> tuple[str, PodRun | None]:
        """`kubectl run NAME --image=... [--serviceaccount=...] [--overrides=...] [--command -- ...]`.

        Returns what kubectl prints and, with a command, the container's run. ``--serviceaccount`` was
        deprecated with no effect in 1.21-1.23 and removed in 1.24 (facts: kubectl.serviceaccount-flag-removed).
        """
        version = _version(kubectl_version)
        printed = []
        account = None
        if serviceaccount is not None:
            if version >= SERVICE_ACCOUNT_FLAG_REMOVED:
                raise KubernetesError("", "unknown flag: --serviceaccount\nSee 'kubectl run --help' for usage.")
            if version >= SERVICE_ACCOUNT_FLAG_DEPRECATED:
                printed.append("Flag --serviceaccount has been deprecated, has no effect and will be removed in 1.24.")
            else:
                account = serviceaccount
        argv = _argv(command) if command else []
        container: dict[str, Any] = {"name": name, "image": image, "resources": {}}
        if argv:
            container["command"] = argv
        if env:
            container["env"] = [{"name": k, "value": v} for k, v in env.items()]
        pod: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod",
                               "metadata": {"name": name, "namespace": namespace, "labels": {"run": name, **(labels or {})}},
                               "spec": {"containers": [container], "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"}}
        if account:
            pod["spec"]["serviceAccountName"] = account
        if overrides:
            pod = _merge(pod, _overrides(overrides))
        printed += self.api.apply(pod)
        run = self.run_pod(name, namespace=namespace) if argv else None
        return "\n".join(printed), run


# -- helpers ------------------------------------------------------------------------------------------------------


def _container(pod: Mapping[str, Any], name: str | None) -> Mapping[str, Any]:
    containers: list[Mapping[str, Any]] = pod["spec"]["containers"]
    if name is None:
        return containers[0]
    for container in containers:
        if container["name"] == name:
            return container
    raise KubernetesError("BadRequest", f"container {name} is not valid for pod {pod['metadata']['name']}")


def _program(argv: Sequence[str]) -> list[str] | None:
    """The host program for a container command: Python (and the AWS CLI, if installed) only."""
    if not argv:
        return None
    base = argv[0].rsplit("/", 1)[-1]
    if base in ("python", "python3") or base.startswith("python3."):
        return [sys.executable]
    if base == "aws" and importlib.util.find_spec("awscli") is not None:
        return [sys.executable, "-m", "awscli"]
    return None


def _hostname(pod: Mapping[str, Any]) -> str:
    if pod["spec"].get("hostNetwork") and pod["spec"].get("nodeName"):
        return str(pod["spec"]["nodeName"]).split(".")[0]
    return str(pod["spec"].get("hostname") or pod["metadata"]["name"])


def _service_variables() -> dict[str, str]:
    ip, port = KUBERNETES_SERVICE_IP, "443"
    return {"KUBERNETES_SERVICE_PORT_HTTPS": port, "KUBERNETES_SERVICE_PORT": port,
            "KUBERNETES_PORT_443_TCP": f"tcp://{ip}:{port}", "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
            "KUBERNETES_PORT_443_TCP_ADDR": ip, "KUBERNETES_SERVICE_HOST": ip, "KUBERNETES_PORT": f"tcp://{ip}:{port}",
            "KUBERNETES_PORT_443_TCP_PORT": port}


def _field(pod: Mapping[str, Any], path: str) -> str:
    """A downward-API fieldRef value."""
    metadata, spec, status = pod["metadata"], pod["spec"], pod.get("status") or {}
    simple = {"metadata.name": metadata["name"], "metadata.namespace": metadata["namespace"],
              "metadata.uid": metadata.get("uid", ""), "spec.nodeName": spec.get("nodeName", ""),
              "spec.serviceAccountName": spec.get("serviceAccountName", ""), "status.podIP": status.get("podIP", ""),
              "status.hostIP": status.get("hostIP", "")}
    if path in simple:
        return str(simple[path])
    for part in ("labels", "annotations"):
        prefix = f"metadata.{part}['"
        if path.startswith(prefix) and path.endswith("']"):
            return str((metadata.get(part) or {}).get(path[len(prefix):-2], ""))
    raise KubernetesError("Invalid", f"unsupported fieldPath: {path}")


def _expand(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion of earlier variables; ``$$`` escapes; unknown references stay."""
    out, index = [], 0
    while index < len(value):
        if value.startswith("$$", index):
            out.append("$")
            index += 2
        elif value.startswith("$(", index) and ")" in value[index:]:
            end = value.index(")", index)
            name = value[index + 2:end]
            out.append(env.get(name, value[index:end + 1]))
            index = end + 1
        else:
            out.append(value[index])
            index += 1
    return "".join(out)


def _node_ip(node: Node) -> str:
    return node.imds.identity.private_ip if node.imds is not None else node.name.split(".")[0].removeprefix(
        "fargate-ip-").removeprefix("ip-").replace("-", ".")


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """kubectl's --overrides: a JSON merge of the override into the generated object."""
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            base[key] = _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _overrides(overrides: str | Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(overrides, str):
        return copy.deepcopy(dict(overrides))
    try:
        parsed = json.loads(overrides)
    except json.JSONDecodeError as error:
        raise KubernetesError("", f"Invalid JSON Patch: {error}") from None
    if not isinstance(parsed, dict):
        raise KubernetesError("", "Invalid JSON Patch: --overrides must be a JSON object")
    return parsed


def _version(text: str) -> tuple[int, int]:
    major, minor = text.lstrip("v").split(".")[:2]
    return int(major), int(minor)


def _argv(command: str | Sequence[str]) -> list[str]:
    """A command as argv: a string is split as a shell would (without running a shell)."""
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def _text(value: str | bytes | None) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else (value or "")
