"""IAM wildcards (`*` and `?`) compiled once into regular expressions."""

from __future__ import annotations

import re
from functools import lru_cache

WILDCARDS = frozenset("*?")


def has_wildcard(text: str) -> bool:
    """Whether `text` contains `*` or `?`."""
    return "*" in text or "?" in text


def glob_regex(pattern: str, *, star: str = ".*", one: str = ".") -> str:
    """Regex source for a wildcard pattern: `*` -> `star`, `?` -> `one`, everything else literal."""
    return "".join(star if c == "*" else one if c == "?" else re.escape(c) for c in pattern)


@lru_cache(maxsize=8192)
def compile_glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """A compiled full-match regex for a wildcard pattern (cached: patterns repeat across requests)."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(glob_regex(pattern), flags)


def arn_regex(parts: list[tuple[str, bool]]) -> str:
    """Regex source for an ARN pattern made of (text, is_wildcard_text) parts, matched segment by segment.

    In the first five segments a wildcard stops at `:`; in the resource segment it spans `:` and `/`,
    which is how IAM matches `arn:aws:ec2:*:*:instance/*`.
    """
    out: list[str] = []
    colons = 0
    for text, pattern in parts:
        for char in text:
            in_resource = colons >= 5
            if char == ":" and not in_resource:
                colons += 1
                out.append(":")
            elif pattern and char == "*":
                out.append(".*" if in_resource else "[^:]*")
            elif pattern and char == "?":
                out.append("." if in_resource else "[^:]")
            else:
                out.append(re.escape(char))
    return "".join(out)


@lru_cache(maxsize=8192)
def compile_regex(source: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a regex once."""
    return re.compile(source, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def arn_segments(text: str) -> list[str] | None:
    """The six segments of an ARN (the resource keeps its colons), or None if `text` is not an ARN."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts
