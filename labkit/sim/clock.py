"""The lab clock: deterministic time that moves only when the lab says so.

Token expiry, key rotation, the agent's cache and eventual consistency all read this clock, so a notebook
can jump seven days ahead without sleeping and print the same output on every run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

DEFAULT_START = datetime(2026, 1, 15, 9, 0, 0, tzinfo=timezone.utc)


class LabClock:
    """A UTC clock that starts at a fixed instant and advances only by `advance` (or `tick`)."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            raise ValueError("the lab clock needs a timezone-aware start (UTC)")
        self._now = start.astimezone(timezone.utc)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        """The current lab time (UTC, timezone-aware)."""
        with self._lock:
            return self._now

    def time(self) -> float:
        """The current lab time as a POSIX timestamp, like `time.time()`."""
        return self.now().timestamp()

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move the clock forward (``advance(3600)`` or ``advance(days=7)``); returns the new time."""
        step = timedelta(seconds=seconds, **delta)
        if step < timedelta(0):
            raise ValueError("the lab clock only moves forward")
        with self._lock:
            self._now += step
            now = self._now
        for listener in list(self._listeners):
            listener(now)  # kubelets refresh tokens, agents renew caches, ... in registration order
        return now

    def on_advance(self, listener: Callable[[datetime], None]) -> None:
        """Call ``listener(now)`` after every `advance` (time-driven work without threads or sleeps)."""
        self._listeners.append(listener)

    def __repr__(self) -> str:
        return f"<LabClock {self.now().isoformat()}>"
