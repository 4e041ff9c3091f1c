"""Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, `${*}`, `${?}`, `${$}`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

VARIABLE = re.compile(r"\$\{([^}]*)\}")
# ${*} ${?} ${$} stand for the characters themselves, so a policy can match a literal '*', '?' or '$'.
SPECIAL = {"*": "*", "?": "?", "$": "$"}
_DEFAULT = re.compile(r"^\s*([^,\s][^,]*?)\s*(?:,\s*'([^']*)'\s*)?$")


@dataclass(frozen=True, slots=True)
class Variable:
    """One `${...}` in a policy: the context key it reads and its default, if any."""

    text: str
    key: str
    default: str | None = None

    @property
    def key_lower(self) -> str:
        """Context keys are case-insensitive."""
        return self.key.lower()


@dataclass(frozen=True, slots=True)
class Template:
    """A policy string cut into literal text and variables."""

    text: str
    parts: tuple[str | Variable, ...]

    @property
    def has_variables(self) -> bool:
        """Whether any part is a `${...}` (including `${*}`, `${?}`, `${$}`)."""
        return any(isinstance(p, Variable) for p in self.parts)

    @property
    def needs_context(self) -> bool:
        """Whether any part reads the request context (the special `${*}` and friends do not)."""
        return any(isinstance(p, Variable) and p.key for p in self.parts)


class MissingVariable(LookupError):
    """A variable with no value in the request and no default."""

    def __init__(self, variable: Variable) -> None:
        super().__init__(variable.text)
        self.variable = variable


@lru_cache(maxsize=8192)
def parse_template(text: str) -> Template:
    """Cut `text` into literals and variables; raise ValueError on a malformed `${...}`."""
    parts: list[str | Variable] = []
    position = 0
    for found in VARIABLE.finditer(text):
        if found.start() > position:
            parts.append(text[position:found.start()])
        parts.append(_special_or_variable(found.group(0), found.group(1)))
        position = found.end()
    rest = text[position:]
    if "${" in rest:
        raise ValueError(f"unclosed policy variable in {text!r}")
    if rest:
        parts.append(rest)
    return Template(text, tuple(parts))


def _special_or_variable(whole: str, inner: str) -> str | Variable:
    """`${*}` and friends become their character (kept apart from wildcards); others become a Variable."""
    if inner in SPECIAL:
        return Variable(whole, "", SPECIAL[inner])
    match = _DEFAULT.match(inner)
    if not match:
        raise ValueError(f"malformed policy variable {whole!r}")
    return Variable(whole, match.group(1), match.group(2))


def literal_template(text: str) -> Template:
    """A template without variables (policies older than Version 2012-10-17 take `${` literally)."""
    return Template(text, (text,) if text else ())


def lookup(variable: Variable, context: Mapping[str, tuple[str, ...]]) -> str:
    """The value of one variable in a request context (lower-cased keys), or MissingVariable."""
    if not variable.key:
        return variable.default or ""
    values = context.get(variable.key_lower)
    if values and len(values) == 1:
        return values[0]
    if variable.default is not None:
        return variable.default
    raise MissingVariable(variable)


def resolve_parts(template: Template, context: Mapping[str, tuple[str, ...]]) -> list[tuple[str, bool]]:
    """(text, is_policy_text) pairs: policy text keeps its wildcards, substituted values are literal."""
    return [(p, True) if isinstance(p, str) else (lookup(p, context), False) for p in template.parts]


def resolve(template: Template, context: Mapping[str, tuple[str, ...]]) -> str:
    """The template with every variable replaced by its value."""
    return "".join(text for text, _ in resolve_parts(template, context))
