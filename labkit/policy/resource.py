"""The Resource / NotResource element: ARN segments, case-sensitive, wildcards and policy variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from labkit.policy.decision import ElementMatch
from labkit.policy.variables import MissingVariable, Template, resolve_parts
from labkit.policy.wildcard import arn_regex, compile_regex, glob_regex, has_wildcard


@dataclass(frozen=True)
class ResourcePattern:
    """One Resource entry, compiled now when it has no variables, per request otherwise."""

    template: Template

    def __post_init__(self) -> None:
        text = self.template.text
        literal = not self.template.has_variables and not has_wildcard(text)
        static = not self.template.needs_context
        regex = _compile(resolve_parts(self.template, {})) if static and not literal else None
        object.__setattr__(self, "_literal", literal)
        object.__setattr__(self, "_regex", regex)

    @property
    def text(self) -> str:
        """The entry as written."""
        return self.template.text

    def matches(self, resource: str, context: Mapping[str, tuple[str, ...]]) -> bool:
        """Whether `resource` matches; MissingVariable when a variable has no value."""
        if self.template.text == "*":
            return True
        if self._literal:  # type: ignore[attr-defined]
            return resource == self.template.text
        regex = self._regex or _compile(resolve_parts(self.template, context))  # type: ignore[attr-defined]
        return regex.fullmatch(resource) is not None


def _compile(parts: list[tuple[str, bool]]) -> re.Pattern[str]:
    """Segment-aware regex for ARNs, plain wildcard regex for anything else."""
    joined = "".join(text for text, _ in parts)
    if joined.startswith("arn:") and joined.count(":") >= 5:
        return compile_regex(arn_regex(parts))
    return compile_regex("".join(glob_regex(t) if wild else re.escape(t) for t, wild in parts))


@dataclass(frozen=True)
class ResourceElement:
    """Compiled Resource or NotResource entries; absent (resource policies may omit it) matches all."""

    patterns: tuple[ResourcePattern, ...]
    negated: bool = False
    absent: bool = False

    @property
    def element(self) -> str:
        """The element name as written in the policy."""
        return "NotResource" if self.negated else "Resource"

    def match(self, resource: str, context: Mapping[str, tuple[str, ...]]) -> ElementMatch:
        """Whether the statement covers `resource`; a variable without a value makes it not apply."""
        if self.absent:
            return ElementMatch(True, None, "Resource")
        try:
            hit = next((p.text for p in self.patterns if p.matches(resource, context)), None)
        except MissingVariable as missing:
            return ElementMatch(False, missing.variable.text, self.element, missing=True)
        return ElementMatch((hit is None) if self.negated else (hit is not None), hit, self.element)
