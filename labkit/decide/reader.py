"""Typed reading of a YAML node tree: each field is checked where it stands, so errors name path and line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml  # type: ignore[import-untyped]

from labkit.decide.yamlnodes import line_of, scalar
from labkit.errors import InventoryError

_MISSING: Any = object()


class Field:
    """One node of the tree with its JSON path; reads itself as a typed value or raises InventoryError."""

    __slots__ = ("node", "path", "file")

    def __init__(self, node: yaml.Node, path: str, file: str | None) -> None:
        self.node = node
        self.path = path
        self.file = file

    @property
    def line(self) -> int:
        """The 1-based line of this node."""
        return line_of(self.node)

    def error(self, message: str) -> InventoryError:
        """An InventoryError located at this node."""
        return InventoryError(message, file=self.file, line=self.line, path=self.path)

    def text(self, *, choices: tuple[str, ...] = (), pattern: re.Pattern[str] | None = None) -> str:
        """This node as a non-empty string (numbers are accepted and kept as written, e.g. account ids)."""
        if not isinstance(self.node, yaml.ScalarNode) or self.node.tag == _NULL:
            raise self.error(f"expected a string, found {_kind(self.node)}")
        value = str(self.node.value)
        if not value:
            raise self.error("must not be empty")
        if choices and value not in choices:
            raise self.error(f"{value!r} is not one of: {', '.join(choices)}")
        if pattern and not pattern.fullmatch(value):
            raise self.error(f"{value!r} does not match {pattern.pattern}")
        return value

    def integer(self, *, minimum: int = 0) -> int:
        """This node as an integer of at least `minimum`."""
        value = scalar(self.node) if isinstance(self.node, yaml.ScalarNode) else None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(f"expected an integer, found {_kind(self.node)}")
        if value < minimum:
            raise self.error(f"must be at least {minimum}, found {value}")
        return value

    def boolean(self) -> bool:
        """This node as true or false."""
        value = scalar(self.node) if isinstance(self.node, yaml.ScalarNode) else None
        if not isinstance(value, bool):
            raise self.error(f"expected true or false, found {_kind(self.node)}")
        return value

    def items(self) -> Iterator[Field]:
        """The items of a sequence (a single scalar counts as a one-item list)."""
        if isinstance(self.node, yaml.ScalarNode):
            yield self
            return
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.error(f"expected a list, found {_kind(self.node)}")
        for index, item in enumerate(self.node.value):
            yield Field(item, f"{self.path}[{index}]", self.file)

    def texts(self) -> tuple[str, ...]:
        """A list of strings (or one string)."""
        return tuple(item.text() for item in self.items())

    def mapping(self) -> Mapping:
        """This node as a mapping whose fields are read by name."""
        return Mapping(self)


class Mapping:
    """A YAML mapping being read: every key must be read once, so a typo is an error, not a silent default."""

    __slots__ = ("field", "_fields", "_read")

    def __init__(self, field: Field) -> None:
        if not isinstance(field.node, yaml.MappingNode):
            raise field.error(f"expected a mapping, found {_kind(field.node)}")
        self.field = field
        self._fields: dict[str, yaml.Node] = {}
        for key, value in field.node.value:
            if key.value in self._fields:
                raise Field(key, f"{field.path}.{key.value}", field.file).error(f"duplicate key {key.value!r}")
            self._fields[key.value] = value
        self._read: set[str] = set()

    def get(self, key: str) -> Field | None:
        """The field under `key`, or None when absent or null."""
        self._read.add(key)
        node = self._fields.get(key)
        if node is None or node.tag == _NULL:
            return None
        return Field(node, f"{self.field.path}.{key}", self.field.file)

    def keys(self) -> list[str]:
        """Every key present, in order."""
        return list(self._fields)

    def need(self, key: str) -> Field:
        """The field under `key`; an error naming the path when it is missing."""
        found = self.get(key)
        if found is None:
            raise self.field.error(f"missing required field {key!r}")
        return found

    def text(self, key: str, default: Any = _MISSING, **checks: Any) -> Any:
        """A string field (required unless a default is given)."""
        found = self.get(key) if default is not _MISSING else self.need(key)
        return default if found is None else found.text(**checks)

    def done(self, *allowed_extra: str) -> None:
        """Raise on the first key that was never read: unknown fields are mistakes worth naming."""
        for key, node in self._fields.items():
            if key not in self._read and key not in allowed_extra:
                known = ", ".join(sorted(self._read))
                raise Field(node, f"{self.field.path}.{key}", self.field.file).error(
                    f"unknown field {key!r} (known here: {known})")


_NULL = "tag:yaml.org,2002:null"


def _kind(node: yaml.Node) -> str:
    """What a node is, in words, for error messages."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    value = scalar(node)
    return "nothing" if value is None else f"{type(value).__name__} {node.value!r}"
