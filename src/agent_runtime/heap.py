"""The garbage collector, set for a long-lived server once start-up is done."""

from __future__ import annotations

import gc

# With the default threshold (700 objects) the collector ran every other run on a first
# turn and 180 times per run on a thread's 100th (which allocates its whole decoded state),
# spending 0.2-1.2 ms of a run's CPU and 10-20 ms on each full pass, and found 32 objects of
# cyclic garbage in 1,000 runs: refcounting frees the rest. It runs once 50,000 more objects
# are alive than at its last pass.
_GC_THRESHOLDS = (50_000, 20, 20)


def settle_heap() -> None:
    """Freeze what start-up loaded and raise the collector's thresholds."""
    # What start-up loaded (modules, clients, graphs: some 400,000 objects) lives as long as
    # the process; frozen, the collector's full passes skip it instead of walking it for a
    # fifth of a second each time.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)
