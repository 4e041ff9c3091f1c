"""The Resource / NotResource element: ARN segments, case-sensitive, wildcards and policy variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from labkit.policy.decision import ElementMatch
from labkit.policy.variables import MissingVariable, Template, resolve_parts
from labkit.policy.wildcard import arn_regex, compile_regex, glob_regex, has_wildcard

_MEMO_SIZE = 4096  # distinct resources remembered per statement


@dataclass(frozen=True)
class ResourcePattern:
    """One Resource entry, compiled now when it has no variables, per request otherwise."""

    template: Template
    _literal: bool = field(init=False, repr=False, compare=False)  # no wildcard, no variable: compare strings
    _regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        literal = not self.template.has_variables and not has_wildcard(self.template.text)
        static = not self.template.needs_context
        object.__setattr__(self, "_literal", literal)
        object.__setattr__(self, "_regex", _compile(resolve_parts(self.template, {})) if static and not literal
                           else None)

    @property
    def text(self) -> str:
        """The entry as written."""
        return self.template.text

    def matches(self, resource: str, context: Mapping[str, tuple[str, ...]]) -> bool:
        """Whether `resource` matches; MissingVariable when a variable has no value."""
        if self.template.text == "*":
            return True
        if self._literal:
            return resource == self.template.text
        regex = self._regex or _compile(resolve_parts(self.template, context))
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
    # Answers built once, so matching allocates nothing on the common paths; without variables the
    # answer depends on the resource alone and is remembered (`_memo` is None when variables are used).
    _hits: dict[str, ElementMatch] = field(init=False, repr=False, compare=False)
    _miss: ElementMatch = field(init=False, repr=False, compare=False)
    _memo: dict[str, ElementMatch] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__  # frozen: fill the derived fields once
        setattr_(self, "_hits", {p.text: ElementMatch(not self.negated, p.text, self.element) for p in self.patterns})
        setattr_(self, "_miss", ElementMatch(self.negated or self.absent, None, self.element))
        static = not any(p.template.needs_context for p in self.patterns)
        setattr_(self, "_memo", {} if static else None)

    @property
    def element(self) -> str:
        """The element name as written in the policy."""
        return "NotResource" if self.negated else "Resource"

    def match(self, resource: str, context: Mapping[str, tuple[str, ...]]) -> ElementMatch:
        """Whether the statement covers `resource`; a variable without a value makes it not apply."""
        if self.absent:
            return self._miss
        memo = self._memo
        if memo is None:
            return self._scan(resource, context)
        found = memo.get(resource)
        if found is None:
            found = self._scan(resource, context)
            if len(memo) < _MEMO_SIZE:
                memo[resource] = found
        return found

    def _scan(self, resource: str, context: Mapping[str, tuple[str, ...]]) -> ElementMatch:
        """Try each entry in order."""
        try:
            for pattern in self.patterns:
                if pattern.matches(resource, context):
                    return self._hits[pattern.text]
        except MissingVariable as missing:
            return ElementMatch(False, missing.variable.text, self.element, missing=True)
        return self._miss
