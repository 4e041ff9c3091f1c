"""Pause the cyclic garbage collector while building large acyclic structures (inventories, plans)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, restoring its previous state after.

    Loading or planning 100,000 workloads allocates millions of long-lived container objects; each one
    counts toward the collector's thresholds, so it runs full passes over a growing heap again and again
    (measured: 4x the load time, 30x the plan time). Nothing built here forms reference cycles, so
    reference counting frees all of it; the collector gets its turn once the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
