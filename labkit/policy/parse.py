"""From JSON text, a dict, a (name, doc) pair or a file to a compiled Policy, validated and cached."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeGuard, Union

from labkit.errors import PolicyError
from labkit.policy.model import KINDS, Kind, Policy, compile_policy
from labkit.policy.validate import Issue, errors, validate

PolicyLike = Union[Policy, Mapping[str, Any], str, tuple[str, Union[Mapping[str, Any], str, Policy]]]


def parse_policy(doc: Mapping[str, Any] | str, *, kind: Kind = "identity", name: str | None = None,
                 file: str | None = None) -> Policy:
    """Validate and compile a policy; PolicyError (file, line, JSON path) on the first grammar error."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    text = doc if isinstance(doc, str) else _canonical(doc, file)
    return _parse_cached(text, kind, name, file, isinstance(doc, str))


def load_policy(path: str | Path, *, kind: Kind = "identity", name: str | None = None) -> Policy:
    """Read, validate and compile a policy file; the policy is named after the file unless `name` is given."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read policy: {exc.strerror}", file=str(path)) from None
    return parse_policy(text, kind=kind, name=name or path.stem, file=str(path))


def as_policy(value: PolicyLike, *, kind: Kind, default_name: str | None = None) -> Policy:
    """Accept a Policy, a dict, JSON text, or a (name, policy) pair."""
    if isinstance(value, Policy):
        return value
    if is_named_pair(value):
        name, doc = value
        if isinstance(doc, Policy):
            return doc if doc.name == name else _renamed(doc, name)
        return parse_policy(doc, kind=kind, name=name)
    if isinstance(value, Mapping):
        return _parse_dict(value, kind, default_name)
    if isinstance(value, str):
        return parse_policy(value, kind=kind, name=default_name)
    raise PolicyError(f"a policy must be a dict, JSON text, a Policy or a (name, policy) pair, "
                      f"not {type(value).__name__}")


def is_named_pair(value: Any) -> TypeGuard[tuple[str, Mapping[str, Any] | str | Policy]]:
    """`("ReadOnly", {...})` (or a 2-item JSON list): a name and a policy; a name never starts with `{`."""
    return (type(value) in (tuple, list) and len(value) == 2 and isinstance(value[0], str)
            and not value[0].lstrip().startswith("{") and isinstance(value[1], (Mapping, str, Policy)))


def first_error(issues: list[Issue]) -> Issue | None:
    """The first issue IAM would reject, if any."""
    found = errors(issues)
    return found[0] if found else None


# id(dict) -> (the dict, a deep copy taken when parsed, kind, name, Policy). The copy tells whether the
# caller changed the dict since: comparing two dicts is ten times cheaper than serializing one.
_BY_IDENTITY: dict[int, tuple[Mapping[str, Any], Any, str, str | None, Policy]] = {}
_BY_IDENTITY_SIZE = 256


def _parse_dict(doc: Mapping[str, Any], kind: Kind, name: str | None) -> Policy:
    """parse_policy for a dict passed again and again (the lab passes the same dicts on every request)."""
    entry = _BY_IDENTITY.get(id(doc))
    if entry is not None and entry[0] is doc and entry[2] == kind and entry[3] == name and entry[1] == doc:
        return entry[4]
    policy = parse_policy(doc, kind=kind, name=name)
    if len(_BY_IDENTITY) >= _BY_IDENTITY_SIZE:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(doc)] = (doc, copy.deepcopy(doc), kind, name, policy)
    return policy


@lru_cache(maxsize=1024)
def _parse_cached(text: str, kind: Kind, name: str | None, file: str | None, from_text: bool) -> Policy:
    """Parse once per distinct document: patterns are compiled here, not per request."""
    issues = validate(text, kind)
    issue = first_error(issues)
    if issue is not None:
        raise PolicyError(issue.message, file=file, line=issue.line if from_text else None, path=issue.path)
    return compile_policy(json.loads(text), kind=kind, name=name)


def _canonical(doc: Mapping[str, Any], file: str | None) -> str:
    """A dict as compact JSON, the cache key (a fresh copy also keeps callers' dicts out of the cache)."""
    try:
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise PolicyError(f"policy is not JSON data: {exc}", file=file) from None


def _renamed(policy: Policy, name: str) -> Policy:
    """The same compiled policy under another name."""
    from dataclasses import replace

    return replace(policy, name=name)
