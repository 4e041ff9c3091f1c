"""The 91 shared IAM cases (copied from ../shared/cases/iam-sample.json): one parametrized test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labkit.policy import evaluate

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parents[1] / "data" / "iam-sample.json").read_text())


def test_all_cases_are_here() -> None:
    assert len(CASES) == 91


@pytest.mark.parametrize("case", CASES, ids=[f"{i:02d}-{c['category']}" for i, c in enumerate(CASES)])
def test_iam_sample_case(case: dict[str, Any]) -> None:
    decision = evaluate(
        case["request"],
        identity_policies=case["identity_policies"],
        resource_policy=case["resource_policy"],
        permissions_boundary=case["permissions_boundary"],
    )
    assert decision.effect == case["expected"], f"{case['name']}\n{decision.explain()}"
    assert decision.explain()  # every decision can be explained
