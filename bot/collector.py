"""Python's cyclic garbage collector, tuned for a long-running, allocation-heavy event loop."""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations (net of frees) between collections of the youngest generation (Python: 700).

Each event allocates thousands of short-lived objects (events, rows, actions) that reference
counting frees at once; with the default, the collector scanned the young objects every few
events and the whole heap every few thousand, ~4% of a replay's time."""
OLDER_THRESHOLD = 20
"""Young collections per middle one, and middle ones per full collection (Python: 10)."""


def tune_collector() -> None:
    """Leave what exists now (start-up objects) out of the collector's scans, and collect less
    often. Call once, when start-up is done (the runtime, `circlebot replay`)."""
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
