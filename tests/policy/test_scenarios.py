"""Data-driven scenarios: one JSON file per situation under tests/policy/cases/, run by one test.

A file is ``{"about", "defaults": {"request": {...}}, "cases": [...]}``. A case gives the policies in full
(identity_policies, resource_policy, permissions_boundary, session_policy) or as shorthand:
``allow_if`` (one Allow-everything statement with that Condition), and ``context`` merged into the default
request. Optional checks: ``decided_by`` (statement refs) and ``explain_contains`` (phrases).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from labkit.policy import evaluate

CASES_DIR = Path(__file__).parent / "cases"
NOT_EVAL = ("builders.json", "sizes.json", "validation.json")  # run by test_builders_size / test_validate
EVAL_FILES = sorted(p for p in CASES_DIR.glob("*.json") if p.name not in NOT_EVAL)


def _load() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in EVAL_FILES:
        data = json.loads(path.read_text())
        for case in data["cases"]:
            found.append((f"{path.stem}: {case['name']}", _expand(case, data.get("defaults", {}))))
    return found


def _expand(case: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Fill in the default request and the shorthand policies."""
    request = copy.deepcopy(defaults.get("request", {}))
    request.update(case.get("request", {}))
    request["context"] = {**request.get("context", {}), **case.get("context", {})}
    identity = case.get("identity_policies", [])
    if "allow_if" in case:
        identity = [{"Version": "2012-10-17", "Statement": [
            {"Sid": "Guarded", "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": case["allow_if"]}]}]
    return {**case, "request": request, "identity_policies": identity}


SCENARIOS = _load()


def test_every_situation_has_cases() -> None:
    assert len(EVAL_FILES) >= 12 and len(SCENARIOS) >= 150


@pytest.mark.parametrize("case", [c for _, c in SCENARIOS], ids=[name for name, _ in SCENARIOS])
def test_scenario(case: dict[str, Any]) -> None:
    decision = evaluate(
        case["request"],
        identity_policies=case["identity_policies"],
        resource_policy=case.get("resource_policy"),
        permissions_boundary=case.get("permissions_boundary"),
        session_policy=case.get("session_policy"),
    )
    assert decision.effect == case["expected"], decision.explain()
    if "decided_by" in case:
        assert [s.ref for s in decision.decided_by] == case["decided_by"], decision.explain()
    for phrase in case.get("explain_contains", []):
        assert phrase in decision.explain(), decision.explain()
