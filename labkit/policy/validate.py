"""The grammar IAM enforces (MalformedPolicyDocument), as a list of issues with JSON paths."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from labkit.policy.condition import (
    OPERATORS,
    binary,
    boolean,
    condition_values,
    network,
    number,
    parse_operator,
    timestamp,
)
from labkit.policy.locate import child, line_of, value_lines
from labkit.policy.model import KINDS, Kind
from labkit.policy.variables import parse_template

Severity = Literal["error", "warning"]
TOP_LEVEL = ("Version", "Id", "Statement")
STATEMENT_ELEMENTS = ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                      "Resource", "NotResource", "Condition")
VERSIONS = ("2012-10-17", "2008-10-17")
PRINCIPAL_TYPES = ("AWS", "Federated", "Service", "CanonicalUser")
ATTACHED_TO_IDENTITY = ("identity", "boundary", "session")  # kinds without a Principal element
_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+$")
_ARN = re.compile(r"^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$", re.DOTALL)  # partition and service are never empty
_AWS_PRINCIPAL = re.compile(
    r"^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:(root|user/.+|role/.+)|"
    r"arn:aws[a-z-]*:sts::\d{12}:(assumed-role/.+/.+|federated-user/.+))$")
_SID = re.compile(r"^[A-Za-z0-9]*$")


SYNTAX_ERRORS = "Syntax errors in policy."


@dataclass(frozen=True)
class Issue:
    """One problem in a policy document: where (JSON path, line when known), what, and how bad."""

    path: str
    message: str
    severity: Severity = "error"
    code: str = "MalformedPolicyDocument"
    line: int | None = None
    aws_message: str = SYNTAX_ERRORS  # how IAM itself words the refusal (terse; the message above explains)

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path}: {self.severity}: {self.message}"


def validate(doc: Mapping[str, Any] | str, kind: Kind = "identity") -> list[Issue]:
    """Every grammar issue in `doc` (a dict or JSON text) for a policy of `kind`; empty when valid."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if isinstance(doc, str):
        try:
            parsed = json.loads(doc)
        except json.JSONDecodeError as exc:
            return [Issue("$", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                          line=exc.lineno)]
        issues = _check_policy(parsed, kind)
        if issues:
            lines = value_lines(doc)
            issues = [replace(i, line=line_of(lines, i.path)) for i in issues]
        return issues
    return _check_policy(doc, kind)


def errors(issues: list[Issue]) -> list[Issue]:
    """Only the issues IAM would reject the document for."""
    return [i for i in issues if i.severity == "error"]


def _check_policy(doc: Any, kind: Kind) -> list[Issue]:
    """Top-level grammar: Version, Id, Statement, and nothing else."""
    if not isinstance(doc, Mapping):
        return [Issue("$", "a policy must be a JSON object")]
    issues = [_unknown("$", key, TOP_LEVEL) for key in doc if key not in TOP_LEVEL]
    issues += _check_version(doc)
    if "Id" in doc and not isinstance(doc["Id"], str):
        issues.append(Issue("$.Id", "Id must be a string"))
    statements = doc.get("Statement")
    if statements is None:
        issues.append(Issue("$", "missing Statement"))
    elif isinstance(statements, Mapping):
        issues += _check_statement(statements, "$.Statement", kind)
    elif isinstance(statements, list) and statements:
        for index, statement in enumerate(statements):
            issues += _check_statement(statement, child("$.Statement", index), kind)
        issues += _check_sids(statements)
    else:
        issues.append(Issue("$.Statement", "Statement must be an object or a non-empty list of objects"))
    issues += _check_size(doc, kind)
    return issues


def _check_version(doc: Mapping[str, Any]) -> list[Issue]:
    """Version is optional but without 2012-10-17 policy variables are taken literally."""
    if "Version" not in doc:
        return [Issue("$", "no Version: IAM assumes 2008-10-17, where ${...} policy variables are plain text; "
                           "add \"Version\": \"2012-10-17\"", "warning")]
    if doc["Version"] not in VERSIONS:
        return [Issue("$.Version", f"Version must be {' or '.join(VERSIONS)}, not {doc['Version']!r}")]
    return []


def _check_sids(statements: list[Any]) -> list[Issue]:
    """Statement ids must be unique within a policy."""
    seen: set[str] = set()
    issues = []
    for index, s in enumerate(statements):
        sid = s.get("Sid") if isinstance(s, Mapping) else None
        if isinstance(sid, str) and sid:
            if sid in seen:
                issues.append(Issue(child(child("$.Statement", index), "Sid"), f"duplicate Sid {sid!r}",
                                    aws_message="Statement IDs (SID) in a single policy must be unique."))
            seen.add(sid)
    return issues


def _check_size(doc: Mapping[str, Any], kind: Kind) -> list[Issue]:
    """Trust and session policies have small quotas worth a warning (the quota can be raised for trust)."""
    from labkit.policy.size import limit, policy_size

    quota = {"trust": "trust", "session": "session"}.get(kind)
    if quota is None:
        return []
    size, most = policy_size(doc), limit(quota)
    if size <= most:
        return []
    return [Issue("$", f"{size} characters (without white space) exceed the default {kind} policy quota of {most}",
                  "warning", "LimitExceeded")]


def _check_statement(s: Any, path: str, kind: Kind) -> list[Issue]:
    """Grammar of one statement."""
    if not isinstance(s, Mapping):
        return [Issue(path, "a statement must be a JSON object")]
    issues = [_unknown(path, key, STATEMENT_ELEMENTS) for key in s if key not in STATEMENT_ELEMENTS]
    issues += _check_sid(s, path, kind)
    issues += _check_effect(s, path)
    issues += _check_pair(s, path, "Action", "NotAction", _check_action, required=True)
    issues += _check_resource(s, path, kind)
    issues += _check_principal(s, path, kind)
    if "Condition" in s:
        issues += _check_condition(s["Condition"], child(path, "Condition"))
    return issues


def _unknown(path: str, key: str, known: tuple[str, ...]) -> Issue:
    """An element IAM does not know, with the closest known name as a hint."""
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return Issue(child(path, key), f"unknown element {key!r}{hint}")


def _check_sid(s: Mapping[str, Any], path: str, kind: Kind) -> list[Issue]:
    """Sid is a string; IAM (identity) policies allow only letters and digits."""
    if "Sid" not in s:
        return []
    sid = s["Sid"]
    if not isinstance(sid, str):
        return [Issue(child(path, "Sid"), "Sid must be a string")]
    if kind in ATTACHED_TO_IDENTITY and not _SID.match(sid):
        return [Issue(child(path, "Sid"), f"Sid {sid!r} may contain only letters and digits in IAM policies")]
    return []


def _check_effect(s: Mapping[str, Any], path: str) -> list[Issue]:
    """Effect is required and is exactly Allow or Deny."""
    if "Effect" not in s:
        return [Issue(path, "missing Effect")]
    if s["Effect"] not in ("Allow", "Deny"):
        return [Issue(child(path, "Effect"), f"Effect must be Allow or Deny, not {s['Effect']!r}")]
    return []


def _check_pair(s: Mapping[str, Any], path: str, name: str, negated: str,
                check: Callable[[Any, str], list[Issue]], *, required: bool) -> list[Issue]:
    """An element that comes in a plain and a Not- form: at most one, maybe required."""
    if name in s and negated in s:
        return [Issue(path, f"use either {name} or {negated}, not both")]
    present = name if name in s else negated if negated in s else None
    if present is None:
        missing = {"Action": "Policy statement must contain actions.",
                   "Resource": "Policy statement must contain resources."}.get(name, SYNTAX_ERRORS)
        return [Issue(path, f"missing {name} or {negated}", aws_message=missing)] if required else []
    return check(s[present], child(path, present))


def _strings(value: Any, path: str, what: str) -> tuple[list[tuple[str, str]], list[Issue]]:
    """(path, string) pairs of a string-or-list element, and issues for anything else."""
    if isinstance(value, str):
        return [(path, value)], []
    if isinstance(value, list) and value:
        good = [(child(path, i), v) for i, v in enumerate(value) if isinstance(v, str)]
        bad = [Issue(child(path, i), f"{what} entries must be strings") for i, v in enumerate(value)
               if not isinstance(v, str)]
        return good, bad
    return [], [Issue(path, f"{what} must be a string or a non-empty list of strings")]


def _check_action(value: Any, path: str) -> list[Issue]:
    """Actions are `*` or `service:Name` (wildcards allowed in the name)."""
    entries, issues = _strings(value, path, "Action")
    for where, action in entries:
        if action != "*" and not _ACTION.match(action):
            issues.append(Issue(where, f"{action!r} is not an action: write service:Action, e.g. s3:GetObject",
                                aws_message="Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."))
    return issues


def _check_resource(s: Mapping[str, Any], path: str, kind: Kind) -> list[Issue]:
    """Identity-side policies need Resource; trust policies may not have one."""
    if kind == "trust":
        present = [k for k in ("Resource", "NotResource") if k in s]
        return [Issue(child(path, k), f"a trust policy has no {k}: the role itself is the resource",
                      aws_message=f"Has prohibited field {k}.") for k in present]
    return _check_pair(s, path, "Resource", "NotResource", _check_arns, required=kind in ATTACHED_TO_IDENTITY)


def _check_arns(value: Any, path: str) -> list[Issue]:
    """Resources are `*` or ARNs (arn:partition:service:region:account:resource), variables allowed."""
    entries, issues = _strings(value, path, "Resource")
    for where, resource in entries:
        issues += _check_variables(resource, where)
        if resource != "*" and not _ARN.match(resource):
            issues.append(Issue(where, f"{resource!r} is not an ARN: use * or arn:partition:service:region:"
                                       "account:resource",
                                aws_message=f'Resource {resource} must be in ARN format or "*".'))
    return issues


def _check_variables(text: str, path: str) -> list[Issue]:
    """Every `${` must be a well-formed policy variable."""
    try:
        parse_template(text)
    except ValueError as exc:
        return [Issue(path, str(exc))]
    return []


def _check_principal(s: Mapping[str, Any], path: str, kind: Kind) -> list[Issue]:
    """Principal is forbidden in identity-side policies and required in resource and trust policies."""
    present = [k for k in ("Principal", "NotPrincipal") if k in s]
    if kind in ATTACHED_TO_IDENTITY:
        return [Issue(child(path, k), f"a {kind} policy has no {k}: it applies to the identity it is attached to",
                      aws_message="Policy document should not specify a principal.") for k in present]
    if kind == "trust" and "NotPrincipal" in s:
        return [Issue(child(path, "NotPrincipal"), "trust policies do not support NotPrincipal")]
    issues = _check_pair(s, path, "Principal", "NotPrincipal", _check_principal_value, required=True)
    if "NotPrincipal" in s and s.get("Effect") == "Allow":
        issues.append(Issue(child(path, "NotPrincipal"), "NotPrincipal works only with Effect Deny; to exclude "
                                                          "principals, use a condition on aws:PrincipalArn"))
    return issues


def _check_principal_value(value: Any, path: str) -> list[Issue]:
    """`"*"` or an object of AWS / Federated / Service / CanonicalUser entries."""
    if value == "*":
        return []
    if not isinstance(value, Mapping) or not value:
        return [Issue(path, "Principal must be \"*\" or an object such as {\"AWS\": \"arn:aws:iam::111122223333:root\"}")]
    issues = []
    for kind, entries in value.items():
        where = child(path, kind)
        if kind not in PRINCIPAL_TYPES:
            issues.append(_unknown(path, kind, PRINCIPAL_TYPES))
            continue
        good, bad = _strings(entries, where, "Principal")
        issues += bad
        issues += [i for p, v in good for i in _check_principal_entry(kind, v, p)]
    return issues


def _check_principal_entry(kind: str, value: str, path: str) -> list[Issue]:
    """Principal values name exact principals: no wildcards except `*` alone."""
    if value == "*":
        return []
    if "*" in value or "?" in value:
        return [Issue(path, f"{value!r}: Principal does not take wildcards; use \"*\" with a condition on "
                            "aws:PrincipalArn")]
    invalid = f'Invalid principal in policy: "{kind}":"{value}"'
    if kind == "AWS" and not _AWS_PRINCIPAL.match(value):
        return [Issue(path, f"{value!r} is not an AWS principal: use an account id or an IAM user, role, "
                            "root or assumed-role ARN", aws_message=invalid)]
    if kind == "Service" and not value.endswith((".amazonaws.com", ".amazonaws.com.cn", ".amazon.com")):
        return [Issue(path, f"{value!r} is not a service principal such as pods.eks.amazonaws.com",
                      aws_message=invalid)]
    return []


_VALUE_CHECKS: dict[str, Callable[[str], Any]] = {
    "Numeric": number, "Date": timestamp, "Bool": boolean, "Null": boolean,
    "BinaryEquals": binary, "IpAddress": network, "NotIpAddress": network,
}


def _check_condition(condition: Any, path: str) -> list[Issue]:
    """Operators from the table; each maps keys to values the operator can read."""
    if not isinstance(condition, Mapping) or not condition:
        return [Issue(path, "Condition must be an object of operators")]
    issues = []
    for operator, keys in condition.items():
        where = child(path, operator)
        try:
            spec = parse_operator(operator)
        except ValueError as exc:
            issues.append(Issue(where, str(exc)))
            continue
        if not isinstance(keys, Mapping) or not keys:
            issues.append(Issue(where, f"{operator} must map condition keys to values"))
            continue
        for key, value in keys.items():
            if not key.strip():
                issues.append(Issue(child(where, key), "a condition key cannot be empty"))
                continue
            issues += _check_condition_values(spec.base.name, value, child(where, key))
            issues += _check_set_use(spec.qualifier, key, child(where, key))
    return issues


# Keys whose request value is a list, and per-tag keys that hold one value (IAM User Guide,
# "Single-valued vs. multivalued context keys").
MULTIVALUED_KEYS = frozenset({"aws:tagkeys", "aws:principalorgpaths", "aws:principalservicenameslist",
                              "aws:calledvia", "dynamodb:attributes"})
_SINGLE_VALUED_PREFIXES = ("aws:requesttag/", "aws:resourcetag/", "aws:principaltag/")


def _check_set_use(qualifier: str | None, key: str, path: str) -> list[Issue]:
    """Set operators belong with multivalued keys, and multivalued keys need one."""
    lowered = key.lower()
    if qualifier is None and lowered in MULTIVALUED_KEYS:
        return [Issue(path, f"{key} is multivalued: use ForAnyValue: or ForAllValues: with it", "warning")]
    if qualifier is not None and lowered.startswith(_SINGLE_VALUED_PREFIXES):
        return [Issue(path, f"{key} is single-valued: {qualifier}: on it can make the policy overly permissive",
                      "warning")]
    return []


def _check_condition_values(base: str, value: Any, path: str) -> list[Issue]:
    """Values are strings, numbers or booleans (or a non-empty list of them) the operator can read."""
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, (str, int, float, bool)) for v in items):
        return [Issue(path, "condition values must be strings, numbers or booleans, or a non-empty list of them")]
    check = _VALUE_CHECKS.get(base) or _family_check(base)
    issues = []
    for index, text in enumerate(condition_values(value)):
        where = child(path, index) if isinstance(value, list) else path
        issues += _check_variables(text, where) if OPERATORS[base].variables else []
        if check is not None and "${" not in text:
            try:
                check(text)
            except ValueError as exc:
                issues.append(Issue(where, f"{base}: {exc}"))
    return issues


def _family_check(base: str) -> Callable[[str], Any] | None:
    """The value check of an operator family (Numeric*, Date*, Arn*)."""
    if base.startswith("Numeric"):
        return number
    if base.startswith("Date"):
        return timestamp
    if base.startswith("Arn"):
        return _arn_value
    return None


def _arn_value(text: str) -> None:
    """ARN operators compare ARNs."""
    if not _ARN.match(text):
        raise ValueError(f"{text!r} is not an ARN")
