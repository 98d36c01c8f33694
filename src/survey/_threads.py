"""Threads for resampling loops: independent blocks on the usable cores, BLAS held to one thread.

A bootstrap is many small, independent matrix products. Letting BLAS split each product over its own
threads is fast on a quiet machine but slow on a busy one: the threads of one product wait for each
other at every step, and when another process holds a core they all wait (measured 4x slower on a
loaded 2-core box). Running whole blocks of resamples on separate Python threads (numpy releases
the GIL inside BLAS and bincount) while BLAS itself uses one thread has no such waits: a thread
that loses its core delays only its own block, and the queue hands the remaining blocks to the
threads that are running. The number of threads is the number of idle cores (usable cores less
the load average, at least one): a busy machine runs the one-thread loop, a quiet one uses every
core.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and ``taskset`` narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


_controller: tuple[int, object] | None = None


def _blas_controller():
    """threadpoolctl's view of the BLAS libraries loaded in this process. Finding them costs about
    8 ms, so it is kept, and found again only after an import (a library arrives with a module)."""
    global _controller
    loaded = len(sys.modules)
    if _controller is None or _controller[0] != loaded:
        from threadpoolctl import ThreadpoolController  # a dependency for exactly this

        _controller = (loaded, ThreadpoolController())
    return _controller[1]


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS (OpenBLAS, MKL, BLIS) limited to one thread inside the block, restored afterwards.

    The limit is process-wide while it holds: other threads of the process doing matrix products
    at the same time also run single-threaded.
    """
    with _blas_controller().limit(limits=1, user_api="blas"):
        yield


def idle_cores() -> int:
    """Usable cores not already busy: the usable cores less the 1-minute load average (at least 1).

    On a quiet machine that is every core; on a loaded one, one thread: extra threads there only
    queue behind the other processes and compete with each other for memory bandwidth.
    """
    cores = usable_cores()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this system
        return cores
    return max(1, min(cores, int(round(cores - load))))


def map_blocks(fn: Callable[[T], R], blocks: Iterable[T], workers: int | None = None) -> list[R]:
    """``[fn(b) for b in blocks]`` on up to ``workers`` threads (default: :func:`idle_cores`), BLAS
    at one thread; results in the order of ``blocks``, so the numbers do not depend on the threads.

    ``blocks`` is consumed lazily, at most two blocks per thread ahead of the work, so a generator
    that draws random numbers (in order, on the calling thread) overlaps with the work without
    holding every block in memory.
    """
    workers = idle_cores() if workers is None else max(1, int(workers))
    with one_blas_thread():
        if workers == 1:
            return [fn(b) for b in blocks]
        out: list[R] = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: deque[Future[R]] = deque()
            for b in blocks:
                pending.append(pool.submit(fn, b))
                while len(pending) > 2 * workers:
                    out.append(pending.popleft().result())
            out.extend(f.result() for f in pending)
        return out
