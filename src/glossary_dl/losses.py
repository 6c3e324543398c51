r"""Loss functions and their gradients, with Keras 3 semantics.

Every loss reduces the last axis of a sample (mean for the squared error and
binary cross-entropy, sum for the categorical cross-entropies) and then takes
the mean over the remaining $M$ positions (Keras' ``sum_over_batch_size``):
for ``y_pred`` of shape ``(N, C)`` that is the mean over the batch, for
``(N, T, C)`` the mean over the $M = N \cdot T$ rows. Each ``*_grad`` function
returns the derivative of that scalar with respect to ``y_pred`` (with respect
to the logits $z$ when ``from_logits=True``), with ``y_pred``'s shape and dtype.

The probability paths clip to $[\epsilon, 1 - \epsilon]$ with
$\epsilon = 10^{-7}$ as Keras does; the clip bounds are taken in the input
dtype, so in float32 the upper bound is ``float32(1 - 1e-7) = 0.99999988``,
exactly the value Keras and PyTorch use on float32 tensors.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from glossary_dl._dots import _FASTMATH
from glossary_dl._parallel import PARALLEL_MIN_WORK
from glossary_dl._validation import (
    _all_finite_loop,
    all_within,
    as_float_array,
    as_label_array,
    check_bool,
    check_in_unit_interval,
    check_same_shape,
    checked_without_finiteness,
)
from glossary_dl._vector_math import exp_nonpositive, log1p_unit, row_max

__all__ = [
    "mean_squared_error",
    "mean_squared_error_grad",
    "binary_crossentropy",
    "binary_crossentropy_grad",
    "categorical_crossentropy",
    "categorical_crossentropy_grad",
    "sparse_categorical_crossentropy",
    "sparse_categorical_crossentropy_grad",
]

# Keras' backend.epsilon(): the probability clip used by every cross-entropy.
_EPSILON = 1e-7


# ---------------------------------------------------------------- validation
def _prepare_pred(y_pred, *, probabilities: bool, finite: bool = True) -> np.ndarray:
    """``y_pred`` as a writeable C-contiguous float array of rank >= 1."""
    array = as_float_array(y_pred, "y_pred", finite=finite)
    if array.ndim == 0:
        raise ValueError("y_pred must have at least 1 dimension, got a scalar")
    y_pred = array
    if probabilities:
        check_in_unit_interval(y_pred, "y_pred")
    return y_pred


def _prepare_target(y_true, y_pred: np.ndarray, *, unit_interval: bool, finite: bool = True) -> np.ndarray:
    """``y_true`` with ``y_pred``'s shape, cast to ``y_pred``'s dtype (ints and bools accepted)."""
    if isinstance(y_true, np.ndarray) and y_true.dtype.kind in "iub":
        y_true = y_true.astype(y_pred.dtype)
    array = as_float_array(y_true, "y_true", dtype=y_pred.dtype, finite=finite)
    if np.ndim(y_true) == 0:
        raise ValueError(f"y_true and y_pred must have the same shape, got () and {y_pred.shape}")
    y_true = array
    check_same_shape(y_true, "y_true", y_pred, "y_pred")
    if unit_interval and not all_within(y_true, 0.0, 1.0):
        raise ValueError("y_true must hold target probabilities in [0, 1]")
    return y_true


def _prepare_labels(y_true, y_pred: np.ndarray) -> np.ndarray:
    """Class labels of shape (N,) or (N, 1) as a flat int64 array of values in [0, C)."""
    labels = as_label_array(y_true, "y_true", ndim=(1, 2))
    n_samples, n_classes = y_pred.shape
    if labels.ndim == 2 and labels.shape[1] != 1:
        raise ValueError(
            f"y_true must hold one integer label per sample, shape ({n_samples},) or "
            f"({n_samples}, 1), got shape {labels.shape}; pass one-hot targets to "
            "categorical_crossentropy instead"
        )
    labels = np.ascontiguousarray(labels.reshape(-1))
    if labels.shape[0] != n_samples:
        raise ValueError(
            f"y_true must have one label per row of y_pred ({n_samples}), got {labels.shape[0]}"
        )
    if not all_within(labels, 0, n_classes - 1):
        raise ValueError(
            f"y_true must hold class labels in [0, {n_classes}), got values from "
            f"{labels.min()} to {labels.max()}"
        )
    return labels


def _check_positive_rows(y_pred2d: np.ndarray) -> None:
    """The probability paths divide by Σ_c p_c, so every row needs some mass."""
    if np.any(y_pred2d.sum(axis=1) <= 0.0):
        raise ValueError(
            "y_pred must have a positive sum over the last axis in every row "
            "(it is renormalised to p / Σ p)"
        )


def _rows(array: np.ndarray) -> np.ndarray:
    """View as (M, D): the reduced axis last, every leading axis folded into M."""
    return array.reshape(-1, array.shape[-1])


def _clip_bounds(dtype: np.dtype) -> tuple[float, float]:
    """[ε, 1 − ε] rounded to the input dtype, as the frameworks clip float32 tensors."""
    return float(dtype.type(_EPSILON)), float(dtype.type(1.0 - _EPSILON))


# ---------------------------------------------------------------- mean squared error
def mean_squared_error(y_true, y_pred):
    r"""Mean squared error, averaged over the last axis and then over the batch.

    Parameters
    ----------
    y_true : array_like, shape (..., D)
        Targets $y$. Integer and bool arrays are accepted and cast to
        ``y_pred``'s dtype.
    y_pred : array_like of float32 or float64, shape (..., D)
        Predictions $\hat y$, rank at least 1. Lists become float64.

    Returns
    -------
    numpy.floating
        The loss $L$, a scalar of ``y_pred``'s dtype (accumulated in float64).

    Raises
    ------
    TypeError
        If an argument is not a real-valued array (complex, object, string),
        or ``y_pred`` is an integer array.
    ValueError
        If the shapes differ, an array is empty or of rank 0, or holds NaN or inf.

    Notes
    -----
    With the leading axes folded into $M$ rows of $D$ values,

    $$
    L = \frac{1}{M} \sum_{m=1}^{M} \frac{1}{D} \sum_{d=1}^{D} \left(\hat y_{md} - y_{md}\right)^2,
    \qquad
    \frac{\partial L}{\partial \hat y_{md}} = \frac{2}{MD}\left(\hat y_{md} - y_{md}\right).
    $$
    """
    return _loss(_MSE, y_true, y_pred)


def mean_squared_error_grad(y_true, y_pred):
    r"""Gradient of :func:`mean_squared_error` with respect to ``y_pred``.

    Parameters
    ----------
    y_true : array_like, shape (..., D)
        Targets $y$ (integer and bool arrays are cast to ``y_pred``'s dtype).
    y_pred : array_like of float32 or float64, shape (..., D)
        Predictions $\hat y$.

    Returns
    -------
    numpy.ndarray
        $\partial L / \partial \hat y$, same shape and dtype as ``y_pred``.

    Raises
    ------
    TypeError
        As :func:`mean_squared_error`.
    ValueError
        As :func:`mean_squared_error`.

    Notes
    -----
    $$
    \frac{\partial L}{\partial \hat y_{md}} = \frac{2}{MD}\left(\hat y_{md} - y_{md}\right)
    $$
    """
    return _loss_grad(_MSE, y_true, y_pred)


# --8<-- [start:mse_loop]
@njit(cache=True, fastmath=_FASTMATH)
def _mse_loop(y_true, y_pred):
    n_rows, n_cols = y_pred.shape
    total = 0.0
    for m in range(n_rows):
        for d in range(n_cols):
            diff = float(y_pred[m, d]) - float(y_true[m, d])
            # Σ_m Σ_d (ŷ_md − y_md)²
            total += diff * diff
    # L = (1/M)·Σ_m (1/D)·Σ_d (ŷ_md − y_md)²
    return total / (n_rows * n_cols)


@njit(cache=True)
def _mse_grad_loop(y_true, y_pred, grad, batch):
    # M = batch: the rows of the whole batch, of which this call may see a block
    n_rows, n_cols = y_pred.shape
    scale = 2.0 / (batch * n_cols)
    for m in range(n_rows):
        for d in range(n_cols):
            # ∂L/∂ŷ_md = 2·(ŷ_md − y_md)/(M·D)
            grad[m, d] = scale * (float(y_pred[m, d]) - float(y_true[m, d]))
# --8<-- [end:mse_loop]


# ---------------------------------------------------------------- binary cross-entropy
def binary_crossentropy(y_true, y_pred, from_logits=False):
    r"""Binary cross-entropy, averaged over the last axis and then over the batch.

    Parameters
    ----------
    y_true : array_like, shape (..., D)
        Target probabilities $y \in [0, 1]$ (usually 0 or 1). Integer and bool
        arrays are accepted and cast to ``y_pred``'s dtype.
    y_pred : array_like of float32 or float64, shape (..., D)
        Predicted probabilities $\hat y \in [0, 1]$, or logits $z$ when
        ``from_logits=True``. Rank at least 1; lists become float64.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (any finite real) rather than probabilities.

    Returns
    -------
    numpy.floating
        The loss $L$, a scalar of ``y_pred``'s dtype (accumulated in float64).

    Raises
    ------
    TypeError
        If ``from_logits`` is not a bool, an argument is not a real-valued
        array, or ``y_pred`` is an integer array.
    ValueError
        If the shapes differ, an array is empty or of rank 0, holds NaN or inf,
        ``y_true`` is outside $[0, 1]$, or (probabilities) ``y_pred`` is outside $[0, 1]$.

    Notes
    -----
    Probabilities are clipped to $\tilde y = \min(\max(\hat y, \epsilon), 1 - \epsilon)$,
    $\epsilon = 10^{-7}$, so a certain and wrong prediction costs
    $-\ln 10^{-7} \approx 16.118$ instead of $\infty$. Logits use the stable form
    of $-y \ln \sigma(z) - (1 - y) \ln(1 - \sigma(z))$:

    $$
    L = \frac{1}{MD} \sum_{m,d} \ell_{md}, \qquad
    \ell_{md} =
    \begin{cases}
    -y_{md} \ln \tilde y_{md} - (1 - y_{md}) \ln(1 - \tilde y_{md}) & \text{probabilities,} \\
    \max(z_{md}, 0) - z_{md}\, y_{md} + \ln\!\left(1 + e^{-|z_{md}|}\right) & \text{logits.}
    \end{cases}
    $$
    """
    return _loss(_BCE, y_true, y_pred, check_bool(from_logits, "from_logits"))


def binary_crossentropy_grad(y_true, y_pred, from_logits=False):
    r"""Gradient of :func:`binary_crossentropy` with respect to ``y_pred`` (or the logits).

    Parameters
    ----------
    y_true : array_like, shape (..., D)
        Target probabilities $y \in [0, 1]$.
    y_pred : array_like of float32 or float64, shape (..., D)
        Predicted probabilities $\hat y$, or logits $z$ when ``from_logits=True``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.

    Returns
    -------
    numpy.ndarray
        $\partial L / \partial \hat y$ (or $\partial L / \partial z$), same shape
        and dtype as ``y_pred``.

    Raises
    ------
    TypeError
        As :func:`binary_crossentropy`.
    ValueError
        As :func:`binary_crossentropy`.

    Notes
    -----
    The derivative is zero where the clip is active ($\hat y < \epsilon$ or
    $\hat y > 1 - \epsilon$), as automatic differentiation through a clip gives.

    $$
    \frac{\partial L}{\partial \hat y_{md}} =
    \frac{\mathbb{1}[\epsilon \le \hat y_{md} \le 1 - \epsilon]}{MD}
    \left(\frac{1 - y_{md}}{1 - \tilde y_{md}} - \frac{y_{md}}{\tilde y_{md}}\right),
    \qquad
    \frac{\partial L}{\partial z_{md}} = \frac{\sigma(z_{md}) - y_{md}}{MD}.
    $$
    """
    return _loss_grad(_BCE, y_true, y_pred, check_bool(from_logits, "from_logits"))


# --8<-- [start:bce_loop]
# No reassociation here: it would merge the two steps of exp_nonpositive's argument reduction
# ((z − n·ln2_hi) − n·ln2_lo) and cost σ(−400) 60 ulp (tests/test_activations.py: fast path).
@njit(cache=True, error_model="numpy")
def _sigmoid(z):
    # σ(z) = 1/(1 + e^{−z}) for z ≥ 0 and e^{z}/(1 + e^{z}) for z < 0: with e = e^{−|z|} ≤ 1, exp never
    # overflows (and exp_nonpositive, vectorised, applies)
    e = exp_nonpositive(-abs(z))
    return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _bce_loop(y_true, y_pred, from_logits, low, high):
    n_rows, n_cols = y_pred.shape
    total = 0.0
    for m in range(n_rows):
        for d in range(n_cols):
            y = float(y_true[m, d])
            if from_logits:
                z = float(y_pred[m, d])
                # ℓ = max(z, 0) − z·y + ln(1 + e^{−|z|})   (never exp of a large positive number)
                total += max(z, 0.0) - z * y + log1p_unit(exp_nonpositive(-abs(z)))
            else:
                # ỹ = min(max(ŷ, ε), 1 − ε)
                p = min(max(float(y_pred[m, d]), low), high)
                # ℓ = −y·ln ỹ − (1 − y)·ln(1 − ỹ)
                total += -y * np.log(p) - (1.0 - y) * np.log1p(-p)
    # L = (1/(M·D))·Σ_m Σ_d ℓ_md
    return total / (n_rows * n_cols)


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _bce_grad_loop(y_true, y_pred, from_logits, low, high, grad, batch):
    # M = batch: the rows of the whole batch, of which this call may see a block
    n_rows, n_cols = y_pred.shape
    scale = 1.0 / (batch * n_cols)
    for m in range(n_rows):
        for d in range(n_cols):
            y = float(y_true[m, d])
            x = float(y_pred[m, d])
            if from_logits:
                # ∂L/∂z = (σ(z) − y)/(M·D)
                grad[m, d] = scale * (_sigmoid(x) - y)
            elif x < low or x > high:
                # the clip is flat here: ∂ỹ/∂ŷ = 0
                grad[m, d] = 0.0
            else:
                # ∂L/∂ŷ = ((1 − y)/(1 − ỹ) − y/ỹ)/(M·D), with ỹ = ŷ inside the clip
                grad[m, d] = scale * ((1.0 - y) / (1.0 - x) - y / x)
# --8<-- [end:bce_loop]


# ---------------------------------------------------------------- categorical cross-entropy
def categorical_crossentropy(y_true, y_pred, from_logits=False):
    r"""Categorical cross-entropy: summed over the classes (last axis), averaged over the batch.

    Parameters
    ----------
    y_true : array_like, shape (..., C)
        Target distribution $y$ over the $C$ classes (one-hot or soft), values
        in $[0, 1]$. Integer and bool arrays are cast to ``y_pred``'s dtype.
    y_pred : array_like of float32 or float64, shape (..., C)
        Predicted probabilities $\hat y$, or logits $z$ when ``from_logits=True``.
        Typically (N, C); rank at least 1 (a rank-1 input is one sample).
    from_logits : bool, default False
        Whether ``y_pred`` holds logits rather than probabilities.

    Returns
    -------
    numpy.floating
        The loss $L$, a scalar of ``y_pred``'s dtype (accumulated in float64).

    Raises
    ------
    TypeError
        If ``from_logits`` is not a bool, an argument is not a real-valued
        array, or ``y_pred`` is an integer array.
    ValueError
        If the shapes differ, an array is empty or of rank 0, holds NaN or inf,
        ``y_true`` is outside $[0, 1]$, or (probabilities) ``y_pred`` is outside
        $[0, 1]$ or has a row summing to 0.

    Notes
    -----
    Probabilities are first renormalised over the classes, then clipped,
    $\tilde y_{mc} = \min(\max(\hat y_{mc} / \sum_k \hat y_{mk}, \epsilon), 1 - \epsilon)$
    with $\epsilon = 10^{-7}$. Logits go through a log-softmax computed with the
    log-sum-exp shift $z^{\max}_m = \max_k z_{mk}$:

    $$
    L = -\frac{1}{M} \sum_{m=1}^{M} \sum_{c=1}^{C} y_{mc} \ln \tilde y_{mc},
    \qquad
    \ln \tilde y_{mc} = z_{mc} - z^{\max}_m - \ln \sum_{k=1}^{C} e^{z_{mk} - z^{\max}_m}
    \quad \text{(logits).}
    $$
    """
    return _loss(_CCE, y_true, y_pred, check_bool(from_logits, "from_logits"))


def categorical_crossentropy_grad(y_true, y_pred, from_logits=False):
    r"""Gradient of :func:`categorical_crossentropy` with respect to ``y_pred`` (or the logits).

    Parameters
    ----------
    y_true : array_like, shape (..., C)
        Target distribution $y$, values in $[0, 1]$.
    y_pred : array_like of float32 or float64, shape (..., C)
        Predicted probabilities $\hat y$, or logits $z$ when ``from_logits=True``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.

    Returns
    -------
    numpy.ndarray
        $\partial L / \partial \hat y$ (or $\partial L / \partial z$), same shape
        and dtype as ``y_pred``.

    Raises
    ------
    TypeError
        As :func:`categorical_crossentropy`.
    ValueError
        As :func:`categorical_crossentropy`.

    Notes
    -----
    With $S_m = \sum_k \hat y_{mk}$, $q_{mc} = \hat y_{mc} / S_m$ and
    $u_{mc} = -\mathbb{1}[\epsilon \le q_{mc} \le 1 - \epsilon]\, y_{mc} / (M \tilde y_{mc})$
    (zero where the clip is active), the renormalisation's chain rule gives the
    first form; for logits, with the softmax $s_{mc}$, the second:

    $$
    \frac{\partial L}{\partial \hat y_{mj}} = \frac{1}{S_m}\left(u_{mj} - \sum_{c} u_{mc}\, q_{mc}\right),
    \qquad
    \frac{\partial L}{\partial z_{mj}} = \frac{1}{M}\left(s_{mj} \sum_{c} y_{mc} - y_{mj}\right).
    $$
    """
    return _loss_grad(_CCE, y_true, y_pred, check_bool(from_logits, "from_logits"))


# --8<-- [start:cce_loop]
@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _log_sum_exp_row(z, m):
    n_classes = z.shape[1]
    # z^max_m = max_k z_mk, so that every exponent below is ≤ 0
    z_max = float(row_max(z, m))
    # Σ_k e^{z_mk − z^max_m} ∈ [1, C]
    total = 0.0
    for k in range(n_classes):
        total += exp_nonpositive(float(z[m, k]) - z_max)
    # ln Σ_k e^{z_mk} = z^max_m + ln Σ_k e^{z_mk − z^max_m}
    return z_max + np.log(total)


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _cce_loop(y_true, y_pred, from_logits, low, high):
    n_rows, n_classes = y_pred.shape
    total = 0.0
    for m in range(n_rows):
        if from_logits:
            lse = _log_sum_exp_row(y_pred, m)
            for c in range(n_classes):
                # −y_mc·ln ỹ_mc with ln ỹ_mc = z_mc − ln Σ_k e^{z_mk}
                total -= float(y_true[m, c]) * (float(y_pred[m, c]) - lse)
        else:
            # S_m = Σ_k ŷ_mk
            row_sum = 0.0
            for k in range(n_classes):
                row_sum += float(y_pred[m, k])
            for c in range(n_classes):
                # ỹ_mc = min(max(ŷ_mc/S_m, ε), 1 − ε)
                p = min(max(float(y_pred[m, c]) / row_sum, low), high)
                # −y_mc·ln ỹ_mc
                total -= float(y_true[m, c]) * np.log(p)
    # L = (1/M)·Σ_m Σ_c (−y_mc·ln ỹ_mc)
    return total / n_rows


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _cce_grad_loop(y_true, y_pred, from_logits, low, high, grad, batch):
    # M = batch: the rows of the whole batch, of which this call may see a block
    n_rows, n_classes = y_pred.shape
    scale = 1.0 / batch
    for m in range(n_rows):
        if from_logits:
            lse = _log_sum_exp_row(y_pred, m)
            # Σ_c y_mc (1 for a one-hot or normalised soft target)
            y_sum = 0.0
            for c in range(n_classes):
                y_sum += float(y_true[m, c])
            for j in range(n_classes):
                # s_mj = e^{z_mj − ln Σ_k e^{z_mk}}, the exponent rounded once to the dtype of z (a float64
                # exponent would run float32 input through the float64 exp, at half the SIMD width)
                s = exp_nonpositive(grad.dtype.type(float(y_pred[m, j]) - lse))
                # ∂L/∂z_mj = (s_mj·Σ_c y_mc − y_mj)/M
                grad[m, j] = scale * (s * y_sum - float(y_true[m, j]))
        else:
            # S_m = Σ_k ŷ_mk
            row_sum = 0.0
            for k in range(n_classes):
                row_sum += float(y_pred[m, k])
            # first pass: u_mc = ∂L/∂q_mc, kept in grad; Σ_c u_mc·q_mc accumulated
            u_dot_q = 0.0
            for c in range(n_classes):
                q = float(y_pred[m, c]) / row_sum
                if q < low or q > high:
                    # the clip is flat here: ∂ỹ/∂q = 0
                    u = 0.0
                else:
                    # u_mc = −y_mc/(M·q_mc)
                    u = -scale * float(y_true[m, c]) / q
                grad[m, c] = u
                u_dot_q += u * q
            for j in range(n_classes):
                # ∂L/∂ŷ_mj = (u_mj − Σ_c u_mc·q_mc)/S_m, since ∂q_mc/∂ŷ_mj = (δ_cj − q_mc)/S_m
                grad[m, j] = (float(grad[m, j]) - u_dot_q) / row_sum
# --8<-- [end:cce_loop]


# ---------------------------------------------------------------- sparse categorical cross-entropy
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    r"""Categorical cross-entropy with integer class labels instead of one-hot targets.

    Parameters
    ----------
    y_true : array_like of int, shape (N,) or (N, 1)
        Class labels $t_n \in \{0, \dots, C - 1\}$. Floats holding whole
        numbers are accepted (as Keras does).
    y_pred : array_like of float32 or float64, shape (N, C)
        Predicted probabilities $\hat y$, or logits $z$ when ``from_logits=True``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits rather than probabilities.

    Returns
    -------
    numpy.floating
        The loss $L$, a scalar of ``y_pred``'s dtype (accumulated in float64).

    Raises
    ------
    TypeError
        If ``from_logits`` is not a bool, ``y_true`` is not an integer (or
        whole-number float) array, or ``y_pred`` is not a float array.
    ValueError
        If ``y_pred`` is not 2-D, ``y_true`` does not hold one label per row,
        a label is fractional or outside $[0, C)$, an array is empty or holds
        NaN or inf, or (probabilities) ``y_pred`` is outside $[0, 1]$ or has a
        row summing to 0.

    Notes
    -----
    The same loss as :func:`categorical_crossentropy` with the one-hot target
    $y_{nc} = \mathbb{1}[c = t_n]$, so only the true class's term survives
    ($\tilde y$ is the renormalised, clipped probability; for logits, the log-softmax):

    $$
    L = -\frac{1}{N} \sum_{n=1}^{N} \ln \tilde y_{n t_n}.
    $$
    """
    return _loss(_SPARSE_CCE, y_true, y_pred, check_bool(from_logits, "from_logits"))


def sparse_categorical_crossentropy_grad(y_true, y_pred, from_logits=False):
    r"""Gradient of :func:`sparse_categorical_crossentropy` with respect to ``y_pred`` (or the logits).

    Parameters
    ----------
    y_true : array_like of int, shape (N,) or (N, 1)
        Class labels $t_n \in \{0, \dots, C - 1\}$.
    y_pred : array_like of float32 or float64, shape (N, C)
        Predicted probabilities $\hat y$, or logits $z$ when ``from_logits=True``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.

    Returns
    -------
    numpy.ndarray
        $\partial L / \partial \hat y$ (or $\partial L / \partial z$), shape (N, C),
        ``y_pred``'s dtype.

    Raises
    ------
    TypeError
        As :func:`sparse_categorical_crossentropy`.
    ValueError
        As :func:`sparse_categorical_crossentropy`.

    Notes
    -----
    With $S_n = \sum_k \hat y_{nk}$ and $q_{nc} = \hat y_{nc} / S_n$, the one-hot
    special case of :func:`categorical_crossentropy_grad` (zero where the clip
    on $q_{n t_n}$ is active); for logits, softmax minus one-hot:

    $$
    \frac{\partial L}{\partial \hat y_{nj}} = \frac{q_{n t_n} - \mathbb{1}[j = t_n]}{N\, S_n\, q_{n t_n}},
    \qquad
    \frac{\partial L}{\partial z_{nj}} = \frac{s_{nj} - \mathbb{1}[j = t_n]}{N}.
    $$
    """
    return _loss_grad(_SPARSE_CCE, y_true, y_pred, check_bool(from_logits, "from_logits"))


def _prepare_sparse(y_true, y_pred, from_logits: bool, *, finite: bool = True):
    y_pred = _prepare_pred(y_pred, probabilities=not from_logits, finite=finite)
    if y_pred.ndim != 2:
        raise ValueError(f"y_pred must have 2 dimensions (N, C), got shape {y_pred.shape}")
    labels = _prepare_labels(y_true, y_pred)
    if not from_logits:
        _check_positive_rows(y_pred)
    return y_pred, labels


# --8<-- [start:sparse_cce_loop]
@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _sparse_cce_loop(labels, y_pred, from_logits, low, high):
    n_samples, n_classes = y_pred.shape
    total = 0.0
    for n in range(n_samples):
        t = labels[n]
        if from_logits:
            # −ln ỹ_nt = ln Σ_k e^{z_nk} − z_nt
            total += _log_sum_exp_row(y_pred, n) - float(y_pred[n, t])
        else:
            # S_n = Σ_k ŷ_nk
            row_sum = 0.0
            for k in range(n_classes):
                row_sum += float(y_pred[n, k])
            # ỹ_nt = min(max(ŷ_nt/S_n, ε), 1 − ε);  −ln ỹ_nt
            total -= np.log(min(max(float(y_pred[n, t]) / row_sum, low), high))
    # L = (1/N)·Σ_n (−ln ỹ_nt)
    return total / n_samples


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _sparse_cce_grad_loop(labels, y_pred, from_logits, low, high, grad, batch):
    # N = batch: the samples of the whole batch, of which this call may see a block
    n_samples, n_classes = y_pred.shape
    scale = 1.0 / batch
    for n in range(n_samples):
        t = labels[n]
        if from_logits:
            lse = _log_sum_exp_row(y_pred, n)
            for j in range(n_classes):
                # ∂L/∂z_nj = (s_nj − 1[j = t])/N, s_nj = e^{z_nj − ln Σ_k e^{z_nk}}
                # (the exponent rounded once to the dtype of z, as in _cce_grad_loop)
                grad[n, j] = scale * exp_nonpositive(grad.dtype.type(float(y_pred[n, j]) - lse))
            grad[n, t] -= scale
        else:
            # S_n = Σ_k ŷ_nk
            row_sum = 0.0
            for k in range(n_classes):
                row_sum += float(y_pred[n, k])
            q = float(y_pred[n, t]) / row_sum
            for j in range(n_classes):
                if q < low or q > high:
                    # the clip on q_nt is flat here: the whole row's gradient vanishes
                    grad[n, j] = 0.0
                elif j == t:
                    # ∂L/∂ŷ_nt = (q_nt − 1)/(N·S_n·q_nt)
                    grad[n, j] = scale * (q - 1.0) / (row_sum * q)
                else:
                    # ∂L/∂ŷ_nj = q_nt/(N·S_n·q_nt) = 1/(N·S_n)
                    grad[n, j] = scale / row_sum
# --8<-- [end:sparse_cce_loop]


# ---------------------------------------------------------------- the losses on every thread
# Each loss is a mean over rows, so a large batch is cut into blocks of rows, one per thread: each
# block's mean, weighted by its share of the rows, adds up to the whole batch's mean. Small batches
# stay on the calling thread.
_MSE, _BCE, _CCE, _SPARSE_CCE = range(4)
# the labels argument of the losses that have none (every branch below is compiled for every call)
_NO_LABELS = np.zeros(0, dtype=np.int64)


@njit(cache=True)
def _loss_of_rows(op, y_true, labels, y_pred, from_logits, low, high):
    if op == _MSE:
        return _mse_loop(y_true, y_pred)
    if op == _BCE:
        return _bce_loop(y_true, y_pred, from_logits, low, high)
    if op == _CCE:
        return _cce_loop(y_true, y_pred, from_logits, low, high)
    return _sparse_cce_loop(labels, y_pred, from_logits, low, high)


@njit(cache=True)
def _grad_of_rows(op, y_true, labels, y_pred, from_logits, low, high, grad, batch):
    if op == _MSE:
        _mse_grad_loop(y_true, y_pred, grad, batch)
    elif op == _BCE:
        _bce_grad_loop(y_true, y_pred, from_logits, low, high, grad, batch)
    elif op == _CCE:
        _cce_grad_loop(y_true, y_pred, from_logits, low, high, grad, batch)
    else:
        _sparse_cce_grad_loop(labels, y_pred, from_logits, low, high, grad, batch)


# Values per block of rows: each block of the inputs is scanned for NaN and inf just before the loop
# reads it again, from the L1 cache; a scan of the whole inputs first read them twice from memory.
_SCAN_BLOCK = 4096


@njit(cache=True)
def _blocks(op, grad_wanted, y_true, labels, y_pred, from_logits, low, high, grad, lo, hi):
    """Rows lo…hi, a block at a time: (Σ of the blocks' losses × their rows, whether all were finite).

    With ``grad_wanted`` the gradient of those rows is written to ``grad`` instead (the sum is 0).
    """
    batch = y_pred.shape[0]
    step = max(1, _SCAN_BLOCK // y_pred.shape[1])
    total = 0.0
    finite = True
    for r0 in range(lo, hi, step):
        r1 = min(r0 + step, hi)
        finite &= _all_finite_loop(y_pred[r0:r1].reshape(-1))
        if op != _SPARSE_CCE:  # the sparse loss's targets are integer labels
            finite &= _all_finite_loop(y_true[r0:r1].reshape(-1))
        block_labels = labels[r0:r1] if labels.size else labels
        if grad_wanted:
            _grad_of_rows(op, y_true[r0:r1], block_labels, y_pred[r0:r1], from_logits, low, high,
                          grad[r0:r1], batch)
        else:
            # L = Σ_blocks (rows of the block / M)·L_block: the sum here, the division by M at the end
            total += _loss_of_rows(op, y_true[r0:r1], block_labels, y_pred[r0:r1], from_logits, low, high) * (r1 - r0)
    return total, finite


@njit(cache=True, parallel=True)
def _blocks_parallel(op, grad_wanted, y_true, labels, y_pred, from_logits, low, high, grad, n_tasks):
    # rows are independent: one run of blocks per task, the tasks' sums added in task order
    n_rows = y_pred.shape[0]
    step = (n_rows + n_tasks - 1) // n_tasks
    sums = np.zeros(n_tasks)
    finite = 0
    for task in prange(n_tasks):
        sums[task], task_finite = _blocks(op, grad_wanted, y_true, labels, y_pred, from_logits, low, high,
                                          grad, task * step, min((task + 1) * step, n_rows))
        finite += task_finite
    return sums.sum(), finite == n_tasks


def _checked(op, y_true, y_pred, from_logits, *, finite: bool):
    """(targets, or labels for the sparse loss; y_pred), every check of the loss ``op`` made, but
    the scans for NaN and inf when ``finite`` is False."""
    if op == _SPARSE_CCE:
        y_pred, labels = _prepare_sparse(y_true, y_pred, from_logits, finite=finite)
        return labels, y_pred
    y_pred = _prepare_pred(y_pred, probabilities=op != _MSE and not from_logits, finite=finite)
    y_true = _prepare_target(y_true, y_pred, unit_interval=op != _MSE, finite=finite)
    if op == _CCE and not from_logits:
        _check_positive_rows(_rows(y_pred))
    return y_true, y_pred


def _run(op, grad_wanted, y_true_value, y_pred_value, from_logits):
    """(loss or gradient as rows, y_pred): the checks, then the loop, which scans the inputs as it
    reads them; a NaN or inf found there is refused by the full checks, in their order."""
    y_true, y_pred = checked_without_finiteness(_checked, op, y_true_value, y_pred_value, from_logits)
    labels = _NO_LABELS
    if op == _SPARSE_CCE:
        labels, y_true = y_true, y_pred  # y_true: an unused array of y_pred's type
    low, high = _clip_bounds(y_pred.dtype)
    shaped_grad = np.empty_like(y_pred) if grad_wanted else y_pred  # y_pred: an unused array of the type
    # (M, D) views: the reduced axis last, every leading axis folded into M
    y_true, y_pred, grad = _rows(y_true), _rows(y_pred), _rows(shaped_grad)
    if y_pred.size < PARALLEL_MIN_WORK:
        total, finite = _blocks(op, grad_wanted, y_true, labels, y_pred, from_logits, low, high, grad,
                                0, y_pred.shape[0])
    else:
        total, finite = _blocks_parallel(op, grad_wanted, y_true, labels, y_pred, from_logits, low, high,
                                         grad, numba.get_num_threads())
    if not finite:
        _checked(op, y_true_value, y_pred_value, from_logits, finite=True)
    return (shaped_grad if grad_wanted else total / y_pred.shape[0]), y_pred


def _loss(op, y_true, y_pred, from_logits=False):
    """The mean loss ``op``, in ``y_pred``'s dtype."""
    total, y_pred = _run(op, False, y_true, y_pred, from_logits)
    return y_pred.dtype.type(total)


def _loss_grad(op, y_true, y_pred, from_logits=False):
    """The gradient of the loss ``op`` with respect to ``y_pred``, of ``y_pred``'s shape and dtype."""
    return _run(op, True, y_true, y_pred, from_logits)[0]
