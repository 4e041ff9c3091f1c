"""Whatever is wrong with an inventory, the loader answers with an Inventory or a located InventoryError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from labkit.decide import parse_inventory, plan, scenarios
from labkit.errors import InventoryError

LINES = scenarios.text("reflection").splitlines()
VALUES = ["", "[]", "{}", "null", "0", "-1", "1.5", "true", "x", "[a, b]", "{a: b}", "'{index}'", "'{nope}'",
          "\"1.2\"", "ec2-windows", "fargate", "audit", "prod", "111122223333", "arn:aws:s3:::b/*", "*"]


def _mutate(index: int, value: str) -> str:
    """The reflection inventory with the value of one line replaced."""
    lines = list(LINES)
    line = lines[index]
    if ":" in line and not line.lstrip().startswith("#"):
        key = line.split(":", 1)[0]
        lines[index] = f"{key}: {value}"
    else:
        lines[index] = line[: len(line) - len(line.lstrip())] + value
    return "\n".join(lines) + "\n"


@settings(max_examples=250, deadline=None)
@given(st.integers(0, len(LINES) - 1), st.sampled_from(VALUES))
def test_mutated_inventories_load_or_fail_with_a_location(index: int, value: str) -> None:
    try:
        inventory = parse_inventory(_mutate(index, value), file="mutated.yaml")
    except InventoryError as error:
        assert error.file == "mutated.yaml" and error.line is not None and error.message
    else:
        plan(inventory).to_json()  # whatever loads also plans and renders
