"""The Condition element: one table of operators; ForAnyValue/ForAllValues/IfExists wrap them.

Operators AND together, keys within an operator AND together, values of one key OR together.
Key names are case-insensitive; values follow the operator (StringEquals is case-sensitive).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, NamedTuple

from labkit.policy.variables import MissingVariable, Template, literal_template, parse_template, resolve_parts
from labkit.policy.wildcard import arn_regex, arn_segments, compile_regex, glob_regex

Values = tuple[str, ...] | None
QUALIFIERS = ("ForAnyValue", "ForAllValues")


@dataclass(frozen=True)
class Operator:
    """A base operator: how to prepare a policy value and test one request value against it."""

    name: str
    prepare: Callable[[Any], Any]  # str, or (text, is_policy_text) parts when `pattern`
    test: Callable[[str, Any], bool]
    negated: bool = False  # the Not- form: true when no policy value matches
    variables: bool = False  # whether ${...} in values is substituted
    pattern: bool = False  # prepare() takes (text, is_policy_text) parts (wildcards vs substituted text)


# --- preparing and testing values, one small function per family -------------------------------------

def _same(text: str) -> str:
    """String operators compare the text as written."""
    return text


def _equals(value: str, wanted: str) -> bool:
    """Exact, case-sensitive equality."""
    return value == wanted


def _fold(text: str) -> str:
    """IgnoreCase operators compare case-folded text."""
    return text.casefold()


def _equals_ignore_case(value: str, wanted: str) -> bool:
    """Equality after case folding (the policy value is folded already)."""
    return value.casefold() == wanted


def _like_prepare(parts: list[tuple[str, bool]]) -> re.Pattern[str]:
    """A full-match regex: `*` and `?` in policy text, substituted values literal."""
    source = "".join(glob_regex(text) if wild else re.escape(text) for text, wild in parts)
    return compile_regex(source)


def _like(value: str, regex: re.Pattern[str]) -> bool:
    """StringLike: the whole value matches the pattern, case-sensitively."""
    return regex.fullmatch(value) is not None


def number(text: str) -> float:
    """A numeric condition value; ValueError when it is not a number."""
    result = float(text)
    if math.isnan(result):
        raise ValueError(f"not a number: {text!r}")
    return result


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, float], bool]:
    """A numeric comparison that treats a non-number in the request as no match."""
    def test(value: str, wanted: float) -> bool:
        """Compare a request value with a prepared number."""
        try:
            return compare(number(value), wanted)
        except ValueError:
            return False  # a request value that is not a number never matches
    return test


@lru_cache(maxsize=4096)
def timestamp(text: str) -> float:
    """Seconds since the epoch for an ISO 8601 date/time or an epoch number; ValueError otherwise."""
    if re.fullmatch(r"-?\d+(\.\d+)?", text.strip()):
        return float(text)
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)  # IAM reads dates without a zone as UTC
    return parsed.timestamp()


def _dated(compare: Callable[[float, float], bool]) -> Callable[[str, float], bool]:
    """A date comparison that treats an unreadable request date as no match."""
    def test(value: str, wanted: float) -> bool:
        """Compare a request date with a prepared timestamp."""
        try:
            return compare(timestamp(value), wanted)
        except ValueError:
            return False
    return test


def boolean(text: str) -> str:
    """A Bool condition value: 'true' or 'false' in any case."""
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"Bool needs true or false, not {text!r}")
    return lowered


def _bool(value: str, wanted: str) -> bool:
    """Bool: 'true'/'false' in any case."""
    return value.lower() == wanted


def binary(text: str) -> bytes:
    """A BinaryEquals value: base64 text."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"BinaryEquals needs base64, not {text!r}") from None


def _binary(value: str, wanted: bytes) -> bool:
    """BinaryEquals: the decoded bytes are equal."""
    try:
        return binary(value) == wanted
    except ValueError:
        return False


def network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An IpAddress value: an address or a CIDR block, IPv4 or IPv6."""
    return ipaddress.ip_network(text.strip(), strict=False)


def _in_network(value: str, wanted: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """IpAddress: the request address lies in the block (same IP version)."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return address.version == wanted.version and address in wanted


def _arn_prepare(parts: list[tuple[str, bool]]) -> re.Pattern[str] | None:
    """An ARN pattern matched segment by segment, or None when the value is not an ARN."""
    joined = "".join(text for text, _ in parts)
    if arn_segments(joined) is None:
        return None  # not an ARN: matches nothing (validation reports it)
    return compile_regex(arn_regex(parts))


def _arn_like(value: str, regex: re.Pattern[str] | None) -> bool:
    """ArnLike/ArnEquals: the request ARN matches the pattern."""
    return regex is not None and regex.fullmatch(value) is not None


def _lt(a: float, b: float) -> bool:
    """a < b"""
    return a < b


def _le(a: float, b: float) -> bool:
    """a <= b"""
    return a <= b


def _gt(a: float, b: float) -> bool:
    """a > b"""
    return a > b


def _ge(a: float, b: float) -> bool:
    """a >= b"""
    return a >= b


def _eq(a: float, b: float) -> bool:
    """a == b"""
    return a == b


def _table() -> dict[str, Operator]:
    """name -> Operator. Adding an operator is one function above and one row here."""
    rows = [
        Operator("StringEquals", _same, _equals, variables=True),
        Operator("StringNotEquals", _same, _equals, negated=True, variables=True),
        Operator("StringEqualsIgnoreCase", _fold, _equals_ignore_case, variables=True),
        Operator("StringNotEqualsIgnoreCase", _fold, _equals_ignore_case, negated=True, variables=True),
        Operator("StringLike", _like_prepare, _like, variables=True, pattern=True),
        Operator("StringNotLike", _like_prepare, _like, negated=True, variables=True, pattern=True),
        Operator("NumericEquals", number, _numeric(_eq)),
        Operator("NumericNotEquals", number, _numeric(_eq), negated=True),
        Operator("NumericLessThan", number, _numeric(_lt)),
        Operator("NumericLessThanEquals", number, _numeric(_le)),
        Operator("NumericGreaterThan", number, _numeric(_gt)),
        Operator("NumericGreaterThanEquals", number, _numeric(_ge)),
        Operator("DateEquals", timestamp, _dated(_eq)),
        Operator("DateNotEquals", timestamp, _dated(_eq), negated=True),
        Operator("DateLessThan", timestamp, _dated(_lt)),
        Operator("DateLessThanEquals", timestamp, _dated(_le)),
        Operator("DateGreaterThan", timestamp, _dated(_gt)),
        Operator("DateGreaterThanEquals", timestamp, _dated(_ge)),
        Operator("Bool", boolean, _bool),
        Operator("BinaryEquals", binary, _binary),
        Operator("IpAddress", network, _in_network),
        Operator("NotIpAddress", network, _in_network, negated=True),
        # ArnEquals honours wildcards exactly like ArnLike (AWS documents them as equivalent).
        Operator("ArnEquals", _arn_prepare, _arn_like, variables=True, pattern=True),
        Operator("ArnLike", _arn_prepare, _arn_like, variables=True, pattern=True),
        Operator("ArnNotEquals", _arn_prepare, _arn_like, negated=True, variables=True, pattern=True),
        Operator("ArnNotLike", _arn_prepare, _arn_like, negated=True, variables=True, pattern=True),
        Operator("Null", boolean, _bool),
    ]
    return {row.name: row for row in rows}


OPERATORS: dict[str, Operator] = _table()
_LOWER = {name.lower(): name for name in OPERATORS}


# --- how request values meet policy values: the plain form and the wrappers ----------------------------
# A clause is compiled into `matches(value) -> bool`: one request value against the OR of the policy
# values, already negated for Not- operators. The wrappers decide how a set of request values combines.

Matches = Callable[[str], bool]
SetTest = Callable[[Values, Matches, bool], bool]


def plain(values: Values, matches: Matches, negated: bool) -> bool:
    """No qualifier: a missing key fails, except that Not- operators hold when there is nothing to match."""
    if not values:
        return negated
    if len(values) == 1:  # the common single-valued key: all() and any() agree
        return matches(values[0])
    if negated:
        return all(map(matches, values))
    return any(map(matches, values))


def for_any_value(values: Values, matches: Matches, negated: bool) -> bool:
    """ForAnyValue: at least one request value matches; a missing or empty set fails."""
    return bool(values) and any(map(matches, values or ()))


def for_all_values(values: Values, matches: Matches, negated: bool) -> bool:
    """ForAllValues: every request value matches; a missing or empty set holds (vacuously true)."""
    return all(map(matches, values or ()))


def null(values: Values, matches: Matches, negated: bool) -> bool:
    """Null: 'true' wants the key absent, 'false' wants it present (`matches` tests the policy values)."""
    return matches("true" if not values else "false")


def if_exists(inner: SetTest) -> SetTest:
    """...IfExists: a missing key holds; otherwise the wrapped test decides."""
    def test(values: Values, matches: Matches, negated: bool) -> bool:
        """Hold on a missing key, else defer to the wrapped test."""
        return True if not values else inner(values, matches, negated)
    return test


# Operators whose test is equality after a normalisation: their policy values go into a set.
_NORMALISE: dict[str, Callable[[str], str]] = {
    "StringEquals": str, "StringNotEquals": str, "StringEqualsIgnoreCase": str.casefold,
    "StringNotEqualsIgnoreCase": str.casefold, "Bool": str.lower, "Null": str,
}


def value_matcher(op: Operator, prepared: tuple[Any, ...]) -> Matches:
    """`matches(value)` for one clause: a set lookup where the operator allows it, else the operator's test."""
    normalise = _NORMALISE.get(op.name)
    if normalise is not None:
        wanted = frozenset(prepared)
        if normalise is str:
            return (lambda v: v not in wanted) if op.negated else wanted.__contains__
        return (lambda v: normalise(v) not in wanted) if op.negated else (lambda v: normalise(v) in wanted)
    test = op.test
    if op.negated:
        return lambda v: not any(test(v, p) for p in prepared)
    return lambda v: any(test(v, p) for p in prepared)


@dataclass(frozen=True)
class OperatorSpec:
    """A parsed operator name: base operator, qualifier, IfExists, and the composed test."""

    name: str
    base: Operator
    qualifier: str | None
    if_exists: bool
    test: SetTest


@lru_cache(maxsize=512)
def parse_operator(name: str) -> OperatorSpec:
    """`ForAnyValue:StringLikeIfExists` -> its parts; ValueError for an unknown operator."""
    qualifier, _, rest = name.rpartition(":")
    if qualifier and qualifier not in QUALIFIERS:
        raise ValueError(f"unknown set operator {qualifier!r} (use ForAnyValue or ForAllValues)")
    exists = rest.endswith("IfExists")
    base_name = rest[: -len("IfExists")] if exists else rest
    base = OPERATORS.get(base_name)
    if base is None:
        hint = _LOWER.get(base_name.lower())
        raise ValueError(f"unknown condition operator {name!r}" + (f" (did you mean {hint}?)" if hint else ""))
    if base.name == "Null" and (exists or qualifier):
        raise ValueError("Null takes neither IfExists nor ForAnyValue/ForAllValues")
    test: SetTest = null if base.name == "Null" else {
        "ForAnyValue": for_any_value, "ForAllValues": for_all_values}.get(qualifier, plain)
    return OperatorSpec(name, base, qualifier or None, exists, if_exists(test) if exists else test)


# --- one operator/key pair of a statement, compiled once ------------------------------------------------

@dataclass(frozen=True)
class Clause:
    """`"Operator": {"key": values}` for one key, with policy values prepared once when they can be."""

    spec: OperatorSpec
    key: str
    values: tuple[str, ...]
    templates: tuple[Template, ...]
    prepared: tuple[Any, ...] | None  # None: values hold variables, prepared per request
    key_lower: str = ""  # condition key names are case-insensitive
    matches: Matches | None = field(default=None, repr=False, compare=False)  # when `prepared` is known

    @classmethod
    def build(cls, operator: str, key: str, values: tuple[str, ...], *, variables: bool = True) -> Clause:
        """Compile one clause; `variables=False` for policies older than Version 2012-10-17."""
        spec = parse_operator(operator)
        use_vars = variables and spec.base.variables
        templates = tuple(parse_template(v) if use_vars else literal_template(v) for v in values)
        dynamic = any(t.needs_context for t in templates)
        prepared = None if dynamic else tuple(_prepare(spec.base, t, {}) for t in templates)
        matches = None if prepared is None else value_matcher(spec.base, prepared)
        return cls(spec, key, values, templates, prepared, key.lower(), matches)

    def evaluate(self, context: Mapping[str, tuple[str, ...]]) -> ConditionResult:
        """Test the request context; a variable without a value makes the clause fail."""
        request_values = context.get(self.key_lower)
        matches = self.matches
        if matches is None:
            try:
                prepared = tuple(_prepare(self.spec.base, t, context) for t in self.templates)
            except MissingVariable as missing:
                return ConditionResult(self, False, request_values, missing.variable.text)
            matches = value_matcher(self.spec.base, prepared)
        spec = self.spec
        return ConditionResult(self, spec.test(request_values, matches, spec.base.negated), request_values)


def _prepare(op: Operator, template: Template, context: Mapping[str, tuple[str, ...]]) -> Any:
    """Prepare one policy value, substituting variables from the context."""
    parts = resolve_parts(template, context)
    if op.pattern:
        return op.prepare(parts)
    return op.prepare("".join(text for text, _ in parts))


def build_clauses(condition: Mapping[str, Mapping[str, Any]], *, variables: bool = True) -> tuple[Clause, ...]:
    """All clauses of a Condition element (already validated)."""
    return tuple(
        Clause.build(operator, key, condition_values(value), variables=variables)
        for operator, keys in condition.items()
        for key, value in keys.items()
    )


def condition_values(value: Any) -> tuple[str, ...]:
    """Condition values as strings: JSON booleans and numbers are spelled as IAM reads them."""
    items = value if isinstance(value, list) else [value]
    return tuple(v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v) for v in items)


class ConditionResult(NamedTuple):
    """One clause's outcome, with what the request had, so the explanation can say why (a cheap immutable tuple)."""

    clause: Clause
    matched: bool
    request_values: Values
    missing_variable: str | None = None

    def describe(self) -> str:
        """`StringEquals aws:PrincipalTag/team: request has 'red', policy wants 'blue' -> false`."""
        spec = self.clause.spec
        wants = ", ".join(repr(v) for v in self.clause.values)
        wants = f"[{wants}]" if len(self.clause.values) > 1 else wants
        if self.missing_variable:
            has = f"policy variable {self.missing_variable} has no value in the request"
        elif not self.request_values:
            has = "key absent from the request"
        else:
            shown = ", ".join(repr(v) for v in self.request_values)
            has = f"request has {shown if len(self.request_values) == 1 else '[' + shown + ']'}"
        return f"{spec.name} {self.clause.key}: {has}, policy wants {wants} -> {str(self.matched).lower()}"
