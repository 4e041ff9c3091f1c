"""YAML read as a node tree, so every value keeps the line it came from (for errors that name the line)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml  # type: ignore[import-untyped]

from labkit.errors import InputError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same nodes, faster
_STR = "tag:yaml.org,2002:str"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()  # scalar constructors keep no state


def compose_all(text: str, *, file: str | None, error: type[InputError]) -> list[yaml.Node]:
    """Every document of a YAML text as a node tree; a syntax error names file and line."""
    try:
        return [node for node in yaml.compose_all(text, Loader=_Loader) if node is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise error(f"not valid YAML: {exc.problem or exc}", file=file,
                    line=mark.line + 1 if mark else None) from None


def line_of(node: yaml.Node) -> int:
    """The 1-based line where a node starts."""
    return int(node.start_mark.line) + 1


def scalar(node: yaml.ScalarNode) -> Any:
    """The Python value of a scalar node (str, int, float, bool or None) with YAML 1.1 safe rules."""
    if node.tag == _STR:
        return node.value  # the common case, without a constructor call
    construct = yaml.constructor.SafeConstructor.yaml_constructors.get(node.tag)
    return construct(_CONSTRUCTOR, node) if construct else node.value


def to_python(node: yaml.Node) -> Any:
    """The plain Python value of a node tree (dicts, lists, scalars)."""
    if isinstance(node, yaml.MappingNode):
        return {to_python(key): to_python(value) for key, value in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [to_python(item) for item in node.value]
    return scalar(node)


def lines(node: yaml.Node, path: str = "$") -> Iterator[tuple[str, int]]:
    """(JSON path, line) for every node of a tree, so a finding can name its line."""
    yield path, line_of(node)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from lines(value, child(path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from lines(item, f"{path}[{index}]")


def child(path: str, key: object) -> str:
    """The JSON path of `key` under `path`: `$.a.b`, or `$.a['eks.amazonaws.com/role-arn']` for odd keys."""
    plain = isinstance(key, str) and key.replace("_", "a").replace("-", "a").isalnum()
    return f"{path}.{key}" if plain else f"{path}[{str(key)!r}]"
