"""`labkit policy validate FILE...` and `labkit policy eval ...`: exit 0 allow/valid, 1 deny, 2 bad input."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from labkit.errors import PolicyError
from labkit.policy.evaluate import evaluate
from labkit.policy.model import KINDS, Kind
from labkit.policy.parse import load_policy
from labkit.policy.request import Principal, Request
from labkit.policy.size import limit, policy_size
from labkit.policy.validate import Issue, errors, validate


def register(subparsers: Any) -> None:
    """Add `policy validate` and `policy eval` to the labkit command."""
    parser = subparsers.add_parser("policy", help="validate and evaluate IAM policies",
                                   description="Validate and evaluate IAM policies offline, with AWS semantics.")
    parser.set_defaults(handler=lambda args: _usage(parser))
    actions = parser.add_subparsers(dest="policy_command", metavar="ACTION", parser_class=type(parser))
    _register_validate(actions)
    _register_eval(actions)


def _usage(parser: argparse.ArgumentParser) -> int:
    """`labkit policy` alone: show what it can do."""
    parser.print_help()
    return 2


def _register_validate(actions: Any) -> None:
    """`labkit policy validate FILE... [--kind K]`."""
    p = actions.add_parser("validate", help="check policy files against the IAM grammar",
                           description="Report grammar errors (exit 2) and warnings, with line and JSON path.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--kind", choices=KINDS, help="policy kind (default: guessed from the document)")
    p.set_defaults(handler=run_validate)


def _register_eval(actions: Any) -> None:
    """`labkit policy eval --policy FILE... --action A --resource R ...`."""
    p = actions.add_parser("eval", help="decide one request against policy files",
                           description="Evaluate a request: exit 0 Allow, 1 ExplicitDeny/ImplicitDeny, 2 bad input.")
    p.add_argument("--policy", action="extend", nargs="+", default=[], metavar="FILE",
                   help="identity policy file(s); repeatable")
    p.add_argument("--resource-policy", metavar="FILE", help="resource or trust policy file")
    p.add_argument("--boundary", metavar="FILE", help="permissions boundary file")
    p.add_argument("--session-policy", metavar="FILE", help="session policy file")
    p.add_argument("--action", required=True, help="e.g. s3:GetObject")
    p.add_argument("--resource", required=True, help="resource ARN")
    p.add_argument("--principal", help="caller: an ARN, account id, service (pods.eks.amazonaws.com) or "
                                       "OIDC provider ARN; TYPE:ID also works (Service:..., Federated:...)")
    p.add_argument("--resource-account", help="account that owns the resource (default: from the ARN)")
    p.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                   help="request context; repeat a key for a multi-valued key")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.set_defaults(handler=run_eval)


def run_validate(args: argparse.Namespace) -> int:
    """Print each file's issues; exit 2 when any file has an error."""
    failed = False
    for name in args.files:
        text = _read(name)
        kind = args.kind or guess_kind(text)
        issues = validate(text, kind)
        for issue in issues:
            print(format_issue(name, issue), file=sys.stderr if issue.severity == "error" else sys.stdout)
        if errors(issues):
            failed = True
        else:
            print(f"{name}: valid {kind} policy, {_size_note(text, kind)}")
    return 2 if failed else 0


def _size_note(text: str, kind: Kind) -> str:
    """`412 of 2048 characters ...` for kinds with their own quota, else just the size."""
    quota = {"trust": "trust", "session": "session"}.get(kind)
    size = policy_size(text)
    if quota is None:
        return f"{size} characters (white space not counted)"
    return f"{size} of {limit(quota)} characters allowed by default (white space not counted)"


def run_eval(args: argparse.Namespace) -> int:
    """Evaluate and print the explanation (or JSON); exit 0 on Allow, 1 on deny."""
    request = Request(args.action, args.resource, _principal(args.principal), parse_context(args.context),
                      args.resource_account)
    decision = evaluate(
        request,
        identity_policies=[load_policy(f, kind="identity") for f in args.policy],
        resource_policy=_load(args.resource_policy, "resource"),
        permissions_boundary=_load(args.boundary, "boundary"),
        session_policy=_load(args.session_policy, "session"),
    )
    print(decision.to_json() if args.json else decision.explain())
    return 0 if decision.allowed else 1


def format_issue(name: str, issue: Issue) -> str:
    """`file.json:12: at $.Statement[0].Effect: error: Effect must be Allow or Deny`."""
    where = f"{name}:{issue.line}" if issue.line else name
    return f"{where}: at {issue.path}: {issue.severity}: {issue.message}"


def guess_kind(text: str) -> Kind:
    """trust if it grants sts:AssumeRole* to a Principal, resource if it has a Principal, else identity."""
    try:
        statements = json.loads(text).get("Statement", [])
    except (ValueError, AttributeError):
        return "identity"
    statements = statements if isinstance(statements, list) else [statements]
    with_principal = [s for s in statements if isinstance(s, dict) and ("Principal" in s or "NotPrincipal" in s)]
    if not with_principal:
        return "identity"
    actions = json.dumps([s.get("Action") for s in with_principal]).lower()
    has_resource = any("Resource" in s or "NotResource" in s for s in with_principal)
    return "trust" if "sts:" in actions and not has_resource else "resource"


def parse_context(pairs: list[str]) -> dict[str, str | list[str]]:
    """`key=value` pairs; a repeated key becomes a list (a multi-valued key such as aws:TagKeys)."""
    context: dict[str, str | list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PolicyError(f"--context needs KEY=VALUE, got {pair!r}")
        if key in context:
            previous = context[key]
            context[key] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            context[key] = value
    return context


def _principal(text: str | None) -> Principal | None:
    """`TYPE:ID` when the type is spelled out, otherwise guessed from the id."""
    if not text:
        return None
    kind, sep, rest = text.partition(":")
    if sep and kind in ("AWS", "Federated", "Service", "CanonicalUser"):
        return Principal(kind, rest)
    return Principal.parse(text)


def _load(name: str | None, kind: Kind) -> Any:
    """Load an optional policy file."""
    return None if name is None else load_policy(name, kind=kind)


def _read(name: str) -> str:
    """A file's text, or PolicyError naming the file."""
    try:
        return Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read policy: {exc.strerror}", file=name) from None
