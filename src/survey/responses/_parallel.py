"""Column work on the idle cores: results in order, so problems and scores do not depend on threads.

Checking and converting a column, or scoring a construct, is a few NumPy passes over long arrays,
and NumPy releases the GIL inside them: two columns on two cores take the time of one. The CSV
parser already reads on every core, so without this the work after the parse would run on one
core while the parse used all of them. On a busy machine (no idle core) it runs in the calling
thread, as a plain loop.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from .._threads import idle_cores

T = TypeVar("T")
R = TypeVar("R")

MIN_ROWS = 50_000
"""Below this many rows a thread costs more than it saves (and small files stay single-threaded)."""


def map_in_order(fn: Callable[[T], R], items: Iterable[T], rows: int) -> Iterator[R]:
    """``map(fn, items)``, on the idle cores when the columns have at least :data:`MIN_ROWS` rows.

    ``fn`` must not touch shared state: each call gets its own item and returns its own result.
    """
    workers = idle_cores() if rows >= MIN_ROWS else 1
    if workers == 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # the pool holds each item until its call ends, then lets it go (peak memory stays that of
        # the loop: a column's input is released once converted)
        yield from pool.map(fn, items)
