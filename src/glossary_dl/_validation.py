"""Input checks shared by every public function.

numba does no bounds checks and reports bad types as long typing tracebacks,
so every public function validates here, at the Python boundary, and the
compiled ``_*_loop`` functions can assume clean, contiguous float arrays.
Every message names the argument and says what was expected.
"""

from __future__ import annotations

import math
import numbers

import numba
import numpy as np
from numba import njit, prange

from glossary_dl._parallel import PARALLEL_MIN_WORK

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# The same two dtypes by their one-letter codes (and native byte order): cheaper tests than comparing
# dtypes, which a 32 × 10 call makes several times
_FLOAT_CHARS = "fd"
# False in the coverage run (NUMBA_DISABLE_JIT=1), where an element loop in Python would crawl
_COMPILED = not numba.config.DISABLE_JIT


def as_float_array(
    value,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    allow_empty: bool = False,
    finite: bool = True,
    dtype=None,
) -> np.ndarray:
    """Return ``value`` as a C-contiguous float32/float64 array, or raise.

    Python lists and tuples of numbers become float64 arrays. Integer, bool,
    complex and object arrays are refused rather than silently converted: the
    caller decides the precision. ``dtype`` forces a dtype (after the check).
    """
    # an array skips _as_array, and no ndim skips check_ndim: at 32 × 10 each call costs as much as a
    # scan of the array
    array = value if type(value) is np.ndarray else _as_array(value, name)
    given = array.dtype
    if given.char not in _FLOAT_CHARS or not given.isnative:
        if isinstance(value, (list, tuple)) and given.kind in "iub":
            array = array.astype(np.float64)
        else:
            raise TypeError(f"{name} must be a float32 or float64 array, got dtype {array.dtype}")
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if ndim is not None:
        check_ndim(array, name, ndim)
    if not allow_empty and array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    # contiguous first (a copy only for the rare strided or read-only input), so that a small
    # array's scan is one compiled call on the array itself
    array = for_the_loops(array)
    if finite:
        _check_finite_float(array, name)
    return array


def check_float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """Return a requested float dtype as ``numpy.dtype``, or raise ``TypeError``.

    ``None`` is refused (``numpy.dtype(None)`` would quietly mean float64), and so is a number.
    """
    expected = f"{name} must be float32 or float64 (a name, a numpy type or a numpy.dtype)"
    if dtype is None or isinstance(dtype, numbers.Number):
        raise TypeError(f"{expected}, got {dtype!r}")
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{expected}, got {dtype!r}") from None
    if resolved not in FLOAT_DTYPES:
        raise TypeError(f"{expected}, got {resolved}")
    return resolved


def as_label_array(value, name: str, *, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Return integer class labels as a contiguous int64 array, or raise.

    Floats holding whole numbers (as Keras' ``y_true`` often does) are accepted;
    fractional or non-finite values are refused.
    """
    array = _as_array(value, name)
    if array.dtype.kind in "iu":
        labels = array.astype(np.int64)
    elif array.dtype.kind == "f":
        check_finite(array, name)
        if not np.all(array == np.round(array)):
            raise ValueError(f"{name} must hold whole-number class labels, got fractional values")
        labels = array.astype(np.int64)
    else:
        raise TypeError(f"{name} must be an integer array of class labels, got dtype {array.dtype}")
    check_ndim(labels, name, ndim)
    if labels.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {labels.shape}")
    return for_the_loops(labels)


def check_ndim(array: np.ndarray, name: str, ndim) -> None:
    if ndim is None:
        return
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if array.ndim not in allowed:
        expected = " or ".join(str(n) for n in allowed)
        raise ValueError(f"{name} must have {expected} dimension(s), got shape {array.shape}")


def all_finite(array: np.ndarray) -> bool:
    """Whether every element is finite: ``np.all(np.isfinite(array))`` in one pass, no temporary."""
    if _COMPILED and array.dtype.char in _FLOAT_CHARS and array.dtype.isnative:
        flat = array.reshape(-1)  # a view when the array is contiguous
        if flat.size < PARALLEL_MIN_WORK:
            # a small array on the calling thread: waking the thread pool would cost 10–100× the sum
            return bool(_all_finite_loop(flat))
        return bool(_all_finite_parallel(flat, 4 * numba.get_num_threads()))
    # other dtypes, and plain Python (NUMBA_DISABLE_JIT=1), where an element loop would crawl
    return bool(np.all(np.isfinite(array)))


def check_finite(array: np.ndarray, name: str) -> None:
    if not all_finite(array):
        _refuse_non_finite(name)


def _check_finite_float(array: np.ndarray, name: str) -> None:
    """``check_finite`` for a C-contiguous float32/float64 array (``as_float_array``'s): no dtype tests again."""
    if _COMPILED and array.size < PARALLEL_MIN_WORK:
        # one compiled call, the flattening inside it: the Python steps around a 32 × 10 scan cost
        # more than the scan
        finite = _all_finite_contiguous(array)
    else:
        finite = all_finite(array)
    if not finite:
        _refuse_non_finite(name)


def _refuse_non_finite(name: str):
    raise ValueError(f"{name} must contain only finite values (no NaN or inf)")


@njit(cache=True, fastmath={"reassoc", "nsz"}, error_model="numpy")
def _all_finite_loop(flat):
    # x·0 is 0 for every finite x and NaN for ±inf and NaN, so the sum is 0 exactly when all
    # are finite; one read of the array and no temporary (np.isfinite writes a bool array).
    # Without the "nnan" flag the compiler may not fold x·0 to 0.
    # summed in the array's own dtype: a float64 sum of float32 values runs at half the SIMD width
    # (a fused check cost a float32 ReLU 60 % of its time)
    zero = flat.dtype.type(0.0)
    total = zero
    for i in range(flat.size):
        total += flat[i] * zero
    return total == zero


@njit(cache=True)
def _all_finite_contiguous(array):
    # any rank: a C-contiguous array flattens to a view
    return _all_finite_loop(array.reshape(array.size))


@njit(cache=True, parallel=True)
def _all_finite_parallel(flat, n_tasks):
    # the same sum over one slice per task, the tasks shared by every thread
    step = (flat.size + n_tasks - 1) // n_tasks
    finite = 0
    for task in prange(n_tasks):
        finite += _all_finite_loop(flat[task * step:(task + 1) * step])
    return finite == n_tasks


def checked_without_finiteness(check, *values):
    """``check(*values, finite=False)``: every check of today but the scan for NaN and inf.

    For a function whose result is NaN or infinite whenever an input is (see
    ``recheck_if_not_finite``). When this cheaper check fails, the full check
    runs, so that the same error as before wins (a NaN in ``x`` before a bad
    rank of ``y``).
    """
    try:
        # the plain-Python run (NUMBA_DISABLE_JIT=1) scans first: its loops would warn on NaN
        return check(*values, finite=not _COMPILED)
    except (TypeError, ValueError):
        check(*values, finite=True)
        raise


def recheck_if_not_finite(result, check, *values) -> None:
    """Run the full ``check(*values, finite=True)`` when ``result`` holds NaN or inf.

    Sound for sums of products (dot products, matrix products) computed without the
    "nnan"/"ninf" fast-math flags: a NaN or ±inf input reaches every sum it enters
    (inf·0 = NaN, inf − inf = NaN, NaN·y = NaN), so a finite result proves finite
    inputs, and the input scan (one read of every input) runs only on the rare
    non-finite result. A finite input that overflows passes the scan, as before.
    """
    if isinstance(result, np.ndarray) and result.ndim:
        # the product: a fresh C-contiguous float array
        small = _COMPILED and result.size < PARALLEL_MIN_WORK
        finite = _all_finite_contiguous(result) if small else all_finite(result)
    else:
        finite = math.isfinite(result)  # a scalar: a tenth of np.isfinite's cost
    if not finite:
        check(*values, finite=True)


def check_same_shape(a: np.ndarray, a_name: str, b: np.ndarray, b_name: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} and {b_name} must have the same shape, got {a.shape} and {b.shape}")


def all_within(array: np.ndarray, low, high) -> bool:
    """Whether ``low <= x <= high`` for every element: one pass, no temporary (not so ``np.any``'s two)."""
    flat = array.reshape(-1)
    if _COMPILED:
        return bool(_all_within_loop(flat, low, high))
    return bool(np.all((flat >= low) & (flat <= high)))


@njit(cache=True, error_model="numpy")
def _all_within_loop(flat, low, high):
    # count the values outside [low, high] rather than stop at the first: a loop without an early
    # exit is vectorised, and the inputs that reach here almost always pass
    outside = 0
    for i in range(flat.size):
        outside += (flat[i] < low) | (flat[i] > high)
    return outside == 0


def check_in_unit_interval(array: np.ndarray, name: str) -> None:
    if not all_within(array, 0.0, 1.0):
        raise ValueError(
            f"{name} must hold probabilities in [0, 1]; pass from_logits=True for raw scores"
        )


def check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_real(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return a hyper-parameter as a Python float inside the given interval, or raise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):  # a twentieth of np.isfinite's cost on a Python float
        raise ValueError(f"{name} must be finite, got {value}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        interval = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return value


def check_int(value, name: str, *, low: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return value


def for_the_loops(array: np.ndarray) -> np.ndarray:
    """``array`` itself when C-contiguous and writeable, else a C-contiguous copy.

    numba compiles one specialisation per array type, and a read-only array is
    another type: its loop may be vectorised differently and round differently
    in the last bit. A copy keeps one compiled loop, so one answer, per dtype.
    """
    # Not np.ascontiguousarray: it turns a 0-d array into shape (1,).
    flags = array.flags  # a new object at each access
    return array if flags.c_contiguous and flags.writeable else array.copy(order="C")


def _as_array(value, name: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple, numbers.Number)):
        try:
            array = np.asarray(value)
        except ValueError as error:  # ragged nested lists
            raise ValueError(f"{name} must be a rectangular array: {error}") from None
        if array.dtype == object:
            raise TypeError(f"{name} must hold numbers, got Python objects")
        return array
    raise TypeError(f"{name} must be a numpy array or a list of numbers, got {type(value).__name__}")
