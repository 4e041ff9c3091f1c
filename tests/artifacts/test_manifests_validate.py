"""Every Kubernetes manifest labkit emits or the course applies passes kubernetes-validate (strict, for the
reflection clusters' Kubernetes version); the deliberately broken ones fail for the reason they give."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install -e '.[dev]' (kubernetes-validate)")

from labkit.decide import plan, reflection

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "examples" / "manifests"
# Only Kubernetes API groups: eksctl ClusterConfig and CloudFormation files share the folders.
NOT_KUBERNETES = re.compile(r"eksctl\.io")
PLACEHOLDER = "placeholder"  # stands for a notebook variable inside an f-string (a valid DNS label)


def kubernetes_version() -> str:
    """The reflection clusters' Kubernetes version (all three agree)."""
    versions = {cluster.kubernetes_version for cluster in reflection().clusters.values()}
    assert len(versions) == 1, versions
    return versions.pop()


def validate(document: dict[str, Any]) -> None:
    """kubernetes-validate, strict: unknown fields are errors, as kubectl's default field validation makes them."""
    kubernetes_validate.validate(document, kubernetes_version(), strict=True)


def kubernetes_objects(text: str) -> list[dict[str, Any]]:
    """The Kubernetes objects in a YAML stream (eksctl configs and other documents left out)."""
    documents = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    return [d for d in documents if "apiVersion" in d and "kind" in d and not NOT_KUBERNETES.search(d["apiVersion"])]


def plan_manifests() -> Iterator[tuple[str, dict[str, Any]]]:
    for workload in plan(reflection()).workloads:
        for document in kubernetes_objects(workload.artifacts.service_account_manifest):
            yield f"plan:{workload.workload.name}", document


def file_manifests(folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(folder.glob("*.yaml")):
        if "AWSTemplateFormatVersion" in path.read_text():  # CloudFormation (with !Sub tags), not Kubernetes
            continue
        for index, document in enumerate(kubernetes_objects(path.read_text())):
            yield f"{path.relative_to(ROOT)}#{index}", document


def notebook_yaml(source: str) -> Iterator[str]:
    """YAML string literals (f-strings with each variable as a placeholder) in a notebook code cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # cells with IPython magics
        return
    fragments = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    for node in ast.walk(tree):
        if id(node) in fragments:  # the literal pieces of an f-string: read whole below
            continue
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if "apiVersion:" in text and "kind:" in text:
            yield text


# Keys whose values are strings in every Kubernetes object the course writes: a variable there is a placeholder.
STRING_KEYS = {"name", "namespace", "serviceAccountName", "image", "value", "eks.amazonaws.com/role-arn"}


class Opaque(Exception):
    """A manifest dict partly built at run time (a variable where the schema wants more than a string)."""


def literal(node: ast.expr, key: object = None) -> Any:
    """The value of a dict/list/str literal; variables only where `key` holds a string."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values)
    if isinstance(node, ast.Dict) and all(k is not None for k in node.keys):
        keys = [literal(k) for k in node.keys if k is not None]
        return {k: literal(v, k) for k, v in zip(keys, node.values, strict=True)}
    if isinstance(node, ast.List | ast.Tuple) and not any(isinstance(e, ast.Starred) for e in node.elts):
        return [literal(e) for e in node.elts]
    if key in STRING_KEYS:
        return PLACEHOLDER
    raise Opaque(ast.unparse(node))


def notebook_dicts(source: str) -> Iterator[dict[str, Any]]:
    """Manifest dict literals in a notebook code cell (those built partly at run time are left out)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "apiVersion" for k in node.keys):
            try:
                yield literal(node)
            except Opaque:
                continue


def notebook_manifests() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*.ipynb")]):
        cells = json.loads(path.read_text())["cells"]
        for number, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            documents = [d for text in notebook_yaml(source) for d in kubernetes_objects(text)]
            documents += [d for d in notebook_dicts(source) if not NOT_KUBERNETES.search(str(d.get("apiVersion")))]
            for index, document in enumerate(documents):
                yield f"{path.relative_to(ROOT)}[{number}]#{index}", document


# The audit pitfalls are wrong about identity, not about Kubernetes: they must still be objects the API accepts.
VALID = [*plan_manifests(), *file_manifests(ROOT / "examples" / "audit" / "clean"),
         *file_manifests(ROOT / "examples" / "audit" / "pitfalls"), *file_manifests(MANIFESTS),
         *notebook_manifests()]
BROKEN = sorted((MANIFESTS / "broken").glob("*.yaml"))


def test_every_source_of_manifests_is_collected():
    sources = {name.split(":")[0].split("/")[0].split("#")[0] for name, _ in VALID}
    assert {"plan", "examples", "notebooks"} <= sources
    assert sum(name.startswith("plan:") for name, _ in VALID) == len(plan(reflection()).workloads)
    assert any("08-pitfalls" in name for name, _ in VALID) and any("07-setup" in name for name, _ in VALID)


@pytest.mark.parametrize(("name", "document"), VALID, ids=[name for name, _ in VALID])
def test_manifest_is_valid_for_the_clusters_kubernetes_version(name: str, document: dict[str, Any]):
    validate(document)


def broken_reason(path: Path) -> tuple[str, str]:
    """The `# BROKEN:` reason and the `# EXPECT:` validator text a broken manifest declares."""
    text = path.read_text()
    reason = re.search(r"^# BROKEN: (.+)$", text, re.MULTILINE)
    expect = re.search(r"^# EXPECT: (.+)$", text, re.MULTILINE)
    assert reason and expect, f"{path.name} must say why it is broken and what the validator answers"
    return reason.group(1), expect.group(1)


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_manifest_fails_for_the_reason_it_gives(path: Path):
    _, expect = broken_reason(path)
    (document,) = kubernetes_objects(path.read_text())
    with pytest.raises(kubernetes_validate.ValidationError) as failure:
        validate(document)
    assert expect in str(failure.value).splitlines()[0]


def test_there_are_broken_manifests_to_check():
    assert len(BROKEN) >= 3
