"""Reading audit inputs: YAML (multi-document) and JSON files, each document kept with its line numbers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.decide.yamlnodes import child, compose_all, lines, to_python
from labkit.errors import ManifestError

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Location:
    """Where a finding points: file, document index (0-based), JSON path and line."""

    file: str
    document: int
    path: str
    line: int | None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} (document {self.document}) {self.path}"


@dataclass(frozen=True)
class Document:
    """One YAML or JSON document of an input file."""

    file: str
    index: int
    data: Any
    line_map: dict[str, int] = field(default_factory=dict, repr=False)

    def at(self, path: str) -> Location:
        """The location of `path` in this document (the nearest enclosing node that has a line)."""
        probe = path
        while probe not in self.line_map and len(probe) > 1:
            probe = _parent(probe)
        return Location(self.file, self.index, path, self.line_map.get(probe))


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML and JSON files under the given files and directories, sorted; a missing path is an error."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise ManifestError("no such file or directory", file=str(path))
    return files


def read_documents(path: Path, *, name: str | None = None) -> list[Document]:
    """Every document of a file; a syntax error is a ManifestError naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read: {exc}", file=name or str(path)) from None
    return parse_documents(text, file=name or str(path), json_file=path.suffix == ".json")


def parse_documents(text: str, *, file: str, json_file: bool = False) -> list[Document]:
    """Documents of a YAML or JSON text (JSON is read through YAML for line numbers when it can be)."""
    try:
        nodes = compose_all(text, file=file, error=ManifestError)
    except ManifestError:
        if not json_file:
            raise
        return [_json_document(text, file)]  # JSON that YAML 1.1 refuses (tabs, escapes): no line numbers
    return [Document(file, index, to_python(node), dict(lines(node))) for index, node in enumerate(nodes)]


def _json_document(text: str, file: str) -> Document:
    """A JSON document without line information."""
    try:
        return Document(file, 0, json.loads(text))
    except json.JSONDecodeError as exc:
        raise ManifestError(f"not valid JSON: {exc.msg}", file=file, line=exc.lineno) from None


def walk(data: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    """Every (JSON path, value) of a document, parents before children."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk(value, child(path, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from walk(item, f"{path}[{index}]")


def items(data: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, item) of a list (nothing for anything else)."""
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield f"{path}[{index}]", item


def _parent(path: str) -> str:
    """The JSON path one level up."""
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else "$"


def as_list(value: Any) -> list[Any]:
    """A policy element (string or list) as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def scalar(value: Any) -> str | None:
    """A scalar field as text (numbers and booleans as written by str); None for lists, mappings and null."""
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def mapping(value: Any) -> dict[str, Any]:
    """A dict, or an empty one for anything else (inputs are not trusted to have the right shape)."""
    return value if isinstance(value, dict) else {}

