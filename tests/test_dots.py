"""glossary_dl._dots, the register-tiled C = A·Bᵀ behind the dense layers and the Gram matrices.

The tile reorders the sums (it vectorises over k), so it is compared with NumPy's BLAS through
a bound on the rounding of a sum: |ours − ref| ≤ c · ε · Σ_k |a_ik||b_jk|, with ε the unit
roundoff of the dtype of the sums and c = 4 · depth (a loose, provable bound for any order).
Shapes cover full 4 × 4 tiles, leftover rows and columns, depth 1, and depths shorter and
longer than one SIMD register.
"""

import numba
import numpy as np
import pytest

from glossary_dl._dots import _block_dots, _dots_loop, _weighted_rows_loop
from glossary_dl._parallel import PARALLEL_MIN_WORK, threads_for

SHAPES = [(1, 1, 1), (4, 4, 4), (5, 7, 3), (8, 16, 12), (13, 33, 9), (128, 64, 10), (3, 200, 6)]


def _assert_rounding_bound(ours, a, b, acc_dtype):
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    exact = a64 @ b64.T
    bound = 4 * a.shape[1] * np.finfo(acc_dtype).eps * (np.abs(a64) @ np.abs(b64).T)
    assert np.all(np.abs(ours.astype(np.float64) - exact) <= bound + np.finfo(acc_dtype).tiny)


@pytest.mark.parametrize("shape", SHAPES, ids=[f"{m}x{k}x{n}" for m, k, n in SHAPES])
def test_dots_loop_matches_the_product_within_the_rounding_bound(shape, dtype, rng):
    m, k, n = shape
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((n, k)).astype(dtype)
    c = np.full((m, n), np.nan, dtype=dtype)
    _dots_loop(a, b, c)
    assert not np.isnan(c).any()  # every entry written, the leftover rows and columns too
    _assert_rounding_bound(c, a, b, dtype)


def test_block_dots_sums_float32_rows_in_float64_from_the_start_column(rng):
    a = rng.standard_normal((9, 40)).astype(np.float32)
    b = rng.standard_normal((11, 40)).astype(np.float32)
    out = np.full((4, 11), -1.0)
    _block_dots(a, b, 4, 0, 3, out)
    np.testing.assert_array_equal(out[:, :3], -1.0)  # columns before j_start are left alone
    exact = a[4:8].astype(np.float64) @ b[3:].astype(np.float64).T
    # float32 products are exact in float64, so only the float64 sums round
    np.testing.assert_allclose(out[:, 3:], exact, rtol=0, atol=1e-12)


def test_dots_loop_propagates_nan_and_inf(rng):
    a = rng.standard_normal((8, 20))
    b = rng.standard_normal((8, 20))
    a[1, 5] = np.nan
    b[6, 0] = np.inf
    c = np.empty((8, 8))
    _dots_loop(a, b, c)
    assert np.isnan(c[1]).all()  # no fast-math flag lets the compiler assume NaN away
    column = np.delete(c[:, 6], 1)
    assert np.isinf(column).all()


def test_dots_loop_same_result_on_one_thread_and_all(rng):
    a = rng.standard_normal((64, 300)).astype(np.float32)
    b = rng.standard_normal((48, 300)).astype(np.float32)
    parallel = np.empty((64, 48), np.float32)
    _dots_loop(a, b, parallel)
    serial = np.empty_like(parallel)
    with threads_for(0):
        assert numba.get_num_threads() == 1
        _dots_loop(a, b, serial)
    np.testing.assert_array_equal(parallel, serial)  # each entry is summed by one thread alone


# (loop, left operand's shape, right operand's shape): the right one is bᵀ for _dots_loop, the rows
# for _weighted_rows_loop; 8 rows of the left operand are below PARALLEL_MIN_WORK, all of them above
SMALL_AND_LARGE = [(_dots_loop, (64, 300), (48, 300), 48), (_weighted_rows_loop, (4000, 10), (10, 70), 70)]


@pytest.mark.parametrize("loop, left, right, n_cols", SMALL_AND_LARGE, ids=["dots", "weighted_rows"])
def test_small_products_stay_on_the_calling_thread_with_the_same_sums(loop, left, right, n_cols, rng, dtype):
    """Below PARALLEL_MIN_WORK the loops run their tasks in a plain loop (no parallel launch); each
    entry is still summed by the same code, so a small product equals the same rows of a large one."""
    a = rng.standard_normal(left).astype(dtype)
    b = rng.standard_normal(right).astype(dtype)
    assert 8 * n_cols * left[1] < PARALLEL_MIN_WORK <= left[0] * n_cols * left[1]
    large, small = np.empty((left[0], n_cols), dtype), np.empty((8, n_cols), dtype)
    loop(a, b, large)
    loop(a[:8], b, small)
    np.testing.assert_array_equal(small, large[:8])


def test_threads_for_restores_the_thread_count():
    before = numba.get_num_threads()
    with threads_for(PARALLEL_MIN_WORK - 1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with threads_for(PARALLEL_MIN_WORK):
        assert numba.get_num_threads() == before
    with pytest.raises(ZeroDivisionError), threads_for(0):
        1 / 0  # an error inside the block still restores the count
    assert numba.get_num_threads() == before


@pytest.mark.parametrize("n_cols", [1, 63, 64, 65, 200])  # panels of 64 columns and their edges
def test_dots_loop_every_panel_and_block_is_written(n_cols, rng):
    a = rng.standard_normal((9, 17)).astype(np.float32)
    b = rng.standard_normal((n_cols, 17)).astype(np.float32)
    c = np.full((9, n_cols), np.nan, dtype=np.float32)
    _dots_loop(a, b, c)
    assert not np.isnan(c).any()
    _assert_rounding_bound(c, a, b, np.float32)


def test_weighted_rows_loop_is_the_short_product(rng, dtype):
    weights = rng.standard_normal((37, 10)).astype(dtype)
    rows = rng.standard_normal((10, 70)).astype(dtype)
    out = np.full((37, 70), np.nan, dtype=dtype)
    _weighted_rows_loop(weights, rows, out)
    _assert_rounding_bound(out, weights, np.ascontiguousarray(rows.T), dtype)
