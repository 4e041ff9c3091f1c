"""`labkit audit PATH... [--format table|json|markdown]`: exit 1 when anything is found, 2 on bad input."""

from __future__ import annotations

import argparse
import sys

FORMATS = ("table", "json", "markdown")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `audit` subcommand."""
    parser = subparsers.add_parser(
        "audit", help="find IRSA / Pod Identity pitfalls in manifests, IAM documents and node settings",
        description="Audit Kubernetes manifests (multi-document YAML), eksctl configs, IAM documents (JSON) and "
                    "node-group / launch-template settings. Directories are searched for .yaml, .yml and .json.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Audit and print; the exit code says whether anything was found."""
    from labkit.audit.auditor import audit_paths

    report = audit_paths(args.paths)
    output = {"json": lambda: report.to_json() + "\n", "markdown": report.to_markdown}.get(args.format,
                                                                                           report.to_table)()
    sys.stdout.write(output)
    return report.exit_code
