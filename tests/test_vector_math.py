"""glossary_dl._vector_math: eˣ (x ≤ 0) against numpy.exp, erfc against math.erfc, ln(1 + e) against numpy.log1p.

Every representable input class of the domain is covered: 0, tiny, moderate and large
negative numbers, the last inputs with a normal result, the first flushed to zero, NaN.
The bound is in units in the last place (ulp) of the reference's result.
"""

import math

import numpy as np
import pytest
from numba import njit

from glossary_dl._vector_math import erfc_real, exp_nonpositive, log1p_unit

MAX_ULP = {np.float32: 3, np.float64: 1}


def _compiled_map(function):
    """``x ↦ [function(x_i)]``, with ``function`` called from a compiled loop, as the package's loops do."""
    @njit
    def loop(x, out):
        for i in range(x.size):
            out[i] = function(x[i])

    def apply(x):
        out = np.empty_like(x)
        loop(x, out)
        return out

    return apply


_ours = _compiled_map(exp_nonpositive)


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


def test_erfc_real_within_8_ulp_of_the_c_library():
    """erfc as a polynomial and exp_nonpositive's arithmetic, within 8 ulp of math.erfc (measured: 6)."""
    rng = np.random.default_rng(0)
    x = np.concatenate([
        np.linspace(-6.0, 27.0, 330_001),
        rng.standard_normal(100_000) * 4.0,
        np.logspace(-30, 1, 1_000), -np.logspace(-30, 1, 1_000),
        [0.0, 26.5, 26.54, 26.6, 27.0, 40.0, 1e300, -1e300, -40.0],
    ])
    ours = _compiled_map(erfc_real)(x)
    reference = np.array([math.erfc(value) for value in x])
    normal = reference >= np.finfo(np.float64).tiny
    ulp = np.abs(ours[normal] - reference[normal]) / np.spacing(reference[normal])
    assert ulp.max() <= 8, ulp.max()
    # erfc u below the smallest normal (u > 26.55): e^{−u²} is flushed to 0 (as exp_nonpositive
    # does), so only an absolute bound holds there
    assert np.all(np.abs(ours[~normal] - reference[~normal]) < np.finfo(np.float64).tiny)
    assert np.all(ours[x > 26.6] == 0.0)
    assert ours[x == 0.0][0] == 1.0  # so that Φ(0) = ½ exactly


def test_log1p_unit_within_8_ulp_of_numpy_on_its_domain():
    """ln(1 + e) for e ∈ [0, 1] (what ln(1 + e^{−|z|}) needs), within 8 ulp of numpy.log1p (measured: 5)."""
    rng = np.random.default_rng(0)
    e = np.concatenate([np.linspace(0.0, 1.0, 200_001), np.logspace(-300, 0, 10_000), rng.random(100_000) ** 8,
                        [5e-324, np.finfo(np.float64).tiny]])
    ours = _compiled_map(log1p_unit)(e)
    reference = np.log1p(e)
    positive = reference > 0.0
    ulp = np.abs(ours[positive] - reference[positive]) / np.spacing(reference[positive])
    assert ulp.max() <= 8, ulp.max()
    assert np.all(ours[~positive] == 0.0)
