"""Run the audit: read every document, collect the estate, then the checks that span documents."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from labkit.audit import aws_documents, eksctl, kubernetes
from labkit.audit.checks import Finding, finding
from labkit.audit.estate import Estate, Pod
from labkit.audit.report import Report
from labkit.audit.sources import Document, collect_files, parse_documents, read_documents
from labkit.decide.proxy import agent_bypassed, split_no_proxy

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy")


def audit_paths(paths: Iterable[str | Path]) -> Report:
    """Audit YAML/JSON files and directories (searched recursively)."""
    files = collect_files(paths)
    return audit_documents([doc for path in files for doc in read_documents(path)], files=len(files))


def audit_text(text: str, *, file: str = "<text>", json_file: bool = False) -> Report:
    """Audit one YAML (multi-document) or JSON text, e.g. from a notebook cell."""
    return audit_documents(parse_documents(text, file=file, json_file=json_file), files=1)


def audit_documents(documents: list[Document], *, files: int = 0) -> Report:
    """Audit parsed documents: per-document checks first, then those that need the whole estate."""
    estate = Estate()
    found = [f for doc in documents for f in _collect(doc, estate)]
    found += list(_cross_document(estate))
    unique = {(f.id, f.location.file, f.location.document, f.location.path): f for f in found}
    return Report(tuple(sorted(unique.values(), key=_order)), files or len({d.file for d in documents}))


def _order(item: Finding) -> tuple[str, int, int, str]:
    """Findings in reading order."""
    loc = item.location
    return (loc.file, loc.document, loc.line or 0, item.id)


def _collect(doc: Document, estate: Estate) -> Iterator[Finding]:
    """The checks of one document, by what it is."""
    if kubernetes.is_manifest(doc.data):
        yield from kubernetes.collect(doc, doc.data, "$", estate)
    elif eksctl.is_cluster_config(doc.data):
        yield from eksctl.collect(doc, doc.data, estate)
    else:
        yield from aws_documents.collect(doc, doc.data, estate)


def _cross_document(estate: Estate) -> Iterator[Finding]:
    """Checks that join documents: pods with service accounts, associations, Fargate profiles, roles."""
    for pod in estate.pods:
        yield from _default_service_account(pod, estate)
        yield from _keys_from_secrets(pod, estate)
        yield from _proxy(pod, estate)
    yield from _associations_that_cannot_work(estate)
    if estate.aws_node_roles:
        for role, location in estate.node_roles_with_cni_policy:
            yield finding("cni-policy-on-node-role", location,
                          f"{role} keeps AmazonEKS_CNI_Policy although aws-node has its own role "
                          f"(see {estate.aws_node_roles[0]}).")


def _default_service_account(pod: Pod, estate: Estate) -> Iterator[Finding]:
    """A pod left on `default` in a namespace that has an annotated service account."""
    if (pod.service_account or "default") != "default" or (pod.namespace, "default") in \
            estate.annotated_service_accounts:
        return
    annotated = sorted(name for namespace, name in estate.annotated_service_accounts if namespace == pod.namespace)
    if annotated:
        yield finding("default-service-account", pod.location,
                      f"{pod.kind} {pod.namespace}/{pod.name} runs as `default`; annotated in its namespace: "
                      f"{', '.join(annotated)}.")


def _keys_from_secrets(pod: Pod, estate: Estate) -> Iterator[Finding]:
    """envFrom of a Secret that holds access keys."""
    for container in pod.containers:
        for secret in container.env_from_secrets:
            if (pod.namespace, secret) in estate.secrets_with_keys:
                yield finding("static-keys-in-env", container.location,
                              f"{pod.kind} {pod.namespace}/{pod.name}, container {container.name}: envFrom Secret "
                              f"{secret}, which holds AWS access keys.")


def _proxy(pod: Pod, estate: Estate) -> Iterator[Finding]:
    """A proxy that would swallow the Pod Identity agent's address (IRSA-only pods reach STS through it)."""
    key = (pod.namespace, pod.service_account or "default")
    if key in estate.annotated_service_accounts and not estate.association_for(*key):
        return
    for container in pod.containers:
        proxies = [name for name in PROXY_VARIABLES if container.env.get(name, (None,))[0]]
        if not proxies:
            continue
        values = [container.env[name][0] for name in NO_PROXY_VARIABLES if name in container.env]
        if None in values:
            continue  # NO_PROXY comes from a ConfigMap or Secret we cannot read
        no_proxy = [entry for value in values for entry in split_no_proxy(value or "")]
        if not agent_bypassed(no_proxy):
            yield finding("proxy-without-agent-no-proxy", container.env[proxies[0]][1],
                          f"{pod.kind} {pod.namespace}/{pod.name}, container {container.name}: {proxies[0]} is set, "
                          f"NO_PROXY is {','.join(no_proxy) or 'unset'}.")


def _associations_that_cannot_work(estate: Estate) -> Iterator[Finding]:
    """Associations for pods that run on Fargate or Windows."""
    for association in estate.associations:
        pods = [p for p in estate.pods if (p.namespace, p.service_account or "default") ==
                (association.namespace, association.service_account)]
        for pod in pods:
            if pod.windows:
                yield finding("association-for-windows-pod", association.location,
                              f"{association.namespace}/{association.service_account} is used by {pod.kind} "
                              f"{pod.name}, which runs on Windows nodes.")
            selector = next((s for s in estate.fargate_selectors if s.selects(pod)), None)
            if selector:
                yield finding("association-for-fargate-pod", association.location,
                              f"{association.namespace}/{association.service_account} is used by {pod.kind} "
                              f"{pod.name}, which Fargate selector {selector.location.path} schedules on Fargate.")
        whole_namespace = next((s for s in estate.fargate_selectors if s.selects_namespace(association.namespace)),
                               None)
        if not pods and whole_namespace:
            yield finding("association-for-fargate-pod", association.location,
                          f"Every pod of namespace {association.namespace} runs on Fargate "
                          f"(selector {whole_namespace.location.path}).")
