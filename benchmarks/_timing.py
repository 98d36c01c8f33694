"""Timing shared by the benchmark scripts (run as `python benchmarks/bench_*.py`)."""
from __future__ import annotations

import time


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    """The fastest of ``repeat`` calls (seconds) and the last result: the minimum is the least
    disturbed by other work on a shared machine."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out
