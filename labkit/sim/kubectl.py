"""A kubectl command line against a lab cluster, for notebooks: ``cluster.kubectl("get sa app -n prod -o yaml")``.

Understood: ``run``, ``get`` (table, ``-o yaml``, ``-o json``), ``describe`` (service accounts and pods),
``logs``, ``exec POD -- CMD...`` and ``delete``. Errors read as kubectl prints them (`KubernetesError`).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import yaml

from labkit.errors import KubernetesError
from labkit.sim.kubernetes import kind_of

if TYPE_CHECKING:
    from labkit.sim.cluster import Cluster

VALUE_FLAGS = {"-n": "namespace", "--namespace": "namespace", "-o": "output", "--output": "output",
               "--image": "image", "--serviceaccount": "serviceaccount", "--overrides": "overrides",
               "--env": "env", "--labels": "labels", "-l": "labels", "--restart": "restart", "-c": "container",
               "--container": "container", "--kubectl-version": "kubectl_version"}
SWITCHES = {"--command", "-i", "-t", "-it", "--rm", "--stdin", "--tty", "-q", "--quiet"}


def kubectl(cluster: Cluster, command_line: str) -> str:
    """Run one kubectl command line; returns what kubectl prints."""
    words = shlex.split(command_line)
    if words and words[0] == "kubectl":
        words = words[1:]
    if not words:
        raise KubernetesError("", "kubectl needs a command (run, get, describe, logs, exec, delete)")
    verb, rest = words[0], words[1:]
    handler = _VERBS.get(verb)
    if handler is None:
        raise KubernetesError("", f'unknown command "{verb}" for "kubectl"')
    positional, flags, tail = _parse(rest)
    return handler(cluster, positional, flags, tail)


def _parse(words: list[str]) -> tuple[list[str], dict[str, Any], list[str]]:
    """Positional words, flags (repeatable ones as lists) and everything after ``--``."""
    positional: list[str] = []
    flags: dict[str, Any] = {}
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            return positional, flags, words[index + 1:]
        name, has_value, value = word.partition("=")
        if name in VALUE_FLAGS:
            if not has_value:
                index += 1
                if index >= len(words):
                    raise KubernetesError("", f"flag needs an argument: {name}")
                value = words[index]
            key = VALUE_FLAGS[name]
            flags[key] = flags.get(key, []) + [value] if key in ("env", "labels") else value
        elif word in SWITCHES:
            flags[word.lstrip("-")] = True
        elif word.startswith("-"):
            raise KubernetesError("", f"unknown flag: {name}\nSee 'kubectl --help' for usage.")
        else:
            positional.append(word)
        index += 1
    return positional, flags, []


def _pairs(items: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        for part in item.split(","):
            key, _, value = part.partition("=")
            pairs[key] = value
    return pairs


def _run(cluster: Cluster, positional: list[str], flags: dict[str, Any], tail: list[str]) -> str:
    if not positional or "image" not in flags:
        raise KubernetesError("", "NAME and --image are required for run")
    options: dict[str, Any] = {"image": flags["image"], "namespace": flags.get("namespace", "default"),
                               "command": tail or None, "env": _pairs(flags.get("env", [])) or None,
                               "labels": _pairs(flags.get("labels", [])) or None}
    for key in ("serviceaccount", "overrides", "kubectl_version"):
        if key in flags:
            options[key] = flags[key]
    printed, run = cluster.kubectl_run(positional[0], **options)
    return printed + ("\n" + run.stdout + run.stderr if run is not None and flags.get("i") else "")


def _get(cluster: Cluster, positional: list[str], flags: dict[str, Any], tail: list[str]) -> str:
    if not positional:
        raise KubernetesError("", "You must specify the type of resource to get.")
    kind, namespace = kind_of(positional[0]), flags.get("namespace", "default")
    objects = [cluster.get(kind, name, namespace) for name in positional[1:]] or cluster.runtime.api.list(kind, namespace)
    output = flags.get("output")
    if output in ("yaml", "json"):
        document: Any = objects[0] if len(positional) == 2 else {"apiVersion": "v1", "kind": "List", "items": objects}
        if output == "json":
            return json.dumps(document, indent=4)
        return str(yaml.safe_dump(document, sort_keys=False, default_flow_style=False))
    if not objects:
        return f"No resources found in {namespace} namespace."
    return _table(kind, objects, cluster.lab.clock.now())


def _table(kind: str, objects: list[dict[str, Any]], now: datetime) -> str:
    columns: dict[str, Callable[[dict[str, Any]], str]] = {"NAME": lambda o: o["metadata"]["name"]}
    if kind == "Pod":
        columns |= {"READY": lambda o: f"{1 if _phase(o) == 'Running' else 0}/{len(o['spec']['containers'])}",
                    "STATUS": _phase, "RESTARTS": lambda o: "0"}
    elif kind == "ServiceAccount":
        columns["SECRETS"] = lambda o: str(len(o.get("secrets") or []))
    elif kind in ("Secret", "ConfigMap"):
        columns["DATA"] = lambda o: str(len(o.get("data") or {}))
    columns["AGE"] = lambda o: _age(o, now)
    rows = [list(columns)] + [[render(o) for render in columns.values()] for o in objects]
    widths = [max(len(row[i]) for row in rows) + 3 for i in range(len(columns))]
    return "\n".join("".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def _phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase", "Pending"))


def _age(obj: Mapping[str, Any], now: datetime) -> str:
    created = datetime.strptime(obj["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=now.tzinfo)
    seconds = int((now - created).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * (2 if unit != "m" else 1):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _describe(cluster: Cluster, positional: list[str], flags: dict[str, Any], tail: list[str]) -> str:
    if len(positional) != 2:
        raise KubernetesError("", "describe needs a resource type and a name")
    kind, name, namespace = kind_of(positional[0]), positional[1], flags.get("namespace", "default")
    obj = cluster.get(kind, name, namespace)
    if kind == "ServiceAccount":
        return _fields([("Name", name), ("Namespace", namespace), ("Labels", _map(obj["metadata"].get("labels"))),
                        ("Annotations", _map(obj["metadata"].get("annotations"))), ("Image pull secrets", "<none>"),
                        ("Mountable secrets", "<none>"), ("Tokens", "<none>"), ("Events", "<none>")])
    if kind == "Pod":
        return _describe_pod(obj)
    return str(yaml.safe_dump(obj, sort_keys=False, default_flow_style=False))


def _describe_pod(pod: dict[str, Any]) -> str:
    spec, status = pod["spec"], pod.get("status") or {}
    lines = [_fields([("Name", pod["metadata"]["name"]), ("Namespace", pod["metadata"]["namespace"]),
                      ("Service Account", spec.get("serviceAccountName", "")), ("Node", spec.get("nodeName", "<none>")),
                      ("Labels", _map(pod["metadata"].get("labels"))), ("Status", status.get("phase", "Pending")),
                      ("IP", status.get("podIP", ""))]), "Containers:"]
    for container in spec["containers"]:
        lines.append(f"  {container['name']}:\n    Image:  {container['image']}\n    Environment:")
        env = container.get("env") or []
        lines += [f"      {e['name']}:  {e.get('value', '(from ' + next(iter(e.get('valueFrom', {'?': 0}))) + ')')}"
                  for e in env] or ["      <none>"]
        lines.append("    Mounts:")
        lines += [f"      {m['mountPath']} from {m['name']} (ro)" for m in container.get("volumeMounts") or []] or ["      <none>"]
    lines.append("Volumes:")
    for volume in spec.get("volumes") or []:
        lines.append(f"  {volume['name']}:")
        for source in (volume.get("projected") or {}).get("sources") or []:
            token = source.get("serviceAccountToken")
            if token:
                lines.append(f"    Type:  Projected (audience {token.get('audience', '<api server>')}, "
                             f"expirationSeconds {token.get('expirationSeconds')})")
    conditions = [c for c in status.get("conditions") or [] if c.get("reason") == "Unschedulable"]
    events = [f"  Warning  FailedScheduling  default-scheduler  {c['message']}" for c in conditions]
    return "\n".join(lines + ["Events:"] + (events or ["  <none>"]))


def _fields(pairs: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in pairs) + 2
    return "\n".join(f"{(name + ':').ljust(width)}{value}" for name, value in pairs)


def _map(values: Mapping[str, str] | None) -> str:
    if not values:
        return "<none>"
    return "\n".join(f"{' ' * 21 if i else ''}{k}: {v}" for i, (k, v) in enumerate(sorted(values.items())))


def _logs(cluster: Cluster, positional: list[str], flags: dict[str, Any], tail: list[str]) -> str:
    if len(positional) != 1:
        raise KubernetesError("", "expected POD")
    return cluster.logs(positional[0], flags.get("namespace", "default"))


def _exec(cluster: Cluster, positional: list[str], flags: dict[str, Any], tail: list[str]) -> str:
    if len(positional) != 1 or not tail:
        raise KubernetesError("", "expected 'exec POD -- COMMAND [args...]'")
    run = cluster.run_pod(positional[0], tail, namespace=flags.get("namespace", "default"),
                          container=flags.get("container"))
    if run.returncode != 0 and run.returncode != -1:
        return run.stdout + run.stderr + f"command terminated with exit code {run.returncode}"
    return run.stdout + run.stderr


def _delete(cluster: Cluster, positional: list[str], flags: dict[str, Any], tail: list[str]) -> str:
    if len(positional) != 2:
        raise KubernetesError("", "delete needs a resource type and a name")
    return cluster.delete(positional[0], positional[1], flags.get("namespace", "default"))


_VERBS: dict[str, Callable[[Cluster, list[str], dict[str, Any], list[str]], str]] = {
    "run": _run, "get": _get, "describe": _describe, "logs": _logs, "exec": _exec, "delete": _delete,
}
