"""`labkit plan FILE|--scenario NAME [--format table|json|markdown]`: the decision engine on the command line."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from labkit.errors import InventoryError

if TYPE_CHECKING:
    from labkit.decide.planner import WorkloadPlan
    from labkit.decide.result import Plan

FORMATS = ("table", "json", "markdown")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `plan` subcommand."""
    parser = subparsers.add_parser(
        "plan", help="choose IRSA or EKS Pod Identity per workload, with reasons and quotas",
        description="Plan workload identity for an inventory (YAML) or a shipped scenario.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="inventory YAML file")
    source.add_argument("--scenario", help="a shipped scenario, e.g. reflection")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument("--no-target-roles", action="store_true",
                        help="model EKS before June 2025: no Pod Identity association target roles")
    parser.add_argument("--artifacts", metavar="WORKLOAD", action="append", default=[],
                        help="also print the set-up artifacts of this workload (repeatable; 'all' for every one)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load, plan, print; exit 0 (bad input raises InventoryError: exit 2)."""
    from labkit.decide import scenario
    from labkit.decide.inventory import load_inventory
    from labkit.decide.planner import plan

    inventory = scenario(args.scenario) if args.scenario else load_inventory(args.file)
    result = plan(inventory, pod_identity_target_roles=False if args.no_target_roles else None)
    chosen = _chosen(result, args.artifacts)
    if args.format == "json":
        sys.stdout.write(_json_with_artifacts(result, chosen) if chosen else result.to_json() + "\n")
    else:
        sys.stdout.write(result.to_markdown() if args.format == "markdown" else result.to_table())
        for workload in chosen:
            sys.stdout.write("\n" + workload.artifacts.text())
    return 0


def _chosen(result: Plan, names: list[str]) -> list[WorkloadPlan]:
    """The workload plans named by --artifacts."""
    if "all" in names:
        return list(result.workloads)
    try:
        return [result.workload(name) for name in names]
    except KeyError as exc:
        raise InventoryError(f"--artifacts: {exc.args[0]}") from None


def _json_with_artifacts(result: Plan, chosen: list[WorkloadPlan]) -> str:
    """The plan JSON with artifacts for the chosen workloads only."""
    import json

    data = result.to_dict()
    wanted = {plan.workload.name: plan for plan in chosen}
    for entry in data["workloads"]:
        if entry["name"] in wanted:
            entry["artifacts"] = wanted[entry["name"]].artifacts.to_dict()
    return json.dumps(data, indent=2) + "\n"
