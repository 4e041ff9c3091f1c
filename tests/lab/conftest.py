"""Fixtures for lab tests: one Lab per test module (a Lab starts in well under a second)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit.sim import Lab

# The tests import their helpers (lab_helpers) by name, whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab(seed=0) as running:
        yield running
