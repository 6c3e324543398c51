"""When to run a compiled ``prange`` loop on one thread instead of all of them."""

from __future__ import annotations

import numba

# Below this much work (multiply-adds, or elements touched), waking the thread pool costs more
# than it saves: a small network trained step by step ran ~30× slower in parallel on a busy
# 2-core machine, so small calls run on the calling thread.
PARALLEL_MIN_WORK = 1 << 18


class threads_for:
    """Run the block on numba's full thread count, or on one thread when ``work`` is small.

    A class rather than a ``contextmanager`` generator, and no thread-count change when there is
    nothing to change: at 32 × 10 the generator and the two ``set_num_threads`` cost more than
    the loop they wrap.
    """

    __slots__ = ("_work", "_previous")

    def __init__(self, work: int):
        self._work = work
        self._previous = 0

    def __enter__(self):
        if self._work < PARALLEL_MIN_WORK:
            get_threads, set_threads = _thread_count_functions()
            previous = get_threads()
            if previous != 1:
                set_threads(1)
                self._previous = previous

    def __exit__(self, *exc_info):
        if self._previous:
            _thread_count_functions()[1](self._previous)
        return False


_THREAD_COUNT_FUNCTIONS = []


def _thread_count_functions():
    """numba's thread-count getter and setter without their per-call checks.

    0.13 and 0.34 µs a call instead of 0.75 and 1.1 µs.

    The public ``numba.get_num_threads`` launches the pool (once) and checks the count; the
    counts set here are 1 and one numba itself returned, so the setter's range check cannot
    fail. numba without these names falls back to the public functions.
    """
    if not _THREAD_COUNT_FUNCTIONS:
        numba.get_num_threads()  # launches the thread pool, once
        pool = getattr(getattr(numba.np, "ufunc", None), "parallel", None)
        raw = (getattr(pool, "_get_num_threads", None), getattr(pool, "_set_num_threads", None))
        public = (numba.get_num_threads, numba.set_num_threads)
        _THREAD_COUNT_FUNCTIONS.extend(raw if None not in raw else public)
    return _THREAD_COUNT_FUNCTIONS
