"""The Action / NotAction element: case-insensitive, with `*` and `?`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from labkit.policy.decision import ElementMatch
from labkit.policy.wildcard import compile_glob, has_wildcard

_MEMO_SIZE = 4096  # distinct action names remembered per statement; a lab uses a few dozen


@dataclass(frozen=True)
class ActionElement:
    """Compiled Action or NotAction patterns of one statement."""

    patterns: tuple[str, ...]
    negated: bool = False  # NotAction
    # Built once in __post_init__: literal patterns by lower-case name, wildcard regexes, and the
    # possible answers, so that matching a request allocates nothing.
    _literals: dict[str, str] = field(init=False, repr=False, compare=False)
    _wildcards: tuple[tuple[str, re.Pattern[str]], ...] = field(init=False, repr=False, compare=False)
    _hits: dict[str, ElementMatch] = field(init=False, repr=False, compare=False)
    _miss: ElementMatch = field(init=False, repr=False, compare=False)
    _memo: dict[str, ElementMatch] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__  # frozen: fill the derived fields once
        setattr_(self, "_literals", {p.lower(): p for p in self.patterns if not has_wildcard(p)})
        setattr_(self, "_wildcards", tuple((p, compile_glob(p, True)) for p in self.patterns if has_wildcard(p)))
        setattr_(self, "_hits", {p: ElementMatch(not self.negated, p, self.element) for p in self.patterns})
        setattr_(self, "_miss", ElementMatch(self.negated, None, self.element))
        setattr_(self, "_memo", {})

    @property
    def element(self) -> str:
        """The element name as written in the policy."""
        return "NotAction" if self.negated else "Action"

    def listed(self, action: str) -> str | None:
        """The pattern that covers `action`, or None."""
        found = self._literals.get(action.lower())
        if found is not None:
            return found
        for pattern, regex in self._wildcards:
            if regex.fullmatch(action):
                return pattern
        return None

    def match(self, action: str) -> ElementMatch:
        """Whether the statement covers `action`, and the pattern that decided (memoized per action name)."""
        found = self._memo.get(action)
        if found is None:
            pattern = self.listed(action)
            found = self._miss if pattern is None else self._hits[pattern]
            if len(self._memo) < _MEMO_SIZE:
                self._memo[action] = found
        return found
