r"""Batch normalization, written as the loops of the math.

Batch normalization standardises every channel of a layer's input with the mean and
variance of the current batch, then rescales it with two learned vectors, $\gamma$ and
$\beta$. At inference it uses moving averages of those statistics instead.

- `batch_norm_forward` / `batch_norm_backward`: the functional forms, training mode (batch
  statistics) or inference mode (given statistics), and the three gradients;
- `BatchNormalization`: a layer holding $\gamma$, $\beta$ and the moving statistics, in the
  semantics of Keras (``convention="keras"``, the default) or of PyTorch
  (``convention="torch"``).

Any channel axis is accepted: the array is viewed as $M$ rows of $C$ channels (the channel
axis moved last), so ``(N, C)``, Keras' channels-last ``(N, H, W, C)`` and PyTorch's
``(N, C, H, W)`` with ``axis=1`` all run through the same loops.
"""

from __future__ import annotations

import numbers

import numpy as np
from numba import njit, prange

from glossary_dl._parallel import PARALLEL_MIN_WORK
from glossary_dl._validation import (
    _COMPILED,
    _check_finite_float,
    as_float_array,
    check_bool,
    check_float_dtype,
    check_real,
)

__all__ = ["BatchNormalization", "batch_norm_backward", "batch_norm_forward"]

#: the defaults of each convention: Keras 3 ``layers.BatchNormalization``, PyTorch ``nn.BatchNorm*d``
_CONVENTIONS = {
    "keras": {"axis": -1, "momentum": 0.99, "epsilon": 1e-3},
    "torch": {"axis": 1, "momentum": 0.1, "epsilon": 1e-5},
}


# ---------------------------------------------------------------- compiled loops
# They take x as M rows of C channels (C-contiguous), per-channel vectors of length C,
# all of one dtype; shapes are checked before the call. Sums run in float64.


# --8<-- [start:batch_norm_forward_loop]
@njit(cache=True)
def _batch_norm_forward_loop(x, gamma, beta, mean, variance, epsilon, batch_stats, y):
    n_rows, n_channels = x.shape
    if batch_stats:
        total = np.zeros(n_channels)
        for m in range(n_rows):
            for c in range(n_channels):
                total[c] += x[m, c]
        for c in range(n_channels):
            # μ_c ← (1/M)·Σ_m x_{m,c}
            mean[c] = total[c] / n_rows
            total[c] = 0.0
        # a second pass over x − μ_c, not E[x²] − μ_c²: no cancellation when |μ_c| ≫ σ_c
        for m in range(n_rows):
            for c in range(n_channels):
                d = x[m, c] - np.float64(mean[c])
                total[c] += d * d
        for c in range(n_channels):
            # σ_c² ← (1/M)·Σ_m (x_{m,c} − μ_c)²   (the biased variance: divided by M)
            variance[c] = total[c] / n_rows
    scale = np.empty(n_channels)
    for c in range(n_channels):
        # γ_c / √(σ_c² + ε)
        scale[c] = gamma[c] / np.sqrt(np.float64(variance[c]) + epsilon)
    for m in range(n_rows):
        for c in range(n_channels):
            # y_{m,c} ← γ_c·x̂_{m,c} + β_c,  x̂_{m,c} = (x_{m,c} − μ_c) / √(σ_c² + ε)
            y[m, c] = (x[m, c] - np.float64(mean[c])) * scale[c] + beta[c]
# --8<-- [end:batch_norm_forward_loop]


# --8<-- [start:batch_norm_backward_loop]
@njit(cache=True)
def _batch_norm_backward_loop(
    x, gamma, mean, variance, epsilon, grad_out, batch_stats, grad_x, grad_gamma, grad_beta
):
    n_rows, n_channels = x.shape
    inv_std = np.empty(n_channels)
    sum_delta = np.zeros(n_channels)
    sum_delta_xhat = np.zeros(n_channels)
    for c in range(n_channels):
        # 1 / √(σ_c² + ε)
        inv_std[c] = 1.0 / np.sqrt(np.float64(variance[c]) + epsilon)
    for m in range(n_rows):
        for c in range(n_channels):
            # x̂_{m,c} = (x_{m,c} − μ_c) / √(σ_c² + ε)
            x_hat = (x[m, c] - np.float64(mean[c])) * inv_std[c]
            # Σ_m δ_{m,c}  and  Σ_m δ_{m,c}·x̂_{m,c}
            sum_delta[c] += grad_out[m, c]
            sum_delta_xhat[c] += grad_out[m, c] * x_hat
    for c in range(n_channels):
        # ∂L/∂β_c ← Σ_m δ_{m,c}
        grad_beta[c] = sum_delta[c]
        # ∂L/∂γ_c ← Σ_m δ_{m,c}·x̂_{m,c}
        grad_gamma[c] = sum_delta_xhat[c]
    for m in range(n_rows):
        for c in range(n_channels):
            if batch_stats:
                # μ_c and σ_c² depend on x too:
                # ∂L/∂x_{m,c} ← γ_c/√(σ_c² + ε)·(δ_{m,c} − (1/M)·Σδ − x̂_{m,c}·(1/M)·Σδx̂)
                x_hat = (x[m, c] - np.float64(mean[c])) * inv_std[c]
                grad_x[m, c] = gamma[c] * inv_std[c] * (
                    grad_out[m, c] - sum_delta[c] / n_rows - x_hat * sum_delta_xhat[c] / n_rows
                )
            else:
                # statistics are constants at inference: ∂L/∂x_{m,c} ← γ_c·δ_{m,c}/√(σ̄_c² + ε)
                grad_x[m, c] = gamma[c] * inv_std[c] * grad_out[m, c]
# --8<-- [end:batch_norm_backward_loop]


# --8<-- [start:moving_statistics_loop]
@njit(cache=True)
def _moving_statistics_loop(moving_mean, moving_variance, mean, variance, momentum, n_rows, torch):
    for c in range(mean.size):
        if torch:
            # PyTorch keeps the unbiased variance: σ_c²·M/(M − 1)
            unbiased = np.float64(variance[c]) * n_rows / (n_rows - 1)
            # μ̄_c ← (1 − κ)·μ̄_c + κ·μ_c   (κ weights the NEW value)
            moving_mean[c] = (1.0 - momentum) * moving_mean[c] + momentum * mean[c]
            # σ̄_c² ← (1 − κ)·σ̄_c² + κ·σ_c²·M/(M − 1)
            moving_variance[c] = (1.0 - momentum) * moving_variance[c] + momentum * unbiased
        else:
            # μ̄_c ← κ·μ̄_c + (1 − κ)·μ_c   (κ weights the OLD value)
            moving_mean[c] = momentum * moving_mean[c] + (1.0 - momentum) * mean[c]
            # σ̄_c² ← κ·σ̄_c² + (1 − κ)·σ_c²   (the biased batch variance)
            moving_variance[c] = momentum * moving_variance[c] + (1.0 - momentum) * variance[c]
# --8<-- [end:moving_statistics_loop]


# ---------------------------------------------------------------- fast paths (training mode)
# The loops above are the definitions. The loops below compute the same statistics and the same
# formulas for large batches: the rows in blocks of about _BLOCK values (in the L1 cache while both
# passes of the block's statistics read them), a fixed number of blocks per chunk, the chunks shared
# by every thread; each block's mean and sum of squared deviations (the two passes, on the block)
# merged with Chan, Golub and LeVeque's pairwise formula. The partition depends on the shape only, so
# one thread or many give the same numbers. tests/test_normalization.py checks them against the
# definitions.
_BLOCK = 4096
_BLOCKS_PER_CHUNK = 16


# --8<-- [start:batch_norm_fast_loops]
@njit(cache=True, error_model="numpy")
def _merge(n_a, a, n_b, b, with_grad):
    """Fold the statistics ``b`` of n_b rows into ``a`` (n_a rows); return n_a + n_b.

    Rows 0–3 of a and b: mean μ, M2 = Σ(x − μ)², D = Σδ, P = Σδ·(x − μ), per channel.
    """
    if n_a == 0.0:
        # a copy, not the formula: d²·0 would be NaN where d² overflows
        a[:] = b
        return n_b
    n_ab = n_a + n_b
    f = n_b / n_ab  # μ_ab = μ_a + (μ_b − μ_a)·n_b/n_ab
    h = n_a / n_ab
    for c in range(a.shape[1]):
        d = b[0, c] - a[0, c]
        if with_grad:
            # Σδ·(x − μ_ab) over both: μ_a − μ_ab = −d·f, μ_b − μ_ab = d·h
            a[3, c] += b[3, c] - d * f * a[2, c] + d * h * b[2, c]
            a[2, c] += b[2, c]
        a[0, c] += d * f
        # M2_ab = M2_a + M2_b + d²·n_a·n_b/n_ab
        a[1, c] += b[1, c] + d * d * (n_a * f)
    return n_ab


# The three block sums below take four rows at a time: one load and store of the per-channel total
# per four rows, not per row (a quarter faster)
@njit(cache=True, error_model="numpy")
def _add_rows(a, lo, hi, total):
    """total_c += Σ_m a_{m,c} over rows lo..hi."""
    m = lo
    while m + 4 <= hi:
        r0, r1, r2, r3 = a[m], a[m + 1], a[m + 2], a[m + 3]
        for c in range(total.size):
            total[c] += (np.float64(r0[c]) + np.float64(r1[c])) + (np.float64(r2[c]) + np.float64(r3[c]))
        m += 4
    for m in range(m, hi):
        for c in range(total.size):
            total[c] += a[m, c]


@njit(cache=True, error_model="numpy")
def _add_squares_about(x, lo, hi, mean, total):
    """total_c += Σ_m (x_{m,c} − mean_c)² over rows lo..hi."""
    m = lo
    while m + 4 <= hi:
        r0, r1, r2, r3 = x[m], x[m + 1], x[m + 2], x[m + 3]
        for c in range(total.size):
            d0, d1, d2, d3 = r0[c] - mean[c], r1[c] - mean[c], r2[c] - mean[c], r3[c] - mean[c]
            total[c] += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3)
        m += 4
    for m in range(m, hi):
        for c in range(total.size):
            d = x[m, c] - mean[c]
            total[c] += d * d


@njit(cache=True, error_model="numpy")
def _add_products_about(g, x, lo, hi, mean, total):
    """total_c += Σ_m g_{m,c}·(x_{m,c} − mean_c) over rows lo..hi."""
    m = lo
    while m + 4 <= hi:
        r0, r1, r2, r3 = x[m], x[m + 1], x[m + 2], x[m + 3]
        g0, g1, g2, g3 = g[m], g[m + 1], g[m + 2], g[m + 3]
        for c in range(total.size):
            total[c] += ((g0[c] * (r0[c] - mean[c]) + g1[c] * (r1[c] - mean[c]))
                         + (g2[c] * (r2[c] - mean[c]) + g3[c] * (r3[c] - mean[c])))
        m += 4
    for m in range(m, hi):
        for c in range(total.size):
            total[c] += g[m, c] * (x[m, c] - mean[c])


@njit(cache=True, error_model="numpy")
def _chunk_statistics(x, grad_out, with_grad, lo, hi, block_rows, acc, block):
    """acc ← the statistics of rows lo..hi (see _merge), block by block; return the row count."""
    acc[:] = 0.0
    n = 0.0
    for b_lo in range(lo, hi, block_rows):
        b_hi = min(b_lo + block_rows, hi)
        block[:] = 0.0
        _add_rows(x, b_lo, b_hi, block[0])
        if with_grad:
            _add_rows(grad_out, b_lo, b_hi, block[2])
        n_b = float(b_hi - b_lo)
        block[0] /= n_b
        # the block's second pass, from the cache: deviations from its own mean
        _add_squares_about(x, b_lo, b_hi, block[0], block[1])
        if with_grad:
            _add_products_about(grad_out, x, b_lo, b_hi, block[0], block[3])
        n = _merge(n, acc, n_b, block, with_grad)
    return n


@njit(cache=True, error_model="numpy")
def _finish(counts, chunks, with_grad, gamma, beta, epsilon, mean, variance, grad_gamma, grad_beta, coef):
    """Merge the chunks' statistics in order; write μ, σ² (and ∂L/∂γ, ∂L/∂β), and the per-channel
    coefficients of the element pass into coef. Return whether x (and grad_out) were finite."""
    n_channels = chunks.shape[2]
    total = np.zeros((4, n_channels))
    n = 0.0
    for k in range(counts.size):
        n = _merge(n, total, counts[k], chunks[k], with_grad)
    x_finite = True
    grad_finite = True
    for c in range(n_channels):
        # a NaN or ±inf in a channel makes its sum, so its mean, NaN or ±inf
        x_finite &= np.isfinite(total[0, c])
        mean[c] = total[0, c]
        mu = np.float64(mean[c])  # μ_c as stored, the one the definitions subtract
        e = total[0, c] - mu
        # Σ(x − μ)² about the stored μ: M2 + n·e²
        variance[c] = (total[1, c] + n * e * e) / n
        inv_std = 1.0 / np.sqrt(np.float64(variance[c]) + epsilon)
        coef[0, c] = mu
        if with_grad:
            grad_finite &= np.isfinite(total[2, c])
            sum_delta = total[2, c]
            # Σδ·(x − μ) about the stored μ: P + e·D
            sum_delta_xhat = (total[3, c] + e * sum_delta) * inv_std
            grad_beta[c] = sum_delta
            grad_gamma[c] = sum_delta_xhat
            # ∂L/∂x = a·(δ − b − (x − μ)·k)
            coef[1, c] = gamma[c] * inv_std
            coef[2, c] = sum_delta / n
            coef[3, c] = inv_std * sum_delta_xhat / n
        else:
            # y = (x − μ)·scale + β
            coef[1, c] = gamma[c] / np.sqrt(np.float64(variance[c]) + epsilon)
            coef[2, c] = beta[c]
    return x_finite, grad_finite


@njit(cache=True, error_model="numpy")
def _chunk_apply(x, grad_out, with_grad, lo, hi, coef, out):
    n_channels = x.shape[1]
    if with_grad:
        for m in range(lo, hi):
            for c in range(n_channels):
                out[m, c] = coef[1, c] * (grad_out[m, c] - coef[2, c] - (x[m, c] - coef[0, c]) * coef[3, c])
    else:
        for m in range(lo, hi):
            for c in range(n_channels):
                out[m, c] = (x[m, c] - coef[0, c]) * coef[1, c] + coef[2, c]


@njit(cache=True, error_model="numpy")
def _batch_norm_train_serial(x, grad_out, with_grad, gamma, beta, epsilon, mean, variance, out,
                             grad_gamma, grad_beta):
    n_rows, n_channels = x.shape
    block_rows = max(1, _BLOCK // n_channels)
    chunk_rows = block_rows * _BLOCKS_PER_CHUNK
    n_chunks = (n_rows + chunk_rows - 1) // chunk_rows
    counts = np.empty(n_chunks)
    chunks = np.empty((n_chunks, 4, n_channels))
    block = np.empty((4, n_channels))
    for k in range(n_chunks):
        lo = k * chunk_rows
        counts[k] = _chunk_statistics(x, grad_out, with_grad, lo, min(lo + chunk_rows, n_rows), block_rows,
                                      chunks[k], block)
    coef = np.empty((4, n_channels))
    finite = _finish(counts, chunks, with_grad, gamma, beta, epsilon, mean, variance, grad_gamma, grad_beta,
                     coef)
    _chunk_apply(x, grad_out, with_grad, 0, n_rows, coef, out)
    return finite


@njit(cache=True, parallel=True, error_model="numpy")
def _batch_norm_train_parallel(x, grad_out, with_grad, gamma, beta, epsilon, mean, variance, out,
                               grad_gamma, grad_beta):
    # _batch_norm_train_serial with the chunks shared by the threads: the same numbers
    n_rows, n_channels = x.shape
    block_rows = max(1, _BLOCK // n_channels)
    chunk_rows = block_rows * _BLOCKS_PER_CHUNK
    n_chunks = (n_rows + chunk_rows - 1) // chunk_rows
    counts = np.empty(n_chunks)
    chunks = np.empty((n_chunks, 4, n_channels))
    for k in prange(n_chunks):
        lo = k * chunk_rows
        block = np.empty((4, n_channels))
        counts[k] = _chunk_statistics(x, grad_out, with_grad, lo, min(lo + chunk_rows, n_rows), block_rows,
                                      chunks[k], block)
    coef = np.empty((4, n_channels))
    finite = _finish(counts, chunks, with_grad, gamma, beta, epsilon, mean, variance, grad_gamma, grad_beta,
                     coef)
    for k in prange(n_chunks):
        lo = k * chunk_rows
        _chunk_apply(x, grad_out, with_grad, lo, min(lo + chunk_rows, n_rows), coef, out)
    return finite
# --8<-- [end:batch_norm_fast_loops]


def _batch_norm_train(rows, grad_rows, gamma, beta, epsilon, mean, variance, out, grad_gamma, grad_beta):
    """The training-mode loops on M rows of C channels; ``grad_rows`` None for the forward pass.

    Returns whether x and grad_out were finite (they are scanned by the loops, not before).
    """
    with_grad = grad_rows is not None
    loop = _batch_norm_train_serial if rows.size < PARALLEL_MIN_WORK else _batch_norm_train_parallel
    return loop(rows, grad_rows if with_grad else rows, with_grad, gamma, beta, epsilon, mean, variance, out,
                grad_gamma, grad_beta)


# ---------------------------------------------------------------- validation helpers
def _check_axis(axis, ndim: int, name: str = "axis") -> int:
    """The channel axis as a non-negative index; never the batch axis 0."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {axis!r}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name} must be in [-{ndim}, {ndim}) for an input of {ndim} dimensions, got {axis}")
    axis %= ndim
    if axis == 0:
        raise ValueError(f"{name} must not be the batch axis 0: statistics are taken over the batch")
    return axis


def _rows(x: np.ndarray, axis: int) -> np.ndarray:
    """x viewed as M rows of C channels: the channel axis moved last, made contiguous."""
    if axis == x.ndim - 1 and x.flags.c_contiguous:
        return x.reshape(-1, x.shape[-1])  # a view, as np.ascontiguousarray gave
    moved = np.moveaxis(x, axis, -1)
    return np.ascontiguousarray(moved).reshape(-1, x.shape[axis])


def _unrows(rows: np.ndarray, shape: tuple[int, ...], axis: int) -> np.ndarray:
    """Undo `_rows`: back to the input's shape, C-contiguous."""
    if axis == len(shape) - 1:
        return rows.reshape(shape)
    moved_shape = tuple(np.delete(np.array(shape), axis)) + (shape[axis],)
    return np.ascontiguousarray(np.moveaxis(rows.reshape(moved_shape), -1, axis))


def _channel_vector(value, name: str, dtype: np.dtype, n_channels: int) -> np.ndarray:
    array = as_float_array(value, name, ndim=1)
    if isinstance(value, np.ndarray) and array.dtype != dtype:
        raise TypeError(f"{name} must have the same dtype as x ({dtype}), got {array.dtype}")
    array = np.ascontiguousarray(array, dtype=dtype)
    if array.shape != (n_channels,):
        raise ValueError(f"{name} must have shape ({n_channels},), one value per channel, got {array.shape}")
    return array


def _check_statistics(mean, variance, dtype, n_channels):
    """None, None (training mode) or two checked per-channel vectors (inference mode)."""
    if (mean is None) != (variance is None):
        raise ValueError("mean and variance must be given together (inference) or both left None (training)")
    if mean is None:
        return None, None
    mean = _channel_vector(mean, "mean", dtype, n_channels)
    variance = _channel_vector(variance, "variance", dtype, n_channels)
    if np.any(variance < 0):
        raise ValueError("variance must be >= 0 in every channel")
    return mean, variance


def _check_x(x, axis, finite=True):
    x = as_float_array(x, "x", finite=finite)
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (batch and channel), got shape {x.shape}")
    return x, _check_axis(axis, x.ndim)


def _check_epsilon(epsilon) -> float:
    return check_real(epsilon, "epsilon", low=0.0, low_inclusive=False)


def _checked(check, *values):
    """``check(*values, finite=False)``: every check but the scans of x and grad_out for NaN and inf,
    which the training loops do as they read them. When a check fails the full check runs, so that
    the error of before wins (a NaN in x before a bad gamma)."""
    try:
        # plain Python (NUMBA_DISABLE_JIT=1) scans first, as before
        return check(*values, finite=not _COMPILED)
    except (TypeError, ValueError):
        check(*values, finite=True)
        raise


def _forward_args(x, gamma, beta, axis, epsilon, mean, variance, *, finite=True):
    x, axis = _check_x(x, axis, finite)
    epsilon = _check_epsilon(epsilon)
    n_channels = x.shape[axis]
    gamma = _channel_vector(gamma, "gamma", x.dtype, n_channels)
    beta = _channel_vector(beta, "beta", x.dtype, n_channels)
    given_mean, given_variance = _check_statistics(mean, variance, x.dtype, n_channels)
    return x, axis, epsilon, gamma, beta, given_mean, given_variance


def _backward_args(x, gamma, grad_out, axis, epsilon, mean, variance, *, finite=True):
    x, axis = _check_x(x, axis, finite)
    epsilon = _check_epsilon(epsilon)
    n_channels = x.shape[axis]
    gamma = _channel_vector(gamma, "gamma", x.dtype, n_channels)
    grad_out = as_float_array(grad_out, "grad_out", finite=finite)
    if grad_out.dtype != x.dtype:
        raise TypeError(f"grad_out must have the same dtype as x ({x.dtype}), got {grad_out.dtype}")
    if grad_out.shape != x.shape:
        raise ValueError(f"grad_out must have the shape of x {x.shape}, got {grad_out.shape}")
    given_mean, given_variance = _check_statistics(mean, variance, x.dtype, n_channels)
    return x, axis, epsilon, gamma, grad_out, given_mean, given_variance


def _refuse_non_finite(*arrays_and_names):
    """After a loop saw a NaN or inf: the scans that used to run first, in their order.

    A float64 sum can overflow on finite values; then nothing is refused and the result stands, as
    the definition loop's would."""
    for array, name in arrays_and_names:
        _check_finite_float(array, name)


# ---------------------------------------------------------------- functional form
def batch_norm_forward(x, gamma, beta, *, axis=-1, epsilon=1e-3, mean=None, variance=None):
    r"""Batch normalization of ``x`` along every axis but the channel axis.

    Without ``mean`` and ``variance`` (training mode) each channel is standardised with the
    statistics of this batch, which are returned; with them (inference mode) the given
    statistics are used, typically the moving averages of a `BatchNormalization` layer.

    Parameters
    ----------
    x : array_like of float32 or float64, at least 2-D
        The batch, axis 0 being the batch axis.
    gamma, beta : ndarray, shape (C,)
        The learned scale $\gamma$ and offset $\beta$ of each channel, dtype of ``x``.
    axis : int, optional
        The channel axis; -1 (channels last, Keras) by default, 1 for PyTorch's (N, C, ...).
        It cannot be the batch axis 0.
    epsilon : float, optional
        $\varepsilon > 0$, added to the variance; Keras' 1e-3 by default (PyTorch: 1e-5).
    mean, variance : ndarray, shape (C,), optional
        Statistics to normalise with (inference mode), both or neither.

    Returns
    -------
    y : ndarray
        The normalised batch, same shape and dtype as ``x``.
    mean : ndarray, shape (C,)
        $\mu_c$: the batch mean (training mode) or the given ``mean``.
    variance : ndarray, shape (C,)
        $\sigma_c^2$: the biased batch variance (training mode) or the given ``variance``.

    Raises
    ------
    TypeError
        If an argument is not a float array, ``gamma``/``beta``/``mean``/``variance`` do not have
        the dtype of ``x``, or ``axis`` or ``epsilon`` is not a number.
    ValueError
        If ``x`` has fewer than 2 dimensions, ``axis`` is out of range or 0, a per-channel vector
        does not have shape (C,), only one of ``mean``/``variance`` is given, a variance is
        negative, ``epsilon`` is not positive, or a value is NaN or infinite.

    Notes
    -----
    With the array viewed as $M$ rows $m$ of $C$ channels $c$ ($M$ is the product of every axis
    but the channel axis):

    $$
    \mu_c = \frac1M \sum_{m} x_{m,c}, \qquad
    \sigma_c^2 = \frac1M \sum_{m} (x_{m,c} - \mu_c)^2, \qquad
    \hat x_{m,c} = \frac{x_{m,c} - \mu_c}{\sqrt{\sigma_c^2 + \varepsilon}}, \qquad
    y_{m,c} = \gamma_c\, \hat x_{m,c} + \beta_c .
    $$

    The variance is computed in a second pass over $x - \mu_c$ (not as
    $\overline{x^2} - \mu_c^2$), and the sums run in float64, so a large mean costs no precision.
    """
    x, axis, epsilon, gamma, beta, given_mean, given_variance = _checked(
        _forward_args, x, gamma, beta, axis, epsilon, mean, variance
    )
    n_channels = x.shape[axis]
    rows = _rows(x, axis)
    y = np.empty_like(rows)
    if given_mean is None:
        mean, variance = np.empty(n_channels, x.dtype), np.empty(n_channels, x.dtype)
        # (mean and variance stand in for the gradients, which the forward pass does not write)
        x_finite, _ = _batch_norm_train(rows, None, gamma, beta, epsilon, mean, variance, y, mean, variance)
        if not x_finite:
            _refuse_non_finite((x, "x"))
    else:
        if _COMPILED:
            _check_finite_float(x, "x")
        mean, variance = given_mean.copy(), given_variance.copy()
        _batch_norm_forward_loop(rows, gamma, beta, mean, variance, epsilon, False, y)
    return _unrows(y, x.shape, axis), mean, variance


def batch_norm_backward(x, gamma, grad_out, *, axis=-1, epsilon=1e-3, mean=None, variance=None):
    r"""Gradients of the loss through batch normalization, by the chain rule.

    Without ``mean`` and ``variance`` (training mode) the batch statistics are recomputed from
    ``x`` and differentiated too, since every sample moves $\mu_c$ and $\sigma_c^2$; with them
    (inference mode) they are constants.

    Parameters
    ----------
    x : array_like of float32 or float64, at least 2-D
        The input of the forward pass.
    gamma : ndarray, shape (C,)
        The scale $\gamma$, dtype of ``x``. ($\beta$ does not enter the gradients.)
    grad_out : ndarray, same shape and dtype as ``x``
        $\delta = \partial L / \partial y$.
    axis, epsilon, mean, variance
        As in `batch_norm_forward`, with the same values as the forward pass.

    Returns
    -------
    grad_x : ndarray, same shape and dtype as ``x``
        $\partial L / \partial x$.
    grad_gamma : ndarray, shape (C,)
        $\partial L / \partial \gamma$.
    grad_beta : ndarray, shape (C,)
        $\partial L / \partial \beta$.

    Raises
    ------
    TypeError
        If an argument is not a float array or does not have the dtype of ``x``, or ``axis`` or
        ``epsilon`` is not a number.
    ValueError
        As `batch_norm_forward`, or if ``grad_out`` does not have the shape of ``x``.

    Notes
    -----
    With $\delta_{m,c} = \partial L / \partial y_{m,c}$ and the sums over the $M$ rows,

    $$
    \frac{\partial L}{\partial \beta_c} = \sum_m \delta_{m,c}, \qquad
    \frac{\partial L}{\partial \gamma_c} = \sum_m \delta_{m,c}\, \hat x_{m,c}, \qquad
    \frac{\partial L}{\partial x_{m,c}} = \frac{\gamma_c}{\sqrt{\sigma_c^2 + \varepsilon}}
    \Big( \delta_{m,c} - \frac1M \frac{\partial L}{\partial \beta_c}
    - \hat x_{m,c}\, \frac1M \frac{\partial L}{\partial \gamma_c} \Big) .
    $$

    The two subtracted terms come from the paths through $\mu_c$ and $\sigma_c^2$; in inference
    mode they are absent and $\partial L / \partial x_{m,c} = \gamma_c\, \delta_{m,c} /
    \sqrt{\sigma_c^2 + \varepsilon}$.
    """
    x, axis, epsilon, gamma, grad_out, given_mean, given_variance = _checked(
        _backward_args, x, gamma, grad_out, axis, epsilon, mean, variance
    )
    rows = _rows(x, axis)
    if given_mean is None:
        # the batch statistics and the gradients' sums in one pass over x and grad_out
        grads, finite = _train_backward_rows(rows, gamma, epsilon, _rows(grad_out, axis))
        if not all(finite):
            _refuse_non_finite((x, "x"), (grad_out, "grad_out"))
    else:
        if _COMPILED:
            _refuse_non_finite((x, "x"), (grad_out, "grad_out"))
        grads = _backward_rows(rows, gamma, given_mean, given_variance, epsilon, _rows(grad_out, axis), False)
    return _unrows(grads[0], x.shape, axis), grads[1], grads[2]


def _train_backward_rows(rows, gamma, epsilon, delta_rows):
    """Training-mode gradients, the statistics recomputed from ``rows``; and whether x and δ were finite."""
    grad_x = np.empty_like(rows)
    grad_gamma = np.empty_like(gamma)
    grad_beta = np.empty_like(gamma)
    mean, variance = np.empty_like(gamma), np.empty_like(gamma)
    finite = _batch_norm_train(rows, delta_rows, gamma, gamma, epsilon, mean, variance, grad_x, grad_gamma,
                               grad_beta)
    return (grad_x, grad_gamma, grad_beta), finite


def _backward_rows(rows, gamma, mean, variance, epsilon, delta_rows, batch_stats):
    grad_x = np.empty_like(rows)
    grad_gamma = np.empty_like(gamma)
    grad_beta = np.empty_like(gamma)
    _batch_norm_backward_loop(rows, gamma, mean, variance, epsilon, delta_rows, batch_stats,
                              grad_x, grad_gamma, grad_beta)
    return grad_x, grad_gamma, grad_beta


# ---------------------------------------------------------------- the layer
class BatchNormalization:
    r"""A batch-normalization layer: $\gamma$, $\beta$, moving statistics, forward and backward.

    One class serves both frameworks: ``convention`` picks how the moving statistics are
    updated and the defaults of ``axis``, ``momentum`` and ``epsilon``, so that the numbers
    copied from either framework's code mean what they mean there. The normalisation itself,
    its gradients and the use of the biased batch variance in training are the same in both.

    Parameters
    ----------
    axis : int or None, optional
        The channel axis. None: -1 for Keras (channels last), 1 for PyTorch.
    momentum : float or None, optional
        $\kappa \in [0, 1]$. None: 0.99 for Keras, where it weights the old moving value;
        0.1 for PyTorch, where it weights the new batch value.
    epsilon : float or None, optional
        $\varepsilon > 0$. None: 1e-3 for Keras, 1e-5 for PyTorch.
    convention : {"keras", "torch"}, optional
        Whose semantics to follow; "keras" by default. With "torch" the moving variance is
        updated with the unbiased batch variance $\sigma_c^2 M / (M - 1)$, so training needs
        $M \ge 2$ values per channel, as in PyTorch.

    Attributes
    ----------
    gamma, beta : ndarray or None
        $\gamma$ (ones) and $\beta$ (zeros), shape (C,); None until `build` or the first `forward`.
    moving_mean, moving_variance : ndarray or None
        $\bar\mu$ (zeros) and $\bar\sigma^2$ (ones); PyTorch calls them ``running_mean`` and
        ``running_var``.
    grad_gamma, grad_beta : ndarray or None
        $\partial L / \partial \gamma$ and $\partial L / \partial \beta$ from the last `backward`.
    axis, momentum, epsilon, convention
        The resolved settings.

    Raises
    ------
    TypeError
        If ``axis`` is not an integer or ``momentum``/``epsilon`` not real numbers.
    ValueError
        If ``convention`` is unknown, ``momentum`` is outside $[0, 1]$ or ``epsilon`` is not
        positive.

    Notes
    -----
    In training, `forward` normalises with the batch statistics $\mu_c, \sigma_c^2$ and then
    updates the moving statistics; in inference it normalises with $\bar\mu_c, \bar\sigma_c^2$:

    $$
    \begin{aligned}
    \text{Keras:}\quad & \bar\mu_c \leftarrow \kappa\,\bar\mu_c + (1 - \kappa)\,\mu_c, &
    \bar\sigma_c^2 &\leftarrow \kappa\,\bar\sigma_c^2 + (1 - \kappa)\,\sigma_c^2, \\
    \text{PyTorch:}\quad & \bar\mu_c \leftarrow (1 - \kappa)\,\bar\mu_c + \kappa\,\mu_c, &
    \bar\sigma_c^2 &\leftarrow (1 - \kappa)\,\bar\sigma_c^2 + \kappa\,\frac{M}{M - 1}\,\sigma_c^2 .
    \end{aligned}
    $$
    """

    def __init__(self, axis=None, momentum=None, epsilon=None, convention="keras"):
        if convention not in _CONVENTIONS:
            raise ValueError(f"convention must be 'keras' or 'torch', got {convention!r}")
        defaults = _CONVENTIONS[convention]
        self.convention = convention
        self.axis = defaults["axis"] if axis is None else axis
        if isinstance(self.axis, (bool, np.bool_)) or not isinstance(self.axis, numbers.Integral):
            raise TypeError(f"axis must be an integer, got {axis!r}")
        self.axis = int(self.axis)
        self.momentum = check_real(defaults["momentum"] if momentum is None else momentum,
                                   "momentum", low=0.0, high=1.0)
        self.epsilon = _check_epsilon(defaults["epsilon"] if epsilon is None else epsilon)
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        self.grad_gamma = self.grad_beta = None
        self._cache = None

    def __repr__(self) -> str:
        return (f"BatchNormalization(axis={self.axis}, momentum={self.momentum}, "
                f"epsilon={self.epsilon}, convention={self.convention!r})")

    def build(self, n_channels, dtype=np.float32):
        r"""Create $\gamma = 1$, $\beta = 0$, $\bar\mu = 0$, $\bar\sigma^2 = 1$ for ``n_channels``.

        Called by the first `forward` with the channel count and dtype of its input; call it
        yourself to set the parameters before that.

        Parameters
        ----------
        n_channels : int
            $C$, at least 1.
        dtype : {numpy.float32, numpy.float64}, optional
            Dtype of the four vectors; float32 by default, like Keras.

        Raises
        ------
        TypeError
            If ``n_channels`` is not an integer or ``dtype`` not float32/float64.
        ValueError
            If ``n_channels`` is below 1.
        """

        if isinstance(n_channels, (bool, np.bool_)) or not isinstance(n_channels, numbers.Integral):
            raise TypeError(f"n_channels must be an integer, got {n_channels!r}")
        if n_channels < 1:
            raise ValueError(f"n_channels must be >= 1, got {n_channels}")
        dtype = check_float_dtype(dtype)
        self.gamma = np.ones(n_channels, dtype)
        self.beta = np.zeros(n_channels, dtype)
        self.moving_mean = np.zeros(n_channels, dtype)
        self.moving_variance = np.ones(n_channels, dtype)

    def forward(self, x, training):
        r"""Normalise a batch; in training, also update the moving statistics.

        Parameters
        ----------
        x : array_like of float, at least 2-D
            The batch. A float array of the other precision is converted to the layer's dtype,
            as Keras layers do.
        training : bool
            True: batch statistics, and the moving statistics are updated. False: the moving
            statistics, nothing is updated.

        Returns
        -------
        ndarray
            $y$, same shape as ``x``, dtype of the layer.

        Raises
        ------
        TypeError
            If ``x`` is not a float array or ``training`` not a bool.
        ValueError
            If ``x`` has fewer than 2 dimensions, the axis is out of range or 0, the channel count
            differs from the layer's, a value is not finite, or (PyTorch convention) training
            gets a single value per channel.
        """
        training = check_bool(training, "training")
        x, axis = _check_x(x, self.axis)
        if self.gamma is None:
            self.build(x.shape[axis], x.dtype)
        x = np.ascontiguousarray(x, dtype=self.gamma.dtype)
        n_channels = self.gamma.shape[0]
        if x.shape[axis] != n_channels:
            raise ValueError(f"x must have {n_channels} channels on axis {self.axis}, got shape {x.shape}")
        rows = _rows(x, axis)
        if training and self.convention == "torch" and rows.shape[0] < 2:
            raise ValueError("x must hold more than 1 value per channel in training "
                             "(the unbiased variance divides by M - 1)")
        if training:
            mean, variance = np.empty_like(self.gamma), np.empty_like(self.gamma)
        else:
            mean, variance = self.moving_mean.copy(), self.moving_variance.copy()
        y = np.empty_like(rows)
        if training:
            # x was scanned above (a cast to float32 can make a finite float64 infinite)
            _batch_norm_train(rows, None, self.gamma, self.beta, self.epsilon, mean, variance, y, mean, variance)
        else:
            _batch_norm_forward_loop(rows, self.gamma, self.beta, mean, variance, self.epsilon, False, y)
        if training:
            _moving_statistics_loop(self.moving_mean, self.moving_variance, mean, variance,
                                    self.momentum, rows.shape[0], self.convention == "torch")
        self._cache = (rows, mean, variance, training, x.shape, axis)
        return _unrows(y, x.shape, axis)

    def backward(self, grad_out):
        r"""$\partial L / \partial x$ for the last `forward`; stores the parameter gradients.

        Parameters
        ----------
        grad_out : array_like of float, shape of the last input
            $\delta = \partial L / \partial y$, converted to the layer's dtype.

        Returns
        -------
        ndarray
            $\partial L / \partial x$, shape of the last input. ``grad_gamma`` and ``grad_beta``
            are set. After a training `forward` the batch statistics are differentiated too;
            after an inference `forward` they are constants.

        Raises
        ------
        RuntimeError
            If `forward` has not been called.
        TypeError
            If ``grad_out`` is not a float array.
        ValueError
            If ``grad_out`` does not have the shape of the last input or holds non-finite values.
        """
        if self._cache is None:
            raise RuntimeError("backward() needs a forward() first")
        rows, mean, variance, training, shape, axis = self._cache
        grad_out = as_float_array(grad_out, "grad_out", dtype=self.gamma.dtype)
        if grad_out.shape != shape:
            raise ValueError(f"grad_out must have the shape of the last input {shape}, got {grad_out.shape}")
        if training:
            # the statistics recomputed as batch_norm_backward does (the same numbers as forward's)
            (grad_x, self.grad_gamma, self.grad_beta), _ = _train_backward_rows(
                rows, self.gamma, self.epsilon, _rows(grad_out, axis)
            )
        else:
            grad_x, self.grad_gamma, self.grad_beta = _backward_rows(
                rows, self.gamma, mean, variance, self.epsilon, _rows(grad_out, axis), False
            )
        return _unrows(grad_x, shape, axis)
