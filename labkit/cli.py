"""The `labkit` command: a thin dispatcher over subcommands that live next to their concept.

Each subcommand module exposes ``register(subparsers) -> None``; its parser sets ``handler`` (a function
taking the parsed args and returning an exit code). Modules load only when named, so `labkit --help`
stays quick. Exit codes: 0 success, 1 findings or denied, 2 bad input (message, no traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from labkit.errors import InputError, LabkitError

# name -> module that registers it; later issues add rows here.
SUBCOMMANDS: dict[str, str] = {
    "lab": "labkit.course",
    "exercises": "labkit.exercises",
    "policy": "labkit.policy.cli",
    "plan": "labkit.decide.cli",
    "audit": "labkit.audit.cli",
    "doctor": "labkit.doctor",
    "grade": "labkit.grade",
}


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a one-line message for usage errors (its default too, made explicit)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every subcommand whose module is installed."""
    parser = _Parser(prog="labkit", description="Offline lab for AWS workload identity on Kubernetes.")
    parser.add_argument("--version", action="version", version=f"labkit {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that piece of labkit has not landed yet
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return int(handler(args) or 0)
    except InputError as exc:
        print(f"labkit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except LabkitError as exc:
        print(f"labkit {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("labkit")
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
