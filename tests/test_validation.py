"""glossary_dl._validation: the one-pass finite check and the one dtype check every public function uses."""

import numpy as np
import pytest

from glossary_dl import initializers
from glossary_dl._validation import (
    _all_finite_loop,
    _all_within_loop,
    all_within,
    as_float_array,
    as_label_array,
    check_finite,
    check_float_dtype,
)
from glossary_dl.backprop import DenseNetwork
from glossary_dl.layers import Dense
from glossary_dl.normalization import BatchNormalization


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("size", [1, 7, 1_000_003])  # one thread and all threads
def test_check_finite_refuses_any_nan_or_inf(bad, size, dtype):
    x = np.zeros(size, dtype=dtype)
    x[size // 2] = bad
    with pytest.raises(ValueError, match="x must contain only finite values"):
        check_finite(x, "x")


@pytest.mark.parametrize("size", [1, 1_000_003])
def test_check_finite_accepts_huge_values_whose_sum_overflows(size, dtype):
    x = np.full(size, np.finfo(dtype).max, dtype=dtype)
    x[0] = -np.finfo(dtype).max
    check_finite(x, "x")  # each value is finite, although Σx overflows


def test_check_finite_on_views_and_other_dtypes(dtype):
    x = np.ones((6, 8), dtype=dtype)[:, ::2]  # not contiguous
    check_finite(x, "x")
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match="y must contain only finite values"):
        check_finite(x, "y")
    check_finite(np.arange(5), "labels")  # integers are always finite
    with pytest.raises(ValueError):
        check_finite(np.array([1.0, np.inf], dtype=np.float16), "half")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, None])
def test_all_finite_loop_sums_x_times_zero(bad, dtype):
    x = np.full(1000, np.finfo(dtype).max, dtype=dtype)
    if bad is not None:
        x[500] = bad
    assert _all_finite_loop(x) == (bad is None)


def test_the_loops_get_one_array_type_whatever_the_input_layout(dtype):
    """Read-only or strided inputs reach the compiled loops as C-contiguous writeable copies.

    numba would compile another specialisation for them, which may round differently.
    """
    base = np.arange(12, dtype=dtype).reshape(3, 4)
    assert as_float_array(base, "x") is base  # nothing to do: no copy
    readonly = base.copy()
    readonly.flags.writeable = False
    for given in (readonly, base[:, ::2], base.T):
        got = as_float_array(given, "x")
        assert got.flags.c_contiguous and got.flags.writeable and not np.shares_memory(got, base)
        np.testing.assert_array_equal(got, given)
    labels = np.arange(4)
    labels.flags.writeable = False
    assert as_label_array(labels, "y").flags.writeable


# Every constructor that takes a dtype (DenseNetwork, BatchNormalization.build, Dense, the
# initializers) asks this one helper, so one message and one rule (None refused) everywhere.
@pytest.mark.parametrize("requested", ["float32", np.float32, np.dtype("float64"), "f8"])
def test_check_float_dtype_accepts_float32_and_float64_in_any_spelling(requested):
    assert check_float_dtype(requested) == np.dtype(requested)


@pytest.mark.parametrize("bad, shown", [(None, "None"), (3, "3"), ("int32", "int32"), (np.float16, "float16"),
                                        ("nonsense", "'nonsense'"), (complex, "complex128")])
def test_check_float_dtype_refuses_the_rest_with_one_message(bad, shown):
    with pytest.raises(TypeError, match=r"^dtype must be float32 or float64 \(a name, a numpy type or a "
                                        rf"numpy\.dtype\), got {shown}$"):
        check_float_dtype(bad)


@pytest.mark.parametrize("make", [
    lambda dt: DenseNetwork([3, 2], dtype=dt),
    lambda dt: BatchNormalization().build(2, dtype=dt),
    lambda dt: Dense(2, dtype=dt),
    lambda dt: initializers.glorot_uniform((2, 3), dtype=dt),
], ids=["DenseNetwork", "BatchNormalization.build", "Dense", "glorot_uniform"])
def test_every_dtype_argument_refuses_none(make):
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        make(None)


@pytest.mark.parametrize("values, low, high, inside", [
    (np.array([0.0, 0.5, 1.0]), 0.0, 1.0, True),  # the bounds themselves are inside
    (np.array([0.0, 1.0 + 1e-12]), 0.0, 1.0, False),
    (np.array([[0.2], [-1e-300]]), 0.0, 1.0, False),
    (np.arange(10), 0, 9, True),  # class labels
    (np.arange(11), 0, 9, False),
    (np.array([-1, 3]), 0, 9, False),
])
def test_all_within_is_one_pass_of_both_comparisons(values, low, high, inside):
    assert all_within(values, low, high) is inside
    assert bool(_all_within_loop(values.reshape(-1), low, high)) is inside
    assert inside == bool(np.all((values >= low) & (values <= high)))
