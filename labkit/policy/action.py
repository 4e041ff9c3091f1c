"""The Action / NotAction element: case-insensitive, with `*` and `?`."""

from __future__ import annotations

from dataclasses import dataclass

from labkit.policy.decision import ElementMatch
from labkit.policy.wildcard import compile_glob, has_wildcard

_MEMO_SIZE = 4096  # distinct action names remembered per statement; a lab uses a few dozen


@dataclass(frozen=True)
class ActionElement:
    """Compiled Action or NotAction patterns of one statement."""

    patterns: tuple[str, ...]
    negated: bool = False  # NotAction

    def __post_init__(self) -> None:
        # Literal patterns are looked up in a dict; only wildcard patterns need a regex. The possible
        # answers are built once here, so matching a request allocates nothing.
        literals = {p.lower(): p for p in self.patterns if not has_wildcard(p)}
        wildcards = tuple((p, compile_glob(p, True)) for p in self.patterns if has_wildcard(p))
        hit = {p: ElementMatch(not self.negated, p, self.element) for p in self.patterns}
        object.__setattr__(self, "_literals", literals)
        object.__setattr__(self, "_wildcards", wildcards)
        object.__setattr__(self, "_hit", hit)
        object.__setattr__(self, "_miss", ElementMatch(self.negated, None, self.element))
        object.__setattr__(self, "_memo", {})

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
        """Whether the statement covers `action`, and the pattern that decided (memoized per action name)."""
        memo: dict[str, ElementMatch] = self._memo  # type: ignore[attr-defined]
        found = memo.get(action)
        if found is None:
            pattern = self.listed(action)
            found = self._miss if pattern is None else self._hit[pattern]  # type: ignore[attr-defined]
            if len(memo) < _MEMO_SIZE:
                memo[action] = found
        return found
