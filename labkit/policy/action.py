"""The Action / NotAction element: case-insensitive, with `*` and `?`."""

from __future__ import annotations

from dataclasses import dataclass

from labkit.policy.decision import ElementMatch
from labkit.policy.wildcard import compile_glob, has_wildcard


@dataclass(frozen=True)
class ActionElement:
    """Compiled Action or NotAction patterns of one statement."""

    patterns: tuple[str, ...]
    negated: bool = False  # NotAction

    def __post_init__(self) -> None:
        # Literal patterns are looked up in a set; only wildcard patterns need a regex.
        literals = {p.lower(): p for p in self.patterns if not has_wildcard(p)}
        wildcards = tuple((p, compile_glob(p, True)) for p in self.patterns if has_wildcard(p))
        object.__setattr__(self, "_literals", literals)
        object.__setattr__(self, "_wildcards", wildcards)

    @property
    def element(self) -> str:
        """The element name as written in the policy."""
        return "NotAction" if self.negated else "Action"

    def listed(self, action: str) -> str | None:
        """The pattern that covers `action`, or None."""
        found = self._literals.get(action.lower())  # type: ignore[attr-defined]
        if found is not None:
            return found
        for pattern, regex in self._wildcards:  # type: ignore[attr-defined]
            if regex.fullmatch(action):
                return pattern
        return None

    def match(self, action: str) -> ElementMatch:
        """Whether the statement covers `action`, and the pattern that decided."""
        pattern = self.listed(action)
        if self.negated:
            return ElementMatch(pattern is None, pattern, self.element)
        return ElementMatch(pattern is not None, pattern, self.element)
