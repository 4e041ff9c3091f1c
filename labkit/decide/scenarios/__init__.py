"""Inventories shipped with labkit: the course's reflection exercise and friends."""

from __future__ import annotations

from importlib import resources

from labkit.decide.inventory import Inventory, parse_inventory
from labkit.errors import InventoryError


def names() -> list[str]:
    """The scenarios shipped with labkit."""
    return sorted(p.name.removesuffix(".yaml") for p in resources.files(__name__).iterdir()
                  if p.name.endswith(".yaml"))


def text(name: str) -> str:
    """The YAML text of a shipped scenario."""
    if name not in names():
        raise InventoryError(f"no scenario {name!r}; known: {', '.join(names())}")
    return resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load(name: str) -> Inventory:
    """A shipped scenario as an Inventory."""
    return parse_inventory(text(name), file=f"scenario:{name}", name=name)
