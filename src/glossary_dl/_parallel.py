"""When to run a compiled ``prange`` loop on one thread instead of all of them."""

from __future__ import annotations

from contextlib import contextmanager

import numba

# Below this much work (multiply-adds, or elements touched), waking the thread pool costs more
# than it saves: a small network trained step by step ran ~30× slower in parallel on a busy
# 2-core machine, so small calls run on the calling thread.
PARALLEL_MIN_WORK = 1 << 18


@contextmanager
def threads_for(work: int):
    """Run the block on numba's full thread count, or on one thread when ``work`` is small."""
    if work >= PARALLEL_MIN_WORK:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(previous)
