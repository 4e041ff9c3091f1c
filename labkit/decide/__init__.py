"""labkit.decide: which of IRSA and EKS Pod Identity, and why, for one workload or a whole estate.

Pure: no boto3, moto or HTTP; pandas and matplotlib load only in `Plan.to_frame()` and `labkit.decide.plots`.

    >>> from labkit.decide import reflection, plan
    >>> result = plan(reflection())
    >>> result.workload("analytics-processor").mechanism
    'irsa'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.lazy import lazy_exports

if TYPE_CHECKING:
    from labkit.decide.inventory import Inventory, load_inventory, parse_inventory
    from labkit.decide.planner import plan
    from labkit.decide.result import Plan
    from labkit.decide.rules import RULES, Rule

# name -> module: loaded on first use so `import labkit.decide` costs nothing.
_EXPORTS = {
    "Inventory": "labkit.decide.inventory",
    "load_inventory": "labkit.decide.inventory",
    "parse_inventory": "labkit.decide.inventory",
    "plan": "labkit.decide.planner",
    "Plan": "labkit.decide.result",
    "RULES": "labkit.decide.rules",
    "Rule": "labkit.decide.rules",
}

__all__ = sorted([*_EXPORTS, "reflection", "scenario"])
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


def scenario(name: str) -> Inventory:
    """A scenario shipped with labkit (see labkit.decide.scenarios.names())."""
    from labkit.decide import scenarios

    return scenarios.load(name)


def reflection() -> Inventory:
    """The course's Reflection Exercise as an inventory (3 services, 3 clusters, an audit account)."""
    return scenario("reflection")
