"""The lab clock: fixed start, forward only, listeners on advance."""

from datetime import datetime, timedelta, timezone

import pytest

from labkit.sim.clock import DEFAULT_START, LabClock


def test_starts_at_a_fixed_instant_and_moves_only_when_told():
    clock = LabClock()
    assert clock.now() == DEFAULT_START == clock.now()
    assert clock.advance(days=7) == DEFAULT_START + timedelta(days=7)
    assert clock.time() == (DEFAULT_START + timedelta(days=7)).timestamp()


def test_refuses_naive_start_and_backwards_steps():
    with pytest.raises(ValueError):
        LabClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        LabClock().advance(-1)


def test_listeners_run_after_each_advance_with_the_new_time():
    clock, seen = LabClock(datetime(2026, 1, 1, tzinfo=timezone.utc)), []
    clock.on_advance(seen.append)
    clock.advance(60)
    clock.advance(hours=1)
    assert seen == [datetime(2026, 1, 1, 0, 1, tzinfo=timezone.utc), datetime(2026, 1, 1, 1, 1, tzinfo=timezone.utc)]
