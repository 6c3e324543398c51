r"""Tensors and the tensor operations of chapter 2, written as explicit loops.

A tensor here is a NumPy array of float32 or float64 numbers; its rank is
its number of axes (``x.ndim``) and its shape the length of each axis. Every
operation below is checked against the NumPy expression named in its
docstring. The compiled loops see every tensor as its flat, row-major (C
order) sequence of elements plus an integer array of its shape, so one
compiled version per dtype serves every rank; the index arithmetic that NumPy
hides (broadcast strides, the axis permutation of a transpose, the position
kept by a reshape) is spelled out in them.

Unlike NumPy, which returns views where it can, ``reshape``, ``transpose`` and
the channel-order helpers always return a new C-contiguous array.
``iter_batches`` is the exception: it yields views, as slicing does.
"""

from __future__ import annotations

import functools
import math
import numbers

import numba
import numpy as np
from numba import njit, prange

from glossary_dl._copies import (
    STREAM_MIN_BYTES,
    _batched_transpose_loop,
    _batched_transpose_parallel,
    _copy_loop,
    _copy_parallel,
)
from glossary_dl._dots import _FASTMATH, _dots_loop
from glossary_dl._dots import _transposed as _matrix_transposed
from glossary_dl._parallel import PARALLEL_MIN_WORK
from glossary_dl._validation import (
    _all_finite_loop,
    _check_finite_float,
    all_finite,
    as_float_array,
    check_bool,
    check_int,
    check_same_shape,
    checked_without_finiteness,
    recheck_if_not_finite,
)
from glossary_dl.activations import relu

__all__ = [
    "elementwise_relu",
    "elementwise_add",
    "broadcast_add",
    "vector_dot",
    "matrix_vector_dot",
    "matrix_dot",
    "reshape",
    "transpose",
    "iter_batches",
    "channels_last_to_first",
    "channels_first_to_last",
]


# ---------------------------------------------------------------- validation
def _tensor(value, name: str, *, finite: bool = True) -> np.ndarray:
    """A C-contiguous, writeable float32/float64 array of any rank (rank 0 included)."""
    array = as_float_array(value, name, finite=finite)
    # numba compiles a separate version for read-only arrays; a copy keeps one per dtype
    return array if array.flags.writeable else array.copy()


def _result_dtype(x_value, x: np.ndarray, y_value, y: np.ndarray) -> np.dtype:
    """NumPy's promotion: float32 with float64 gives float64; a Python float adapts (NEP 50)."""
    x_source = x_value if isinstance(x_value, (np.ndarray, np.generic, float)) else x
    y_source = y_value if isinstance(y_value, (np.ndarray, np.generic, float)) else y
    return np.result_type(x_source, y_source)


def _pair(x_value, y_value, *, finite: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Both operands validated and cast to their common float dtype."""
    return _named_pair(x_value, "x", y_value, "y", finite=finite)


def _check_rank(array: np.ndarray, name: str, rank: int, what: str) -> None:
    if array.ndim != rank:
        raise ValueError(f"{name} must be a {what} (rank {rank}), got shape {array.shape} (rank {array.ndim})")


def _shape_array(shape: tuple[int, ...]) -> np.ndarray:
    return np.array(shape, dtype=np.int64)


# ---------------------------------------------------------------- element-wise
# --8<-- [start:elementwise_loops]
@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _add_loop(x, y, out):
    for p in range(x.size):
        # out_p ← x_p + y_p   (same shape: position p means the same index in all three)
        out[p] = x[p] + y[p]
# --8<-- [end:elementwise_loops]


def elementwise_relu(x):
    r"""The rectified linear unit applied to every entry of a tensor, $\max(x, 0)$.

    Equals ``np.maximum(x, 0.0)``. It is the one ReLU of the package,
    ``glossary_dl.activations.relu`` (with its gradient ``relu_grad``), under the name of the
    element-wise operation as chapter 2 writes it, a loop over every entry.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        The tensor $x$, of any rank (a 0-d array is a scalar).

    Returns
    -------
    ndarray
        $\max(x, 0)$ with the shape and dtype of ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a float array (integer, bool, complex or object arrays are refused).
    ValueError
        If ``x`` is empty or holds NaN or infinite values.

    Notes
    -----
    For every index $(i_1, \dots, i_n)$ of $x$,

    $$
    \operatorname{relu}(x)_{i_1 \dots i_n} = \max(x_{i_1 \dots i_n}, 0).
    $$
    """
    return relu(x)  # the one ReLU loop, glossary_dl.activations.relu


def elementwise_add(x, y):
    r"""Add two tensors of the same shape, entry by entry.

    Equals ``x + y`` when the shapes are equal; for shapes that differ, use
    ``broadcast_add``. Mixing float32 and float64 gives float64, as in NumPy.

    Parameters
    ----------
    x, y : array_like of float32 or float64, same shape
        The tensors $x$ and $y$.

    Returns
    -------
    ndarray
        $x + y$, of the common shape and of the promoted dtype.

    Raises
    ------
    TypeError
        If an argument is not a float array.
    ValueError
        If the shapes differ, or an argument is empty or holds NaN or infinite values.

    Notes
    -----
    $$
    (x + y)_{i_1 \dots i_n} = x_{i_1 \dots i_n} + y_{i_1 \dots i_n}.
    $$
    """
    x_value, y_value = x, y
    x, y = checked_without_finiteness(_same_shape_pair, x_value, y_value)
    out = np.empty_like(x)
    if not _sums_finite(x.reshape(-1), y.reshape(-1), out.reshape(-1)):
        _same_shape_pair(x_value, y_value, finite=True)  # a NaN or inf given; else an overflow, kept
    return out


def _same_shape_pair(x_value, y_value, *, finite: bool) -> tuple[np.ndarray, np.ndarray]:
    x, y = _pair(x_value, y_value, finite=finite)
    check_same_shape(x, "x", y, "y")
    return x, y


# Values per block of the sums below: each block of the result is scanned for NaN and inf right
# after it is written, while it is in the L1 cache. A NaN or inf in x or y reaches the sum, so a
# finite result proves finite inputs: the inputs are read once, not scanned first.
_SUM_BLOCK = 4096


@njit(cache=True)
def _add_blocks(x, y, out, lo, hi):
    # out[lo:hi] ← x[lo:hi] + y[lo:hi], a block at a time; whether every sum is finite
    finite = True
    for b0 in range(lo, hi, _SUM_BLOCK):
        b1 = min(b0 + _SUM_BLOCK, hi)
        _add_loop(x[b0:b1], y[b0:b1], out[b0:b1])
        finite &= _all_finite_loop(out[b0:b1])
    return finite


@njit(cache=True)
def _add_row_blocks(rows, row, out, lo, hi):
    # rows lo…hi of out ← rows + row, blocks of whole rows; whether every sum is finite
    step = max(1, _SUM_BLOCK // rows.shape[1])
    finite = True
    for r0 in range(lo, hi, step):
        r1 = min(r0 + step, hi)
        _add_row_loop(rows[r0:r1], row, out[r0:r1])
        finite &= _all_finite_loop(out[r0:r1].reshape(-1))
    return finite


@njit(cache=True, parallel=True)
def _add_parallel(x, y, out, n_tasks):
    # independent blocks: one run of them per task
    step = (x.size + n_tasks - 1) // n_tasks
    finite = 0
    for task in prange(n_tasks):
        finite += _add_blocks(x, y, out, task * step, min((task + 1) * step, x.size))
    return finite == n_tasks


@njit(cache=True, parallel=True)
def _add_rows_parallel(rows, row, out, n_tasks):
    step = (rows.shape[0] + n_tasks - 1) // n_tasks
    finite = 0
    for task in prange(n_tasks):
        finite += _add_row_blocks(rows, row, out, task * step, min((task + 1) * step, rows.shape[0]))
    return finite == n_tasks


def _sums_finite(x: np.ndarray, y: np.ndarray, out: np.ndarray) -> bool:
    """out ← x + y, on every thread when large; whether every sum is finite.

    Same-shape x and y come flat; a 2-d x takes the row y (a bias) on each of its rows.
    """
    small = x.size < PARALLEL_MIN_WORK
    if x.ndim == 2:
        if small:
            return _add_row_blocks(x, y, out, 0, x.shape[0])
        return _add_rows_parallel(x, y, out, 4 * numba.get_num_threads())
    if small:
        return _add_blocks(x, y, out, 0, x.size)
    return _add_parallel(x, y, out, 4 * numba.get_num_threads())


# ---------------------------------------------------------------- broadcasting
def _broadcast_shape(x_shape: tuple[int, ...], y_shape: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's rule, axis by axis from the right: equal lengths, or one of them is 1."""
    if x_shape == y_shape:
        return tuple(x_shape)
    # the common case, a bias: the shorter shape is the longer one's trailing axes
    long, short = (x_shape, y_shape) if len(x_shape) >= len(y_shape) else (y_shape, x_shape)
    if tuple(long[len(long) - len(short):]) == tuple(short):
        return tuple(long)
    rank = max(len(x_shape), len(y_shape))
    x_padded = (1,) * (rank - len(x_shape)) + tuple(x_shape)
    y_padded = (1,) * (rank - len(y_shape)) + tuple(y_shape)
    shape = []
    for axis, (a, b) in enumerate(zip(x_padded, y_padded)):
        if a != b and a != 1 and b != 1:
            raise ValueError(
                f"x and y cannot be broadcast together: shapes {tuple(x_shape)} and {tuple(y_shape)} "
                f"differ at axis {axis - rank} ({a} vs {b}); aligned from the right, each pair of "
                "lengths must be equal or one of them 1"
            )
        shape.append(max(a, b))
    return tuple(shape)


def _broadcast_strides(shape: tuple[int, ...], rank: int) -> np.ndarray:
    """Row-major element strides of ``shape`` left-padded to ``rank`` axes, 0 on stretched axes."""
    padded = (1,) * (rank - len(shape)) + tuple(shape)
    strides = np.zeros(rank, dtype=np.int64)
    step = 1
    for axis in range(rank - 1, -1, -1):
        # an axis of length 1 (or a missing one) is repeated: moving along it must not move in memory
        strides[axis] = 0 if padded[axis] == 1 else step
        step *= padded[axis]
    return strides


# --8<-- [start:broadcast_loop]
@njit(cache=True)
def _broadcast_add_loop(x, x_strides, y, y_strides, out_shape, out):
    rank = out_shape.size
    index = np.zeros(rank, dtype=np.int64)  # (i_1, …, i_n): the index of out_p
    for p in range(out.size):
        # offsets of x and y: Σ_k i_k·s_k, with s_k = 0 on an axis of length 1 (stretched)
        x_at = 0
        y_at = 0
        for k in range(rank):
            x_at += index[k] * x_strides[k]
            y_at += index[k] * y_strides[k]
        # out_{i_1…i_n} ← x_{i_1…i_n} + y_{i_1…i_n}, read through the broadcast index map
        out[p] = x[x_at] + y[y_at]
        # next index in row-major order: the last axis runs fastest
        k = rank - 1
        while k >= 0:
            index[k] += 1
            if index[k] < out_shape[k]:
                break
            index[k] = 0
            k -= 1
# --8<-- [end:broadcast_loop]


def broadcast_add(x, y):
    r"""Add two tensors whose shapes are compatible under NumPy's broadcasting rules.

    Equals ``x + y`` for any ranks (0-d arrays and Python floats included):
    the shapes are aligned from the right, a missing axis counts as length 1,
    and an axis of length 1 is repeated to the other operand's length. Mixing
    float32 and float64 gives float64; a Python float takes the array's dtype,
    as NumPy 2 does.

    Parameters
    ----------
    x, y : array_like of float32 or float64, or float
        The tensors $x$ and $y$, of any ranks.

    Returns
    -------
    ndarray
        $x + y$ of the broadcast shape (a 0-d array when both are scalars).

    Raises
    ------
    TypeError
        If an argument is not a float array or a float.
    ValueError
        If the shapes cannot be broadcast together (the message names the first
        axis, counted from the right, where they clash), or an argument is empty
        or holds NaN or infinite values.

    Notes
    -----
    With both shapes left-padded with ones to the output rank $n$, every output
    axis has length $\max(d^x_k, d^y_k)$ and

    $$
    (x + y)_{i_1 \dots i_n} = x_{j_1 \dots j_n} + y_{l_1 \dots l_n}, \qquad
    j_k = \begin{cases} 0 & d^x_k = 1 \\ i_k & \text{otherwise,} \end{cases} \quad
    l_k = \begin{cases} 0 & d^y_k = 1 \\ i_k & \text{otherwise.} \end{cases}
    $$

    The loop reaches $x_{j_1 \dots j_n}$ through strides that are zero on
    stretched axes, so nothing is ever copied to make the shapes match.
    """
    x_value, y_value = x, y
    x, y = checked_without_finiteness(_broadcastable_pair, x_value, y_value)
    shape = _broadcast_shape(x.shape, y.shape)
    rank = len(shape)
    out = np.empty(shape, dtype=x.dtype)
    for full, part in ((x, y), (y, x)):
        if full.shape == shape and 0 < part.size < full.size and _is_trailing_block(part.shape, shape):
            # the common case, a bias: part repeats along the leading axes, so out is rows of
            # full plus the same row of part, without the index walk; every value of x and y
            # reaches a sum, which is scanned as it is written
            if not _sums_finite(full.reshape(-1, part.size), part.reshape(-1), out.reshape(-1, part.size)):
                _broadcastable_pair(x_value, y_value, finite=True)
            return out
    # the general walk keeps the scans before it (every other check has passed: x is named first)
    _check_finite_float(x, "x")
    _check_finite_float(y, "y")
    _broadcast_add_loop(
        x.reshape(-1), _broadcast_strides(x.shape, rank),
        y.reshape(-1), _broadcast_strides(y.shape, rank),
        _shape_array(shape), out.reshape(-1),
    )
    return out


def _broadcastable_pair(x_value, y_value, *, finite: bool) -> tuple[np.ndarray, np.ndarray]:
    x, y = _pair(x_value, y_value, finite=finite)
    _broadcast_shape(x.shape, y.shape)
    return x, y


@njit(cache=True)
def _add_row_loop(rows, row, out):
    for i in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            # out_{i,j} ← x_{i,j} + y_j   (y broadcast along the leading axes)
            out[i, j] = rows[i, j] + row[j]


def _is_trailing_block(part_shape: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Whether ``part`` (its leading 1s aside) is the trailing axes of ``shape``: a repeated block."""
    trimmed = tuple(part_shape)
    while trimmed and trimmed[0] == 1:
        trimmed = trimmed[1:]
    return len(trimmed) <= len(shape) and tuple(shape[len(shape) - len(trimmed):]) == trimmed


# ---------------------------------------------------------------- tensor product
# --8<-- [start:dot_loops]
@njit(cache=True)
def _vector_dot_loop(x, y):
    total = 0.0  # float64 accumulator whatever the input dtype
    for i in range(x.size):
        # x · y = Σ_i x_i·y_i
        total += np.float64(x[i]) * np.float64(y[i])
    return total


@njit(cache=True)
def _matrix_vector_dot_loop(A, x, out):
    n_rows, n_inner = A.shape
    for i in range(n_rows):
        total = 0.0
        for k in range(n_inner):
            # (A x)_i = Σ_k A_ik·x_k: the dot product of row i of A with x
            total += np.float64(A[i, k]) * np.float64(x[k])
        out[i] = total


@njit(cache=True)
def _matrix_dot_loop(A, B, out):
    n_rows, n_inner = A.shape
    n_cols = B.shape[1]
    row = np.empty(n_cols)  # the float64 sums of one row of C, whatever the input dtype
    # i-k-j order: the inner loop walks row k of B and the row of sums, both contiguous
    for i in range(n_rows):
        row[:] = 0.0
        for k in range(n_inner):
            a_ik = np.float64(A[i, k])
            for j in range(n_cols):
                # C_ij ← C_ij + A_ik·B_kj, so that in the end C_ij = Σ_k A_ik·B_kj
                row[j] += a_ik * np.float64(B[k, j])
        for j in range(n_cols):
            out[i, j] = row[j]  # rounded once, to out's dtype
# --8<-- [end:dot_loops]


# The loops above sum in index order, one multiply-add waiting for the one before. From 2¹⁸ values
# on, the same float64 sums run reassociated (fastmath "reassoc": several partial sums in the SIMD
# lanes) and in blocks on every thread; test_vector_dot_matches_numpy and
# test_matrix_vector_dot_matches_numpy bound them by the rounding of a sum of n terms in any order.
@njit(cache=True, fastmath=_FASTMATH)
def _dot_reassociated(x, y):
    total = 0.0
    for i in range(x.size):
        # x · y = Σ_i x_i·y_i, in partial sums per SIMD lane
        total += np.float64(x[i]) * np.float64(y[i])
    return total


# The parallel loops call _dot_reassociated rather than summing in their own body: inside a prange
# body the same fast-math sum was not vectorised (8 ms instead of 1 ms for 2²² values, one thread).
@njit(cache=True, parallel=True)
def _vector_dot_fast_loop(x, y, n_tasks):
    step = (x.size + n_tasks - 1) // n_tasks
    partial = np.zeros(n_tasks)
    for task in prange(n_tasks):
        lo, hi = task * step, min((task + 1) * step, x.size)
        partial[task] = _dot_reassociated(x[lo:hi], y[lo:hi])
    return partial.sum()


@njit(cache=True, parallel=True)
def _matrix_vector_dot_fast_loop(A, x, out):
    for i in prange(A.shape[0]):
        # (A x)_i = Σ_k A_ik·x_k, rows on every thread
        out[i] = _dot_reassociated(A[i], x)


def vector_dot(x, y):
    r"""The dot product of two vectors of the same length.

    Equals ``np.dot(x, y)`` for rank-1 ``x`` and ``y``. The sum is accumulated
    in float64 and returned in the promoted input dtype.

    Parameters
    ----------
    x, y : array_like of float32 or float64, shape (d,)
        The vectors $x$ and $y$.

    Returns
    -------
    numpy.floating
        The scalar $x \cdot y$.

    Raises
    ------
    TypeError
        If an argument is not a float array.
    ValueError
        If an argument is not rank 1, the lengths differ, or an argument is
        empty or holds NaN or infinite values.

    Notes
    -----
    $$
    x \cdot y = \sum_{i=1}^{d} x_i \, y_i .
    $$
    """
    # NaN and inf reach the sum (inf·0 = NaN), so the inputs are scanned only when it is not finite
    x_value, y_value = x, y
    x, y = checked_without_finiteness(_checked_vectors, x_value, y_value)
    if x.size < PARALLEL_MIN_WORK:
        result = x.dtype.type(_vector_dot_loop(x, y))
    else:
        result = x.dtype.type(_vector_dot_fast_loop(x, y, numba.get_num_threads()))
    recheck_if_not_finite(result, _checked_vectors, x_value, y_value)
    return result


def _checked_vectors(x_value, y_value, *, finite: bool) -> tuple[np.ndarray, np.ndarray]:
    x, y = _named_pair(x_value, "x", y_value, "y", finite=finite)
    _check_rank(x, "x", 1, "vector")
    _check_rank(y, "y", 1, "vector")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got shapes {x.shape} and {y.shape}")
    return x, y


def matrix_vector_dot(A, x):
    r"""The product of a matrix and a vector: one dot product per row of the matrix.

    Equals ``np.dot(A, x)`` (or ``A @ x``) for rank-2 ``A`` and rank-1 ``x``.
    Sums are accumulated in float64 and returned in the promoted input dtype.

    Parameters
    ----------
    A : array_like of float32 or float64, shape (n, k)
        The matrix $A$.
    x : array_like of float32 or float64, shape (k,)
        The vector $x$; its length must equal the number of columns of $A$.

    Returns
    -------
    ndarray, shape (n,)
        The vector $A x$.

    Raises
    ------
    TypeError
        If an argument is not a float array.
    ValueError
        If ``A`` is not rank 2, ``x`` is not rank 1, ``A.shape[1] != x.shape[0]``,
        or an argument is empty or holds NaN or infinite values.

    Notes
    -----
    $$
    (A x)_i = \sum_{k=1}^{K} A_{ik} \, x_k, \qquad i = 1, \dots, n .
    $$
    """
    # a NaN or inf in row i of A reaches out[i], one in x every out[i]: the inputs are scanned only
    # when out is not finite
    A_value, x_value = A, x
    A, x = checked_without_finiteness(_checked_matrix_vector, A_value, x_value)
    out = np.empty(A.shape[0], dtype=np.float64)
    if A.size < PARALLEL_MIN_WORK:
        _matrix_vector_dot_loop(A, x, out)
    else:
        _matrix_vector_dot_fast_loop(A, x, out)
    product = out.astype(A.dtype)
    recheck_if_not_finite(product, _checked_matrix_vector, A_value, x_value)
    return product


def _checked_matrix_vector(A_value, x_value, *, finite: bool) -> tuple[np.ndarray, np.ndarray]:
    return _checked_product(A_value, "A", x_value, "x", finite=finite)


def matrix_dot(A, B):
    r"""The product of two matrices, computed in the i-k-j loop order.

    Equals ``np.dot(A, B)`` (or ``A @ B``) for rank-2 ``A`` and ``B``. Sums are
    accumulated in float64 and returned in the promoted input dtype.

    Parameters
    ----------
    A : array_like of float32 or float64, shape (n, k)
        The left matrix $A$.
    B : array_like of float32 or float64, shape (k, m)
        The right matrix $B$; its number of rows must equal the number of
        columns of $A$.

    Returns
    -------
    ndarray, shape (n, m)
        The matrix $C = A B$.

    Raises
    ------
    TypeError
        If an argument is not a float array.
    ValueError
        If an argument is not rank 2, ``A.shape[1] != B.shape[0]``, or an
        argument is empty or holds NaN or infinite values.

    Notes
    -----
    $$
    C_{ij} = \sum_{k=1}^{K} A_{ik} \, B_{kj} .
    $$

    Entry $C_{ij}$ is the dot product of row $i$ of $A$ with column $j$ of $B$.
    The loop runs over $i$, then $k$, then $j$, so its innermost loop reads a
    row of $B$ and writes a row of $C$, both contiguous in memory. From $2^{18}$
    multiply-adds on, the same sums run as dot products of rows of $A$ and of
    $B^\top$ in register tiles on every thread (``glossary_dl._dots``), still in float64.
    """
    # a NaN or inf in row i of A reaches row i of C, one in column j of B column j of C: the
    # inputs are scanned only when C is not finite
    A_value, B_value = A, B
    A, B = checked_without_finiteness(_checked_matrices, A_value, B_value)
    if A.shape[0] * A.shape[1] * B.shape[1] < PARALLEL_MIN_WORK:
        # the float64 sums rounded into C as each row ends: no float64 C to allocate and convert
        product = np.empty((A.shape[0], B.shape[1]), dtype=A.dtype)
        _matrix_dot_loop(A, B, product)
    else:
        # the same sums, C = A·(Bᵀ)ᵀ, as dot products of contiguous rows in 4 × 3 register tiles on
        # every thread (glossary_dl._dots); still accumulated in float64, out's dtype
        out = np.empty((A.shape[0], B.shape[1]), dtype=np.float64)
        _dots_loop(A, _matrix_transposed(B), out)
        product = out.astype(A.dtype)
    # the scan of the product in its own dtype: half the bytes of the float64 sums in float32
    recheck_if_not_finite(product, _checked_matrices, A_value, B_value)
    return product


def _checked_matrices(A_value, B_value, *, finite: bool) -> tuple[np.ndarray, np.ndarray]:
    return _checked_product(A_value, "A", B_value, "B", finite=finite)


def _checked_product(a_value, a_name: str, b_value, b_name: str, *, finite: bool) -> tuple[np.ndarray, np.ndarray]:
    """A matrix ``a`` and a vector or matrix ``b`` (its rank from its name: x a vector, B a matrix)
    whose first axis is the summed one, a.shape[1]."""
    a, b = _named_pair(a_value, a_name, b_value, b_name, finite=finite)
    _check_rank(a, a_name, 2, "matrix")
    b_rank, b_kind = (1, "vector") if b_name == "x" else (2, "matrix")
    _check_rank(b, b_name, b_rank, b_kind)
    if a.shape[1] != b.shape[0]:
        raise ValueError(
            f"{a_name}.shape[1] must equal {b_name}.shape[0] (the summed axis), got shapes {a.shape} and {b.shape}"
        )
    return a, b


def _named_pair(
    a_value, a_name: str, b_value, b_name: str, *, finite: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    a = _tensor(a_value, a_name, finite=finite)
    b = _tensor(b_value, b_name, finite=finite)
    if a.dtype == b.dtype and type(a_value) is np.ndarray and type(b_value) is np.ndarray:
        return a, b  # two arrays of one dtype: nothing to promote (NumPy's rule costs a µs)
    dtype = _result_dtype(a_value, a, b_value, b)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


# ---------------------------------------------------------------- reshaping
# (shape, size, type of every entry) → the target shape, for the tuples seen before: working a shape
# out again would cost a third of a 32 × 10 reshape. The types are part of the key because True == 1
# and 16.0 == 16, which _worked_out_shape refuses; errors are never stored.
_TARGET_SHAPES: dict = {}


def _target_shape(shape, size: int, x_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The requested shape as a tuple of ints, with at most one -1 worked out from ``size``."""
    if type(shape) is not tuple:
        return _worked_out_shape(shape, size, x_shape)
    try:
        key = (shape, size, *map(type, shape))
        target = _TARGET_SHAPES.get(key)
    except TypeError:  # an unhashable entry, which _worked_out_shape names
        return _worked_out_shape(shape, size, x_shape)
    if target is None:
        target = _worked_out_shape(shape, size, x_shape)
        if len(_TARGET_SHAPES) >= 256:
            _TARGET_SHAPES.clear()
        _TARGET_SHAPES[key] = target
    return target


def _worked_out_shape(shape, size: int, x_shape: tuple[int, ...]) -> tuple[int, ...]:
    if type(shape) is not tuple:
        if isinstance(shape, numbers.Integral) and not isinstance(shape, (bool, np.bool_)):
            shape = (shape,)
        if not isinstance(shape, (tuple, list)):
            raise TypeError(f"shape must be an integer or a tuple of integers, got {shape!r}")
    # plain ints skip check_int, whose isinstance tests of numbers.Integral cost more than a 32 × 10 copy
    dims = list(shape)
    for axis, d in enumerate(dims):
        if type(d) is not int:
            dims[axis] = check_int(d, "shape entry")
    unknown = dims.count(-1)
    if unknown > 1:
        raise ValueError(f"shape can contain at most one -1 (an axis to infer), got {tuple(dims)}")
    if dims and min(dims) < -1:
        raise ValueError(f"shape entries must be positive or a single -1, got {tuple(dims)}")
    known = math.prod(dims)
    if unknown:
        known = -known
        if known == 0 or size % known != 0:
            raise ValueError(
                f"cannot reshape x of shape {x_shape} (size {size}) into shape {tuple(dims)}: "
                f"{size} is not a multiple of {known}"
            )
        dims[dims.index(-1)] = size // known
    elif known != size:
        raise ValueError(
            f"cannot reshape x of shape {x_shape} (size {size}) into shape {tuple(dims)} "
            f"(size {known}): the sizes must be equal"
        )
    return tuple(dims)


# --8<-- [start:reshape_loop]
@njit(cache=True)
def _reshape_loop(x, out):
    # x and out are both read in row-major (C) order, so position p of that order is
    # index (i_1…i_n) of x and index (j_1…j_m) of the result at once
    for p in range(x.size):
        # y_{j_1…j_m} ← x_{i_1…i_n}, the two indices with the same position p
        out[p] = x[p]
# --8<-- [end:reshape_loop]


def reshape(x, shape):
    r"""Rearrange the entries of a tensor into a new shape with the same number of entries.

    Equals ``np.reshape(x, shape)`` (C order), but always returns a new array.
    One entry of ``shape`` may be -1: that axis takes whatever length makes the
    sizes match.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        The tensor $x$, of shape $(d_1, \dots, d_n)$.
    shape : int or tuple of int
        The new shape $(e_1, \dots, e_m)$, with $\prod_k e_k = \prod_k d_k$; at
        most one entry may be -1. ``()`` reshapes a one-entry tensor to a scalar.

    Returns
    -------
    ndarray
        A C-contiguous copy of ``x`` with the new shape and the dtype of ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a float array, or ``shape`` is not an integer or a tuple
        of integers.
    ValueError
        If the sizes differ, ``shape`` holds more than one -1 or another negative
        entry, or ``x`` is empty or holds NaN or infinite values.

    Notes
    -----
    Reading both shapes in row-major (C) order, the entry at index
    $(j_1, \dots, j_m)$ of the result is the entry of $x$ at the same position
    $p$ of that order:

    $$
    y_{j_1 \dots j_m} = x_{i_1 \dots i_n} \quad\text{where}\quad
    p = \sum_{k=1}^{n} i_k \prod_{l > k} d_l = \sum_{k=1}^{m} j_k \prod_{l > k} e_l .
    $$
    """
    # NaN and inf are found by the copy, which reads x anyway; the checks keep their order all the same
    x_value = x
    try:
        x = as_float_array(x_value, "x", finite=False)
        new_shape = _target_shape(shape, x.size, x.shape)
    except (TypeError, ValueError):
        as_float_array(x_value, "x")  # a NaN in x is reported before a bad shape, as when x was scanned first
        raise
    out = np.empty(new_shape, dtype=x.dtype)
    finite = _copied_here(x, out) if x.size < PARALLEL_MIN_WORK else _copied(x, out)
    if not finite:
        as_float_array(x_value, "x")  # NaN or inf in x: the scan's error
    return out


# The copy that runs is _reshape_loop reading x once for both the copy and the NaN/inf check (Σ x·0,
# glossary_dl._copies), on every thread from 2¹⁸ entries on and past the caches from 8 MB on;
# test_fast_copies_agree_with_the_definition_loops checks it against _reshape_loop.
def _copied(x: np.ndarray, out: np.ndarray) -> bool:
    """Copy C-contiguous ``x`` into ``out`` of the same size, in row-major order; whether every entry is finite."""
    if x.size < PARALLEL_MIN_WORK:
        return _copied_here(x, out)
    return _copy_parallel(x.ravel(), out.ravel(), 4 * numba.get_num_threads(), x.nbytes >= STREAM_MIN_BYTES)


@njit(cache=True)
def _copied_here(x, out):
    # any ranks: one compiled call, the flattening inside it (at 32 × 10 the Python steps around
    # the copy would cost as much as the copy)
    return _copy_loop(x.reshape(x.size), out.reshape(out.size)) == 0.0


def _check_axes(axes, ndim: int) -> tuple[int, ...]:
    if axes is None:
        return _reversed_axes(ndim)
    if not isinstance(axes, (tuple, list)):
        raise TypeError(f"axes must be None or a tuple of integers, got {axes!r}")
    axes = tuple(check_int(a, "axes entry") for a in axes)
    if len(axes) != ndim:
        raise ValueError(f"axes must list each of the {ndim} axes of x once, got {axes}")
    if any(a < -ndim or a >= ndim for a in axes):
        raise ValueError(f"axes entries must be in [-{ndim}, {ndim}) for x of rank {ndim}, got {axes}")
    normalised = tuple(a % ndim if ndim else a for a in axes)
    if sorted(normalised) != list(range(ndim)):
        raise ValueError(f"axes must be a permutation of the axes of x (each once), got {axes}")
    return normalised


@functools.lru_cache(maxsize=None)
def _reversed_axes(ndim: int) -> tuple[int, ...]:
    return tuple(range(ndim - 1, -1, -1))


# --8<-- [start:transpose_loop]
@njit(cache=True)
def _transpose_loop(x, x_strides, axes, out_shape, out):
    rank = out_shape.size
    index = np.zeros(rank, dtype=np.int64)  # (j_1, …, j_n): the index of out_p
    for p in range(out.size):
        # axis k of the result is axis σ(k) of x, so x's offset is Σ_k j_k·s_{σ(k)}
        at = 0
        for k in range(rank):
            at += index[k] * x_strides[axes[k]]
        # y_{j_1…j_n} ← x_{i_1…i_n} with i_{σ(k)} = j_k
        out[p] = x[at]
        # next index in row-major order of the result
        k = rank - 1
        while k >= 0:
            index[k] += 1
            if index[k] < out_shape[k]:
                break
            index[k] = 0
            k -= 1
# --8<-- [end:transpose_loop]


def transpose(x, axes=None):
    r"""Permute the axes of a tensor; for a matrix, exchange rows and columns.

    Equals ``np.transpose(x, axes)``, but always returns a new C-contiguous
    array. Without ``axes`` the order of the axes is reversed, which for a
    matrix is the usual transpose $x^\top$.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        The tensor $x$, of shape $(d_1, \dots, d_n)$.
    axes : tuple of int, optional
        A permutation $\sigma$ of $(0, \dots, n-1)$: axis $k$ of the result is
        axis ``axes[k]`` of ``x``. Negative entries count from the end.
        Default: $(n-1, \dots, 0)$.

    Returns
    -------
    ndarray
        The permuted tensor, of shape $(d_{\sigma(1)}, \dots, d_{\sigma(n)})$
        and the dtype of ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a float array or ``axes`` is not a tuple of integers.
    ValueError
        If ``axes`` is not a permutation of the axes of ``x``, or ``x`` is empty
        or holds NaN or infinite values.

    Notes
    -----
    $$
    y_{j_1 \dots j_n} = x_{i_1 \dots i_n} \quad\text{with}\quad i_{\sigma(k)} = j_k ,
    \qquad\text{for a matrix:}\quad (x^\top)_{ji} = x_{ij} .
    $$
    """
    # NaN and inf are found by the copy, which reads x anyway; the checks keep their order all the same
    x_value = x
    try:
        x = as_float_array(x_value, "x", finite=False)
        order = _check_axes(axes, x.ndim)
    except (TypeError, ValueError):
        as_float_array(x_value, "x")  # a NaN in x is reported before bad axes, as when x was scanned first
        raise
    out, finite = _transposed(x, order)
    if not finite:
        as_float_array(x_value, "x")  # NaN or inf in x: the scan's error
    return out


def _transposed(x: np.ndarray, order: tuple[int, ...]) -> tuple[np.ndarray, bool]:
    """``x`` with its axes permuted by ``order``, as a new array; and whether every entry is finite."""
    shape = x.shape
    swap = _block_swap(order)
    if swap is None:
        out = np.empty(tuple([shape[a] for a in order]), dtype=x.dtype)
        out_flat = out.ravel()
        _transpose_loop(x.ravel(), _c_strides(shape), np.array(order, dtype=np.int64), _shape_array(out.shape),
                        out_flat)
        return out, all_finite(out_flat)  # the walk does not check: a scan of what it wrote
    # order = (0, …, p−1, q, …, n−1, p, …, q−1): for every index of the first p axes, a matrix of
    # R = Π d_p…d_{q−1} rows and S = Π d_q…d_{n−1} columns is transposed; the blocked copy of
    # glossary_dl._copies reads and writes whole cache lines (and checks for NaN and inf on the way),
    # where the index walk above does neither
    p, q = swap
    out = np.empty(shape[:p] + shape[q:] + shape[p:q], dtype=x.dtype)
    if x.size < PARALLEL_MIN_WORK:
        # one compiled call, the products and reshapes inside it: at 32 × 10 the Python steps would
        # cost more than the copy
        return out, _swapped_blocks(x, out, p, q)
    batch, rows, cols = math.prod(shape[:p]), math.prod(shape[p:q]), math.prod(shape[q:])
    if rows == 1 or cols == 1:
        # a 1 × S or R × 1 matrix and its transpose are the same sequence of numbers
        return out, _copied(x, out)
    return out, _batched_transpose_parallel(x.reshape(batch, rows, cols), out.reshape(batch, cols, rows))


@njit(cache=True)
def _swapped_blocks(x, out, p, q):
    """``_transposed``'s block swap on this thread, for C-contiguous x and out of any rank."""
    batch = rows = cols = 1
    for k in range(x.ndim):
        if k < p:
            batch *= x.shape[k]
        elif k < q:
            rows *= x.shape[k]
        else:
            cols *= x.shape[k]
    if rows == 1 or cols == 1:
        # a 1 × S or R × 1 matrix and its transpose are the same sequence of numbers
        return _copied_here(x, out)
    return _batched_transpose_loop(x.reshape((batch, rows, cols)), out.reshape((batch, cols, rows)))


@functools.lru_cache(maxsize=256)
def _block_swap(order: tuple[int, ...]) -> tuple[int, int] | None:
    """(p, q) when ``order`` keeps axes 0…p−1 and swaps the blocks p…q−1 and q…n−1, else None.

    The identity counts as a swap of the whole (p = 0, q = n): a copy.
    """
    n = len(order)
    p = 0
    while p < n and order[p] == p:
        p += 1
    if p == n:
        return 0, n
    q = order[p]
    expected = tuple(range(p)) + tuple(range(q, n)) + tuple(range(p, q))
    return (p, q) if tuple(order) == expected else None


def _c_strides(shape: tuple[int, ...]) -> np.ndarray:
    """Row-major element strides: moving one step along axis k skips Π_{l>k} d_l entries."""
    strides = np.ones(len(shape), dtype=np.int64)
    for axis in range(len(shape) - 2, -1, -1):
        strides[axis] = strides[axis + 1] * shape[axis + 1]
    return strides


# ---------------------------------------------------------------- data tensors
def iter_batches(x, batch_size, *, drop_last=False):
    r"""Split a data tensor along its batch axis (axis 0) into consecutive batches.

    Yields ``x[0:b]``, ``x[b:2b]``, ... : views of ``x``, not copies, so writing
    into a batch writes into ``x``. When the number of samples $N$ is not a
    multiple of the batch size $b$, the last batch is shorter
    ($N - b\lfloor N/b \rfloor$ samples) unless ``drop_last=True``, which leaves
    it out, as ``torch.utils.data.DataLoader(drop_last=True)`` does.

    Parameters
    ----------
    x : ndarray, shape (N, ...)
        A data tensor whose axis 0 is the batch axis, of any dtype (uint8 images
        and integer labels included); rank at least 1.
    batch_size : int
        The batch size $b \ge 1$.
    drop_last : bool, default False
        Leave out a last batch shorter than ``batch_size``.

    Returns
    -------
    iterator of ndarray
        $\lceil N / b \rceil$ batches (or $\lfloor N / b \rfloor$ with
        ``drop_last=True``), each of shape ``(b, *x.shape[1:])`` but the last.

    Raises
    ------
    TypeError
        If ``x`` is not a NumPy array, ``batch_size`` is not an integer or
        ``drop_last`` is not a bool.
    ValueError
        If ``x`` is a 0-d array (it has no batch axis), has no samples, or
        ``batch_size < 1``.

    Notes
    -----
    Batch $t = 0, 1, \dots$ holds the samples $n$ with

    $$
    t b \le n < \min\big((t + 1) b, N\big) .
    $$

    The checks run when the function is called, not when the first batch is drawn.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy array with the batch axis first, got {type(x).__name__}")
    if x.ndim == 0:
        raise ValueError("x must have a batch axis (rank at least 1), got a 0-d array")
    if x.shape[0] == 0:
        raise ValueError(f"x must hold at least one sample, got shape {x.shape}")
    batch_size = check_int(batch_size, "batch_size", low=1)
    drop_last = check_bool(drop_last, "drop_last")
    return _batches(x, batch_size, drop_last)


# --8<-- [start:batches]
def _batches(x: np.ndarray, batch_size: int, drop_last: bool):
    n_samples = x.shape[0]
    # N − (N mod b) keeps only full batches; N keeps the short one at the end too
    stop = n_samples - n_samples % batch_size if drop_last else n_samples
    for start in range(0, stop, batch_size):
        # X^[t] = (X_n) for t·b ≤ n < min((t + 1)·b, N): a slice of axis 0, i.e. a view
        yield x[start : start + batch_size]
# --8<-- [end:batches]


# channel axis last → first: rank 4 (N, H, W, C) → (N, C, H, W); rank 5 (N, F, H, W, C) → (N, F, C, H, W)
_LAST_TO_FIRST = {4: (0, 3, 1, 2), 5: (0, 1, 4, 2, 3)}
_FIRST_TO_LAST = {4: (0, 2, 3, 1), 5: (0, 1, 3, 4, 2)}
_LAYOUTS = {
    True: {4: "(samples, height, width, channels)", 5: "(samples, frames, height, width, channels)"},
    False: {4: "(samples, channels, height, width)", 5: "(samples, frames, channels, height, width)"},
}


def _channel_images(images, channels_last: bool) -> np.ndarray:
    """The checks of the channel moves but the scan for NaN and inf (left to the copy)."""
    array = as_float_array(images, "images", finite=False)
    if array.ndim not in (4, 5):
        raise ValueError(
            "images must be a rank-4 image batch "
            f"{_LAYOUTS[channels_last][4]} or a rank-5 video batch "
            f"{_LAYOUTS[channels_last][5]}, got shape {array.shape} (rank {array.ndim})"
        )
    return array


def channels_last_to_first(images):
    r"""Move the channel axis of an image or video batch from last to just before height.

    Converts Keras' default ``channels_last`` layout to PyTorch's
    ``channels_first`` layout: ``(N, H, W, C) → (N, C, H, W)`` for images and
    ``(N, F, H, W, C) → (N, F, C, H, W)`` for video. Equals ``np.transpose``
    with the matching axes, as a new C-contiguous array.

    Parameters
    ----------
    images : array_like of float32 or float64, rank 4 or 5
        A batch in channels-last layout.

    Returns
    -------
    ndarray
        The same entries in channels-first layout, of the dtype of ``images``.

    Raises
    ------
    TypeError
        If ``images`` is not a float array (convert uint8 pixels first, e.g.
        ``images.astype(np.float32) / 255``).
    ValueError
        If ``images`` is not of rank 4 or 5, or is empty or holds NaN or infinite values.

    Notes
    -----
    For images (the same with a frame index $f$ after $n$ for video),

    $$
    y_{n c h w} = x_{n h w c} .
    $$
    """
    return _moved_channels(images, channels_last=True)


def channels_first_to_last(images):
    r"""Move the channel axis of an image or video batch from before height to last.

    The inverse of ``channels_last_to_first``: ``(N, C, H, W) → (N, H, W, C)``
    for images and ``(N, F, C, H, W) → (N, F, H, W, C)`` for video, as a new
    C-contiguous array.

    Parameters
    ----------
    images : array_like of float32 or float64, rank 4 or 5
        A batch in channels-first layout.

    Returns
    -------
    ndarray
        The same entries in channels-last layout, of the dtype of ``images``.

    Raises
    ------
    TypeError
        If ``images`` is not a float array.
    ValueError
        If ``images`` is not of rank 4 or 5, or is empty or holds NaN or infinite values.

    Notes
    -----
    For images (the same with a frame index $f$ after $n$ for video),

    $$
    y_{n h w c} = x_{n c h w} .
    $$
    """
    return _moved_channels(images, channels_last=False)


def _moved_channels(images, *, channels_last: bool) -> np.ndarray:
    # NaN and inf are found by the copy, which reads the images anyway; the checks keep their order
    try:
        array = _channel_images(images, channels_last)
    except (TypeError, ValueError):
        as_float_array(images, "images")  # a NaN is reported before a bad rank, as when it was scanned first
        raise
    out, finite = _transposed(array, (_LAST_TO_FIRST if channels_last else _FIRST_TO_LAST)[array.ndim])
    if not finite:
        as_float_array(images, "images")  # NaN or inf: the scan's error
    return out
