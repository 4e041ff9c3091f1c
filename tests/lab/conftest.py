"""Fixtures for lab tests: one Lab per test module (a Lab starts in well under a second)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.sim import Lab


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab(seed=0) as running:
        yield running
