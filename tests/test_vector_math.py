"""glossary_dl._vector_math.exp_nonpositive, the vectorisable eˣ (x ≤ 0), against numpy.exp.

Every representable input class of the domain is covered: 0, tiny, moderate and large
negative numbers, the last inputs with a normal result, the first flushed to zero, NaN.
The bound is in units in the last place (ulp) of numpy's result.
"""

import numpy as np
import pytest
from numba import njit

from glossary_dl._vector_math import exp_nonpositive

MAX_ULP = {np.float32: 3, np.float64: 1}


@njit(cache=True)
def _exp_all(x, out):
    for i in range(x.size):
        out[i] = exp_nonpositive(x[i])


def _ours(x):
    out = np.empty_like(x)
    _exp_all(x, out)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_exp_nonpositive_within_a_few_ulp_of_numpy(dtype):
    rng = np.random.default_rng(0)
    lowest_normal = np.log(np.finfo(dtype).tiny)
    x = -np.concatenate([
        np.linspace(0.0, -lowest_normal, 200_001),
        rng.exponential(3.0, 100_000),
        np.logspace(-30, 0, 1_000),
    ]).astype(dtype)
    x = x[x >= lowest_normal]
    ours, reference = _ours(x), np.exp(x)
    normal = reference >= np.finfo(dtype).tiny
    ulp = np.abs(ours[normal].astype(np.float64) - reference[normal]) / np.spacing(reference[normal])
    assert ulp.max() <= MAX_ULP[dtype]
    assert ours.dtype == dtype
    assert _ours(np.array([0.0], dtype))[0] == 1.0  # e⁰ = 1 exactly


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_exp_nonpositive_flushes_subnormal_results_and_keeps_nan(dtype):
    lowest_normal = np.log(np.finfo(dtype).tiny)
    x = np.array([lowest_normal - 0.01, -1000.0, -np.inf, np.nan], dtype=dtype)
    out = _ours(x)
    np.testing.assert_array_equal(out[:3], 0.0)  # e^x < smallest normal: flushed to 0
    assert np.isnan(out[3])
