"""Trust-policy statements: IRSA (web identity) and EKS Pod Identity pitfalls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from labkit.audit.checks import Finding, finding
from labkit.audit.sources import Document, as_list, mapping
from labkit.decide.yamlnodes import child

WEB_IDENTITY = "sts:assumerolewithwebidentity"
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
SUBJECT_PREFIX = "system:serviceaccount:"
AWS_NODE_SUBJECT = "system:serviceaccount:kube-system:aws-node"


def base_operator(operator: str) -> str:
    """A condition operator without its ForAnyValue:/ForAllValues: prefix and IfExists suffix."""
    return operator.split(":")[-1].removesuffix("IfExists")


def conditions(statement: dict[str, Any], path: str) -> Iterator[tuple[str, str, str, Any]]:
    """(operator, key, condition path, value) of every condition of a statement."""
    for operator, block in mapping(statement.get("Condition")).items():
        for key, value in mapping(block).items():
            yield str(operator), str(key), child(child(child(path, "Condition"), operator), key), value


def is_web_identity(statement: dict[str, Any]) -> bool:
    """Whether a statement lets an OIDC identity (an IRSA token) assume the role."""
    actions = [str(a).lower() for a in as_list(statement.get("Action"))]
    federated = " ".join(str(p) for p in as_list(mapping(statement.get("Principal")).get("Federated")))
    return statement.get("Effect") == "Allow" and (WEB_IDENTITY in actions or "oidc-provider/" in federated)


def is_pod_identity(statement: dict[str, Any]) -> bool:
    """Whether a statement trusts the EKS Pod Identity service principal."""
    services = as_list(mapping(statement.get("Principal")).get("Service"))
    return statement.get("Effect") == "Allow" and POD_IDENTITY_PRINCIPAL in services


def check_statement(doc: Document, statement: dict[str, Any], path: str) -> Iterator[Finding]:
    """Every trust pitfall of one statement."""
    if is_web_identity(statement):
        yield from _web_identity(doc, statement, path)
    if is_pod_identity(statement):
        actions = [str(a) for a in as_list(statement.get("Action"))]
        if not {a.lower() for a in actions} & {"sts:tagsession", "sts:*", "*"}:
            yield finding("pod-identity-trust-without-tag-session", doc.at(child(path, "Action")),
                          f"Actions {', '.join(actions)} for {POD_IDENTITY_PRINCIPAL} lack sts:TagSession.")


def subjects(statement: dict[str, Any]) -> list[str]:
    """The `:sub` values a statement accepts."""
    return [str(v) for _, key, _, value in conditions(statement, "$") if key.lower().endswith(":sub")
            for v in as_list(value)]


def _web_identity(doc: Document, statement: dict[str, Any], path: str) -> Iterator[Finding]:
    """Wildcards in StringEquals, broad StringLike subjects, missing aud or sub."""
    keys = set()
    for operator, key, key_path, value in conditions(statement, path):
        keys.add(key.lower().rsplit(":", 1)[-1])
        base = base_operator(operator)
        for text in (str(v) for v in as_list(value)):
            if base in ("StringEquals", "StringEqualsIgnoreCase") and ("*" in text or "?" in text):
                yield finding("wildcard-in-string-equals", doc.at(key_path),
                              f"{operator} {key} = {text!r}: the wildcard is compared literally.")
            elif base == "StringLike" and key.lower().endswith(":sub"):
                yield from _broad_subject(doc, key_path, key, text)
    where = doc.at(child(path, "Condition") if "Condition" in statement else path)
    if "sub" not in keys:
        yield finding("trust-without-sub", where, "The web-identity statement has no :sub condition.")
    if "aud" not in keys:
        yield finding("trust-without-aud", where, "The web-identity statement has no :aud condition.")


def _broad_subject(doc: Document, key_path: str, key: str, subject: str) -> Iterator[Finding]:
    """A StringLike subject wider than one namespace, or as wide as a whole namespace."""
    if not subject.startswith(SUBJECT_PREFIX):
        yield finding("broad-string-like-sub", doc.at(key_path), f"StringLike {key} = {subject!r}.")
        return
    namespace, _, name = subject[len(SUBJECT_PREFIX):].partition(":")
    if any(c in namespace for c in "*?") or not name:
        yield finding("broad-string-like-sub", doc.at(key_path),
                      f"StringLike {key} = {subject!r} matches service accounts of several namespaces.")
    elif any(c in name for c in "*?"):
        yield finding("namespace-wide-string-like-sub", doc.at(key_path),
                      f"StringLike {key} = {subject!r} matches every service account of namespace {namespace}.")
