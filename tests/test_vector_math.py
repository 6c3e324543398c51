"""glossary_dl._vector_math: eˣ (x ≤ 0) against numpy.exp, erfc against math.erfc, ln(1 + e) against numpy.log1p.

The float32 forms (eˣ of a float64 x to float32 precision; the Gaussian tails Φ(−|x|), and Φ(x) + x·φ(x)
through its root) against numpy.exp, math.erfc and math.exp, in float32 ulp.

Every representable input class of the domain is covered: 0, tiny, moderate and large
negative numbers, the last inputs with a normal result, the first flushed to zero, NaN.
The bound is in units in the last place (ulp) of the reference's result.
"""

import math

import numpy as np
import pytest
from numba import njit

from glossary_dl._vector_math import (
    erfc_real,
    exp_nonpositive,
    exp_nonpositive32,
    log1p_unit,
    mills_gap32,
    normal_tail32,
    tanh_real,
)

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


def _compiled_pair(function):
    """``x ↦ ([function(x_i)[0]], [function(x_i)[1]])`` for a function returning two values."""
    @njit
    def loop(x, first, second):
        for i in range(x.size):
            first[i], second[i] = function(x[i])

    def apply(x):
        first, second = np.empty_like(x), np.empty_like(x)
        loop(x, first, second)
        return first, second

    return apply


def _float32_ulp(value):
    """The spacing of float32 numbers at ``value``, continued below the normal range (a relative measure)."""
    return 2.0 ** (np.floor(np.log2(np.abs(value))) - 23)


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_tanh_real_within_a_few_ulp_of_numpy_in_the_arithmetic_of_its_argument(dtype):
    """float32 in float32 arithmetic (its series below |x| = 0.55; 2.5 ulp measured), float64 in float64
    (8 ulp: just above |x| = 0.05, e^{−2u} − 1 loses three bits; 7 measured)."""
    rng = np.random.default_rng(0)
    series_end = {np.float32: 0.55, np.float64: 0.05}[dtype]
    edges = [series_end, np.nextafter(series_end, 0.0), 1e-30, 0.0, 9.0, 20.0, 400.0]
    x = np.concatenate([np.linspace(-20.0, 20.0, 400_001), rng.standard_normal(100_000) * 0.3,
                        edges, np.negative(edges)]).astype(dtype)
    ours, reference = _compiled_map(tanh_real)(x), np.tanh(x.astype(np.float64))
    assert ours.dtype == dtype
    ulp = np.abs(ours - reference) / np.spacing(np.abs(reference).astype(dtype))
    assert ulp.max() <= {np.float32: 3, np.float64: 8}[dtype], ulp.max()
    assert np.all(np.sign(ours) == np.sign(x))  # odd


def test_exp_nonpositive32_within_1_5_float32_ulp_of_numpy():
    """eˣ of a float64 x ≤ 0 in float32 arithmetic, within 1.5 float32 ulp (measured: 0.9), subnormal range included."""
    rng = np.random.default_rng(0)
    x = -np.concatenate([np.linspace(0.0, 103.2, 400_001), rng.exponential(10.0, 100_000) % 103.2,
                         np.logspace(-30, 0, 1_000), [87.336, 87.337, 100.0, 103.2]])
    ours = _compiled_map(exp_nonpositive32)(x)
    assert ours.dtype == np.float64
    reference = np.exp(x)
    # float32's 24 bits even below its normal range (down to 2^-149): the result is a float64
    ulp = np.abs(ours - reference) / _float32_ulp(reference)
    assert ulp.max() <= 1.5, ulp.max()
    normal = reference >= np.finfo(np.float32).tiny
    assert np.all(ours[normal] == ours[normal].astype(np.float32))  # float32 values where float32 has them
    edges = _compiled_map(exp_nonpositive32)(np.array([0.0, -103.98, -104.0, -1e300, -np.inf, np.nan]))
    assert edges[0] == 1.0  # e⁰ = 1 exactly
    np.testing.assert_array_equal(edges[1:5], 0.0)  # below 2^-150
    assert np.isnan(edges[5])


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


def _float32_line(rng):
    """float32 values over the whole line: dense to |x| = 14, random, tiny and huge, the flush edges."""
    return np.concatenate([
        np.linspace(-14.0, 14.0, 280_001), rng.standard_normal(100_000) * 4.0,
        np.logspace(-30, 1.2, 1_000), -np.logspace(-30, 1.2, 1_000),
        [0.0, -0.0, 12.95, 13.15, 13.19, 13.2, 13.34, 13.4, 13.5, 40.0, 3e38, -3e38],
    ]).astype(np.float32)


def test_normal_tail32_within_4_ulp_of_the_c_library():
    """Φ(−|x|) = s·e in float32 arithmetic, within 4 ulp of ½·math.erfc(|x|/√2) (measured: 3.3)."""
    x = _float32_line(np.random.default_rng(0))
    s, e = _compiled_pair(normal_tail32)(x)
    assert s.dtype == e.dtype == np.float32
    reference = np.array([0.5 * math.erfc(abs(float(value)) / math.sqrt(2.0)) for value in x])
    # the factors' product in float64 (exact): their own errors, wherever e is not flushed
    kept = e > 0.0
    ulp = np.abs(s[kept].astype(np.float64) * e[kept] - reference[kept]) / _float32_ulp(reference[kept])
    assert ulp.max() <= 4, ulp.max()
    # e is flushed to 0 only where x·Φ(−|x|) is below float32's normal range (|x| > 13.15)
    assert np.all(np.abs(x[~kept]) > 13.15)
    assert np.all(x[~kept].astype(np.float64) * reference[~kept] > -np.finfo(np.float32).tiny)
    zero = x == 0.0
    assert np.all(s[zero] == 0.5) and np.all(e[zero] == 1.0)  # Φ(0) = ½ exactly
    assert np.isnan(_compiled_pair(normal_tail32)(np.array([np.nan], np.float32))[0][0])


def test_mills_gap32_gives_the_gelu_slope_within_4_ulp_through_its_root():
    """Φ(x) + x·φ(x) = d·j (x < 0), 1 − d·j (x ≥ 0), within 4 ulp of math.erfc and math.exp (measured: 3.3).

    The sum cancels near its root x ≈ −0.7518 (every digit there); the factored form keeps the
    relative accuracy, so the float32 values next to the root are checked too.
    """
    root = -0.75179152469356445746
    near_root = np.float32(root) + np.arange(-2000, 2001) * np.spacing(np.float32(root))
    x = np.concatenate([_float32_line(np.random.default_rng(0)), near_root.astype(np.float32),
                        np.linspace(-0.8, -0.7, 100_001, dtype=np.float32)])
    d, j = _compiled_pair(mills_gap32)(x)
    assert d.dtype == j.dtype == np.float32
    product = d.astype(np.float64) * j
    ours = np.where(x < 0.0, product, 1.0 - product)
    x64 = x.astype(np.float64)
    reference = np.array([0.5 * math.erfc(-value / math.sqrt(2.0)) + value * math.exp(-0.5 * value * value)
                          / math.sqrt(2.0 * math.pi) for value in x64])
    normal = np.abs(reference) >= np.finfo(np.float32).tiny
    ulp = np.abs(ours[normal] - reference[normal]) / _float32_ulp(reference[normal])
    assert ulp.max() <= 4, ulp.max()
    # d is flushed to 0 only where the slope is below float32's normal range (|x| > 13.34)
    assert np.all(np.abs(x[d == 0.0]) > 13.34)
    side = normal & (x < 0.0)
    assert np.all(np.sign(ours[side]) == np.sign(reference[side]))  # each side of the root
    assert np.isnan(_compiled_pair(mills_gap32)(np.array([np.nan], np.float32))[1][0])
