"""Where things are in JSON text: the line of every value, by JSON path, for error messages."""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]

_SPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def child(path: str, key: str | int) -> str:
    """`$.Statement` + 0 -> `$.Statement[0]`; + `aws:x` -> `$...["aws:x"]`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if _IDENTIFIER.match(key) else f"{path}[{json.dumps(key)}]"


def value_lines(text: str) -> dict[str, int]:
    """JSON path -> 1-based line where that value starts (object keys point at the key)."""
    lines: dict[str, int] = {}
    try:
        _Walker(text, lines).value(0, "$")
    except (ValueError, IndexError):
        pass  # only called on text json.loads accepted; be lenient anyway
    return lines


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of `path`, or of its nearest ancestor present in `lines`."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            break
        path = path[:cut]
    return lines.get("$")


class _Walker:
    """A small recursive-descent JSON reader that records positions instead of building values."""

    def __init__(self, text: str, lines: dict[str, int]) -> None:
        self.text = text
        self.lines = lines

    def line(self, offset: int) -> int:
        """1-based line of an offset."""
        return self.text.count("\n", 0, offset) + 1

    def skip(self, offset: int) -> int:
        """The offset after any white space."""
        return _SPACE.match(self.text, offset).end()  # type: ignore[union-attr]

    def value(self, offset: int, path: str, key_offset: int | None = None) -> int:
        """Record the line of the value at `offset` under `path`; return the offset after it."""
        offset = self.skip(offset)
        self.lines[path] = self.line(key_offset if key_offset is not None else offset)
        char = self.text[offset]
        if char == "{":
            return self.object(offset + 1, path)
        if char == "[":
            return self.array(offset + 1, path)
        if char == '"':
            end: int = scanstring(self.text, offset + 1)[1]
            return end
        found = _SCALAR.match(self.text, offset)
        if not found:
            raise ValueError(f"unexpected {char!r}")
        return found.end()

    def object(self, offset: int, path: str) -> int:
        """Walk an object's members."""
        offset = self.skip(offset)
        if self.text[offset] == "}":
            return offset + 1
        while True:
            key_offset = offset
            key, offset = scanstring(self.text, offset + 1)
            offset = self.skip(offset) + 1  # the colon
            offset = self.skip(self.value(offset, child(path, key), key_offset))
            if self.text[offset] == "}":
                return offset + 1
            offset = self.skip(offset + 1)  # the comma

    def array(self, offset: int, path: str) -> int:
        """Walk an array's items."""
        offset = self.skip(offset)
        if self.text[offset] == "]":
            return offset + 1
        index = 0
        while True:
            offset = self.skip(self.value(offset, child(path, index)))
            if self.text[offset] == "]":
                return offset + 1
            offset = self.skip(offset + 1)
            index += 1
