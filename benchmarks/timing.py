"""Interleaved timing, thread control and the equality check every workload runs first.

Every workload hands a dict of zero-argument callables (ours, numpy, torch, …) to
`interleaved`. They run in turn, round after round, in one process, so that a
slow spell of a shared machine hits all of them alike; only medians and their
ratios are reported, never a single measurement.
"""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager

import numpy as np


@contextmanager
def threads(count: int):
    """numba, torch and numpy's BLAS all use ``count`` threads inside the block."""
    import numba
    import torch
    from threadpoolctl import threadpool_limits

    previous = numba.get_num_threads(), torch.get_num_threads()
    numba.set_num_threads(count)
    torch.set_num_threads(count)
    try:
        with threadpool_limits(limits=count):
            yield
    finally:
        numba.set_num_threads(previous[0])
        torch.set_num_threads(previous[1])


def interleaved(candidates: dict, repeats: int, warmup: int = 1) -> dict[str, dict]:
    """Time each callable ``repeats`` times, round-robin, after ``warmup`` untimed rounds."""
    for _ in range(warmup):
        for run in candidates.values():
            run()
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, run in candidates.items():
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
    return {name: summary(values) for name, values in samples.items()}


def summary(values: list[float]) -> dict:
    """Median and quartiles of seconds; the quartiles show how noisy the machine was."""
    ordered = sorted(values)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {
        "median_s": statistics.median(ordered),
        "q1_s": q1,
        "q3_s": q3,
        "repeats": len(ordered),
        "samples_s": values,
    }


def check_same(results: dict[str, object], reference: str, rtol: float, atol: float, what: str) -> dict:
    """Assert that every candidate's result equals the reference one; return the stated check.

    A benchmark must never compare different computations, so a mismatch stops the run.
    """
    expected = results[reference]
    for name, actual in results.items():
        for i, (want, got) in enumerate(zip(_as_tuple(expected), _as_tuple(actual))):
            np.testing.assert_allclose(
                np.asarray(got), np.asarray(want), rtol=rtol, atol=atol,
                err_msg=f"{what}: {name} differs from {reference} (output {i})",
            )
    return {"what": what, "against": reference, "rtol": rtol, "atol": atol, "passed": True}


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def ratio(numerator: dict, denominator: dict) -> float:
    return numerator["median_s"] / denominator["median_s"]
