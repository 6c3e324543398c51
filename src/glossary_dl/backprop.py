r"""Backpropagation through a stack of dense layers, written as the loops of the math.

The building blocks each come as a forward function and the backward function that
applies the chain rule through it:

- `dense_forward` / `dense_backward`: $z = xW + b$ and its three gradients;
- `relu_forward` / `relu_backward`: $\max(z, 0)$ and the mask $1[z > 0]$, on the loops of the
  package's one ReLU (`glossary_dl.activations.relu`, `relu_grad`);
- `softmax_cross_entropy`: the mean loss of integer labels and its gradient with
  respect to the logits, the first $\delta$ of the backward pass.

`DenseNetwork` chains them: Dense + ReLU hidden layers, a final Dense layer that
produces logits, and `loss_and_gradients` runs the backward pass layer by layer.
Kernels use the Keras layout, shape (in, out).
"""

from __future__ import annotations

import numbers

import numpy as np
from numba import njit, prange

from glossary_dl._dots import _FASTMATH, _dots_loop, _transposed, _weighted_rows_loop
from glossary_dl._parallel import PARALLEL_MIN_WORK, threads_for
from glossary_dl._vector_math import exp_nonpositive
from glossary_dl.activations import _RELU_GRAD, _map, _relu_backward_loop, _relu_forward_loop, relu
from glossary_dl._validation import (
    as_float_array,
    as_label_array,
    check_float_dtype,
    check_int,
    checked_without_finiteness,
    recheck_if_not_finite,
)

__all__ = [
    "DenseNetwork",
    "dense_backward",
    "dense_forward",
    "relu_backward",
    "relu_forward",
    "softmax_cross_entropy",
]


# ---------------------------------------------------------------- compiled loops
# They assume clean input: C-contiguous float arrays of one dtype, shapes already checked.


# The products run on the register-tiled dot products of glossary_dl._dots: every entry of
# XW, δWᵀ and Xᵀδ is one dot product of two contiguous rows once the kernel is held as
# Wᵀ (shape (n_out, n_in), PyTorch's layout of nn.Linear.weight).

# A cached function that calls a parallel one (_dots_loop) is compiled parallel=True itself, its
# bias loop a prange: numba 0.68 can save a plain caller whose parallel callee came from the cache
# in a state that crashes the next process that loads it (numba issue #8578; tests/test_hostile.py
# holds the rule for every loop and replays the sequence that crashed).
# --8<-- [start:dense_forward_loop]
@njit(cache=True)
def _add_bias_to_row(z, bias, n):
    for j in range(z.shape[1]):
        # z_{n,j} ← z_{n,j} + b_j
        z[n, j] += bias[j]


@njit(cache=True, parallel=True)
def _dense_forward_loop(x, kernel_t, bias, z):
    # z_{n,j} ← Σ_i x_{n,i}·W_{i,j}   (row n of X · row j of Wᵀ, 4 × 3 entries at a time)
    _dots_loop(x, kernel_t, z)
    # a small layer on the calling thread: a parallel loop's launch would cost more than it
    if z.size < PARALLEL_MIN_WORK:
        for n in range(z.shape[0]):
            _add_bias_to_row(z, bias, n)
    else:
        for n in prange(z.shape[0]):
            _add_bias_to_row(z, bias, n)
# --8<-- [end:dense_forward_loop]


# Below this many outputs, ∂L/∂x = δW is summed as weighted rows of Wᵀ (see _weighted_rows_loop).
_SHORT_DEPTH = 32


# --8<-- [start:dense_backward_loop]
@njit(cache=True)
def _bias_gradient_entry(delta, grad_bias, j):
    grad_bias[j] = 0.0
    for n in range(delta.shape[0]):
        # ∂L/∂b_j ← Σ_n δ_{n,j}
        grad_bias[j] += delta[n, j]


# Inlined into both backward loops (numba's IR inlining, before its parallel pass), so that each
# keeps a prange of its own: a parallel=True function with none prints a NumbaPerformanceWarning
# at its first call
@njit(inline="always")
def _bias_gradient(delta, grad_bias):
    # a small layer on the calling thread: a parallel loop's launch would cost more than the sums
    if delta.size < PARALLEL_MIN_WORK:
        for j in range(grad_bias.size):
            _bias_gradient_entry(delta, grad_bias, j)
    else:
        for j in prange(grad_bias.size):
            _bias_gradient_entry(delta, grad_bias, j)


@njit(cache=True, parallel=True)
def _dense_backward_loop(x, kernel_t, delta, grad_x, grad_kernel_t, grad_bias, with_grad_x):
    if with_grad_x and kernel_t.shape[0] < _SHORT_DEPTH:
        # few outputs j: (∂L/∂x)_{n,:} ← Σ_j δ_{n,j}·(row j of Wᵀ), contiguous rows, no transpose
        _weighted_rows_loop(delta, kernel_t, grad_x)
    elif with_grad_x:
        # (∂L/∂x)_{n,i} ← Σ_j δ_{n,j}·W_{i,j}   (row n of δ · row i of W)
        _dots_loop(delta, _transposed(kernel_t), grad_x)
    # (∂L/∂W)_{i,j} ← Σ_n x_{n,i}·δ_{n,j}, stored as its transpose like the kernel:
    # (∂L/∂Wᵀ)_{j,i} = row j of δᵀ · row i of Xᵀ
    _dots_loop(_transposed(delta), _transposed(x), grad_kernel_t)
    # ∂L/∂b ← Σ_n δ_n   (the bias is added to every row, so its gradient sums over the batch)
    _bias_gradient(delta, grad_bias)
# --8<-- [end:dense_backward_loop]


# --8<-- [start:softmax_cross_entropy_loop]
@njit(cache=True, parallel=True, fastmath=_FASTMATH, error_model="numpy")
def _softmax_cross_entropy_loop(logits, labels, grad):
    n_samples, n_classes = logits.shape
    inv_n = 1.0 / n_samples
    # ℓ_n, one per row, summed in order at the end: the same L whatever the thread count
    row_losses = np.empty(n_samples)
    for n in prange(n_samples):
        # m ← max_c z_{n,c}, so that every exponent below is ≤ 0 and cannot overflow
        m = logits[n, 0]
        for c in range(1, n_classes):
            m = max(m, logits[n, c])
        # e_c ← exp(z_{n,c} − m), kept in δ's row; s ← Σ_c e_c (≥ 1: the largest term is exp(0)),
        # summed in float64 whatever the dtype of z
        s = 0.0
        for c in range(n_classes):
            e = exp_nonpositive(logits[n, c] - m)
            grad[n, c] = e
            s += e
        # ℓ_n ← log Σ_c exp(z_{n,c}) − z_{n,y_n} = m + log s − z_{n,y_n}
        row_losses[n] = m + np.log(s) - logits[n, labels[n]]
        # δ_{n,c} ← (softmax(z_n)_c − 1[c = y_n]) / N = e_c / (s N) − 1[c = y_n] / N
        scale = inv_n / s
        for c in range(n_classes):
            grad[n, c] *= scale
        grad[n, labels[n]] -= inv_n
    # L ← (1/N)·Σ_n ℓ_n
    total = 0.0
    for n in range(n_samples):
        total += row_losses[n]
    return total * inv_n
# --8<-- [end:softmax_cross_entropy_loop]


# ---------------------------------------------------------------- validation helpers
def _as_matching(
    value, name: str, dtype: np.dtype, shape: tuple[int, ...], like: str, *, finite: bool = True
) -> np.ndarray:
    """A float array with the dtype of the main input and an exact shape, or raise."""
    array = as_float_array(value, name, ndim=len(shape), finite=finite)
    if isinstance(value, np.ndarray) and array.dtype != dtype:
        raise TypeError(f"{name} must have the same dtype as {like} ({dtype}), got {array.dtype}")
    if array.dtype != dtype:
        # astype, not np.ascontiguousarray: the latter turns a 0-d array into shape (1,)
        array = array.astype(dtype, order="C", copy=False)
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    return array


def _check_dense(x, kernel, bias_or_grad, third_name: str, third_shape, *, finite: bool = True):
    x = as_float_array(x, "x", ndim=2, finite=finite)
    kernel = as_float_array(kernel, "kernel", ndim=2, finite=finite)
    if isinstance(kernel, np.ndarray) and kernel.dtype != x.dtype:
        raise TypeError(f"kernel must have the same dtype as x ({x.dtype}), got {kernel.dtype}")
    if kernel.shape[0] != x.shape[1]:
        raise ValueError(
            f"kernel must have shape (n_in, n_out) with n_in = x.shape[1] = {x.shape[1]}, "
            f"got kernel shape {kernel.shape}"
        )
    third = _as_matching(bias_or_grad, third_name, x.dtype, third_shape(x, kernel), "x", finite=finite)
    return x, kernel, third


def _forward_arguments(x, kernel, bias, *, finite: bool):
    return _check_dense(x, kernel, bias, "bias", lambda x, k: (k.shape[1],), finite=finite)


def _backward_arguments(x, kernel, grad_out, *, finite: bool):
    return _check_dense(x, kernel, grad_out, "grad_out", lambda x, k: (x.shape[0], k.shape[1]), finite=finite)


# ---------------------------------------------------------------- public functions
def dense_forward(x, kernel, bias):
    r"""Output of a dense (fully connected) layer, before its activation.

    Parameters
    ----------
    x : array_like of float32 or float64, shape (N, n_in)
        A batch of inputs, one sample per row.
    kernel : ndarray, shape (n_in, n_out)
        The weight matrix $W$ in the Keras layout (the transpose of ``torch.nn.Linear.weight``),
        same dtype as ``x``.
    bias : ndarray, shape (n_out,)
        The bias $b$, same dtype as ``x``.

    Returns
    -------
    z : ndarray, shape (N, n_out)
        The pre-activations, dtype of ``x``.

    Raises
    ------
    TypeError
        If an argument is not a float array, or ``kernel``/``bias`` do not have the dtype of ``x``.
    ValueError
        If a shape does not match, an array is empty, or a value is NaN or infinite.

    Notes
    -----
    Every sample $x_n$ (a row of $X$) is multiplied by the kernel and shifted by the bias:

    $$
    z_{n,j} = b_j + \sum_{i=1}^{n_\text{in}} x_{n,i}\,W_{i,j},
    \qquad\text{that is}\qquad Z = XW + b .
    $$
    """
    # a NaN or inf in row n of x reaches row n of z, one in column j of W or in b_j column j: the
    # inputs are scanned only when z is not finite (and W, the largest, never when it is)
    values = (x, kernel, bias)
    x, kernel, bias = checked_without_finiteness(_forward_arguments, *values)
    z = np.empty((x.shape[0], kernel.shape[1]), dtype=x.dtype)
    _dense_forward(x, kernel, bias, z)
    recheck_if_not_finite(z, _forward_arguments, *values)
    return z


def dense_backward(x, kernel, grad_out):
    r"""Gradients of the loss through a dense layer $z = xW + b$, by the chain rule.

    Parameters
    ----------
    x : array_like of float32 or float64, shape (N, n_in)
        The input the layer saw in the forward pass.
    kernel : ndarray, shape (n_in, n_out)
        The layer's weight matrix $W$ (Keras layout), same dtype as ``x``.
    grad_out : ndarray, shape (N, n_out)
        $\delta = \partial L / \partial z$, the gradient of the loss with respect to the layer's
        output, same dtype as ``x``.

    Returns
    -------
    grad_x : ndarray, shape (N, n_in)
        $\partial L / \partial x = \delta W^\top$, passed on to the layer below.
    grad_kernel : ndarray, shape (n_in, n_out)
        $\partial L / \partial W = x^\top \delta$.
    grad_bias : ndarray, shape (n_out,)
        $\partial L / \partial b = \sum_n \delta_n$.

    Raises
    ------
    TypeError
        If an argument is not a float array, or ``kernel``/``grad_out`` do not have the dtype of ``x``.
    ValueError
        If a shape does not match, an array is empty, or a value is NaN or infinite.

    Notes
    -----
    Since $z_{n,j} = b_j + \sum_i x_{n,i} W_{i,j}$, each partial derivative of $z$ is a single
    entry of $x$ or $W$, and the chain rule sums over everything that entry touches:

    $$
    \frac{\partial L}{\partial x_{n,i}} = \sum_j \delta_{n,j} W_{i,j}, \qquad
    \frac{\partial L}{\partial W_{i,j}} = \sum_n x_{n,i}\,\delta_{n,j}, \qquad
    \frac{\partial L}{\partial b_j} = \sum_n \delta_{n,j} .
    $$

    The bias does not enter the gradients, so it is not an argument.
    """
    # a NaN or inf in x reaches ∂L/∂W, one in W reaches ∂L/∂x, one in δ ∂L/∂b: the inputs are
    # scanned only when a gradient is not finite
    values = (x, kernel, grad_out)
    x, kernel, grad_out = checked_without_finiteness(_backward_arguments, *values)
    gradients = _dense_backward(x, kernel, grad_out, with_grad_x=True)
    for gradient in gradients:
        recheck_if_not_finite(gradient, _backward_arguments, *values)
    return gradients


def _dense_forward(x, kernel, bias, z):
    """z ← xW + b for a kernel in Keras' layout (n_in, n_out)."""
    _dense_forward_t(x, _transposed(kernel), bias, z)


def _dense_backward(x, kernel, delta, *, with_grad_x: bool):
    """(∂L/∂x or None, ∂L/∂W, ∂L/∂b) for a kernel in Keras' layout (n_in, n_out)."""
    grad_x = np.empty(x.shape if with_grad_x else (0, 0), dtype=x.dtype)
    grad_kernel = np.empty(kernel.shape, dtype=x.dtype)
    grad_bias = np.empty(kernel.shape[1], dtype=x.dtype)
    _dense_backward_keras_loop(x, kernel, delta, grad_x, grad_kernel, grad_bias, with_grad_x)
    return (grad_x if with_grad_x else None), grad_kernel, grad_bias


@njit(cache=True, parallel=True)
def _dense_backward_keras_loop(x, kernel, delta, grad_x, grad_kernel, grad_bias, with_grad_x):
    """`_dense_backward_loop`'s three sums for W in Keras' layout (n_in, n_out), ∂L/∂W in that layout.

    Through the transposed layout, W was copied twice and ∂L/∂W once more: three copies of a
    784 × 512 kernel, a fifth of the backward pass.
    """
    if with_grad_x and delta.shape[1] < _SHORT_DEPTH:
        # few outputs j: (∂L/∂x)_{n,:} ← Σ_j δ_{n,j}·(row j of Wᵀ)
        _weighted_rows_loop(delta, _transposed(kernel), grad_x)
    elif with_grad_x:
        # (∂L/∂x)_{n,i} ← Σ_j δ_{n,j}·W_{i,j}   (row n of δ · row i of W, W as it is)
        _dots_loop(delta, kernel, grad_x)
    # (∂L/∂W)_{i,j} ← Σ_n x_{n,i}·δ_{n,j}   (row i of Xᵀ · row j of δᵀ)
    _dots_loop(_transposed(x), _transposed(delta), grad_kernel)
    # ∂L/∂b ← Σ_n δ_n
    _bias_gradient(delta, grad_bias)


def _dense_forward_t(x, kernel_t, bias, z):
    """z ← xW + b for a kernel held transposed, kernel_t = Wᵀ of shape (n_out, n_in), C-contiguous."""
    # each loop inside takes the calling thread alone for a small layer (see _dots_loop)
    _dense_forward_loop(x, kernel_t, bias, z)


def _dense_backward_t(x, kernel_t, delta, *, with_grad_x: bool):
    """(∂L/∂x or None, ∂L/∂Wᵀ, ∂L/∂b) for a kernel held transposed (see `_dense_forward_t`)."""
    grad_x = np.empty(x.shape if with_grad_x else (0, 0), dtype=x.dtype)
    grad_kernel_t = np.empty(kernel_t.shape, dtype=x.dtype)
    grad_bias = np.empty(kernel_t.shape[0], dtype=x.dtype)
    _dense_backward_loop(x, kernel_t, delta, grad_x, grad_kernel_t, grad_bias, with_grad_x)
    return (grad_x if with_grad_x else None), grad_kernel_t, grad_bias


def relu_forward(x):
    r"""The rectified linear unit, $\max(x, 0)$, element by element.

    The package's one ReLU, `glossary_dl.activations.relu`, under the name of this chapter.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        Pre-activations $z$.

    Returns
    -------
    ndarray
        $\max(z, 0)$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a float array.
    ValueError
        If ``x`` is empty or holds NaN or infinite values.

    Notes
    -----
    $$
    \operatorname{relu}(z) = \max(z, 0), \qquad
    \frac{\partial \operatorname{relu}}{\partial z} = 1[z > 0] .
    $$
    """
    return relu(x)  # the one ReLU, glossary_dl.activations.relu


def relu_backward(x, grad_out):
    r"""Gradient of the loss through a ReLU: the incoming gradient where $x > 0$, else 0.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        The ReLU's input $z$ in the forward pass.
    grad_out : ndarray, same shape and dtype as ``x``
        $\partial L / \partial \operatorname{relu}(z)$.

    Returns
    -------
    ndarray
        $\partial L / \partial z$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If an argument is not a float array or ``grad_out`` does not have the dtype of ``x``.
    ValueError
        If the shapes differ, an array is empty or holds NaN or infinite values.

    Notes
    -----
    The derivative of $\max(z, 0)$ is 1 for $z > 0$ and 0 for $z < 0$; at $z = 0$ it does not
    exist and is taken as 0, as PyTorch does:

    $$
    \frac{\partial L}{\partial z} = \frac{\partial L}{\partial a} \odot 1[z > 0] .
    $$
    """
    # the one ReLU's gradient loop, in slices on every thread for a large array, as relu_grad runs
    # it, scanning for NaN and inf as it goes
    z, grad_out = checked_without_finiteness(_checked_relu_backward, x, grad_out)
    return _map(_RELU_GRAD, z, grad_out)


def _checked_relu_backward(x, grad_out, *, finite: bool) -> tuple[np.ndarray, np.ndarray]:
    z = as_float_array(x, "x", finite=finite)
    return z, _as_matching(grad_out, "grad_out", z.dtype, z.shape, "x", finite=finite)


def softmax_cross_entropy(logits, labels):
    r"""Mean cross-entropy of integer labels under the softmax of logits, and its gradient.

    The same loss as Keras' ``sparse_categorical_crossentropy(from_logits=True)`` averaged over
    the batch, or ``torch.nn.functional.cross_entropy`` with its default ``reduction="mean"``.

    Parameters
    ----------
    logits : array_like of float32 or float64, shape (N, C)
        Unnormalised scores $z$, one row per sample.
    labels : array_like of int, shape (N,)
        The class $y_n \in \{0, \dots, C-1\}$ of every sample (whole-number floats accepted).

    Returns
    -------
    loss : numpy scalar
        The batch mean $L$, with the dtype of ``logits``.
    grad : ndarray, shape (N, C)
        $\partial L / \partial z$, with the dtype of ``logits``: the $\delta$ that starts the
        backward pass.

    Raises
    ------
    TypeError
        If ``logits`` is not a float array or ``labels`` not an integer array.
    ValueError
        If a shape does not match, a label is outside $[0, C)$, or a logit is NaN or infinite.

    Notes
    -----
    With $\operatorname{softmax}(z_n)_c = e^{z_{n,c}} / \sum_k e^{z_{n,k}}$,

    $$
    L = \frac{1}{N} \sum_{n=1}^{N} \Big( \log \sum_{c} e^{z_{n,c}} - z_{n,y_n} \Big), \qquad
    \frac{\partial L}{\partial z_{n,c}} = \frac{\operatorname{softmax}(z_n)_c - 1[c = y_n]}{N} .
    $$

    The log-sum-exp is evaluated as $m + \log \sum_c e^{z_{n,c} - m}$ with $m = \max_c z_{n,c}$,
    so that logits of any finite size give a finite loss and gradient.
    """
    logits = as_float_array(logits, "logits", ndim=2)
    labels = _check_labels(labels, logits.shape)
    grad = np.empty_like(logits)
    with threads_for(logits.size):
        loss = _softmax_cross_entropy_loop(logits, labels, grad)
    return logits.dtype.type(loss), grad


def _check_labels(labels, logits_shape) -> np.ndarray:
    labels = as_label_array(labels, "labels", ndim=1)
    n_samples, n_classes = logits_shape
    if labels.shape[0] != n_samples:
        raise ValueError(f"labels must have shape ({n_samples},), one per row of the logits, got {labels.shape}")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(
            f"labels must be class indices in [0, {n_classes}), got values from {labels.min()} to {labels.max()}"
        )
    return labels


# ---------------------------------------------------------------- the network
class DenseNetwork:
    r"""A multilayer perceptron: Dense + ReLU hidden layers and a Dense output layer of logits.

    ``DenseNetwork([784, 512, 10])`` is the two-layer MNIST classifier: a 784 → 512 dense layer
    followed by a ReLU, then a 512 → 10 dense layer producing logits. Kernels are drawn from the
    Glorot (Xavier) uniform distribution and biases start at zero, as in Keras' ``Dense`` layer.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths from the input to the output, at least two entries, each at least 1.
    seed : int or None, optional
        Seed of ``numpy.random.default_rng``; the same seed gives bit-identical weights.
    dtype : {numpy.float32, numpy.float64}, optional
        Dtype of every parameter and computation; float32 by default, like Keras.

    Attributes
    ----------
    layer_sizes : tuple of int
        The widths given.
    dtype : numpy.dtype
        The dtype of the parameters.
    kernels : list of ndarray
        $W_1, \dots, W_L$, each of shape (in, out).
    biases : list of ndarray
        $b_1, \dots, b_L$.

    Raises
    ------
    TypeError
        If ``layer_sizes`` is not a sequence of integers, ``seed`` not an integer or None, or
        ``dtype`` not float32/float64.
    ValueError
        If ``layer_sizes`` has fewer than two entries, a width below 1, or ``seed`` is negative.

    Notes
    -----
    With $a_0 = x$, the forward pass and the backward pass (layer $l = L, \dots, 1$) are

    $$
    \begin{aligned}
    z_l &= a_{l-1} W_l + b_l, \quad a_l = \operatorname{relu}(z_l) \ (l < L), &
    \delta_L &= \frac{\operatorname{softmax}(z_L) - \operatorname{onehot}(y)}{N}, \\
    \frac{\partial L}{\partial W_l} &= a_{l-1}^\top \delta_l, \quad
    \frac{\partial L}{\partial b_l} = \sum_n \delta_{l,n}, &
    \delta_{l-1} &= \delta_l W_l^\top \odot 1[z_{l-1} > 0] .
    \end{aligned}
    $$

    The Glorot uniform initialisation draws $W_{i,j} \sim U(-r, r)$ with
    $r = \sqrt{6 / (n_\text{in} + n_\text{out})}$.
    """

    def __init__(self, layer_sizes, seed=None, dtype=np.float32):
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        self.dtype = check_float_dtype(dtype)
        if seed is not None:
            seed = check_int(seed, "seed", low=0)
        rng = np.random.default_rng(seed)
        self.kernels: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            # Glorot uniform: W ~ U(−r, r), r = √(6 / (n_in + n_out)); drawn in float64 so that the
            # float32 and float64 networks of one seed hold the same weights up to rounding
            limit = np.sqrt(6.0 / (n_in + n_out))
            self.kernels.append(rng.uniform(-limit, limit, size=(n_in, n_out)).astype(self.dtype))
            self.biases.append(np.zeros(n_out, dtype=self.dtype))
        self._cache: list[tuple[np.ndarray, np.ndarray]] = []

    def __repr__(self) -> str:
        return f"DenseNetwork({list(self.layer_sizes)}, dtype={self.dtype.name})"

    def parameters(self) -> list[np.ndarray]:
        r"""The parameters $[W_1, b_1, W_2, b_2, \dots]$ as the network's own arrays.

        Returns
        -------
        list of ndarray
            The arrays themselves, not copies: an optimizer that updates them in place
            (``param -= learning_rate * grad``) updates the network.
        """
        return [p for pair in zip(self.kernels, self.biases) for p in pair]

    def forward(self, x):
        r"""Logits of a batch, keeping what the backward pass needs.

        Parameters
        ----------
        x : array_like of float, shape (N, layer_sizes[0])
            A batch of inputs. A float array of the other precision is converted to the
            network's dtype, as Keras layers do; integer arrays are refused (scale them first).

        Returns
        -------
        ndarray, shape (N, layer_sizes[-1])
            The logits $z_L$, dtype of the network.

        Raises
        ------
        TypeError
            If ``x`` is not a float array.
        ValueError
            If ``x`` does not have shape (N, layer_sizes[0]), is empty, or holds NaN or infinite values.
        """
        a = self._check_input(x)
        self._cache = []
        n_layers = len(self.kernels)
        for layer, (kernel, bias) in enumerate(zip(self.kernels, self.biases), start=1):
            # z_l = a_{l−1}·W_l + b_l
            z = np.empty((a.shape[0], kernel.shape[1]), dtype=self.dtype)
            _dense_forward(a, kernel, bias, z)
            # keep a_{l−1} (for ∂L/∂W_l) and z_l (for the ReLU mask)
            self._cache.append((a, z))
            if layer < n_layers:
                # a_l = relu(z_l)
                a = np.empty_like(z)
                _relu_forward_loop(z.reshape(-1), a.reshape(-1))
            else:
                a = z
        return a

    def loss_and_gradients(self, x, labels):
        r"""Mean softmax cross-entropy of a batch and its gradient for every parameter.

        Parameters
        ----------
        x : array_like of float, shape (N, layer_sizes[0])
            A batch of inputs (see ``forward``).
        labels : array_like of int, shape (N,)
            Class indices in $[0, C)$, $C$ = ``layer_sizes[-1]``.

        Returns
        -------
        loss : numpy scalar
            $L$, the batch mean, dtype of the network.
        grads : list of (ndarray, ndarray)
            $(\partial L / \partial W_l, \partial L / \partial b_l)$ for $l = 1, \dots, L$, in the
            order of ``parameters()``.

        Raises
        ------
        TypeError
            If ``x`` is not a float array or ``labels`` not integer.
        ValueError
            If a shape does not match, a label is out of range, or a value is not finite.
        """
        logits = self.forward(x)
        labels = _check_labels(labels, logits.shape)
        # --8<-- [start:backward_pass]

        # the loss and δ_L = ∂L/∂z_L = (softmax(z_L) − onehot(y)) / N
        delta = np.empty_like(logits)
        loss = _softmax_cross_entropy_loop(logits, labels, delta)

        grads: list[tuple[np.ndarray, np.ndarray]] = []
        for layer in range(len(self.kernels), 0, -1):  # l = L, L−1, …, 1
            a_prev, _ = self._cache[layer - 1]
            kernel = self.kernels[layer - 1]
            # ∂L/∂W_l = a_{l−1}ᵀ·δ_l,  ∂L/∂b_l = Σ_n δ_{l,n},  ∂L/∂a_{l−1} = δ_l·W_lᵀ
            # (the input x needs no gradient, so layer 1 skips δ_1·W_1ᵀ)
            grad_a_prev, grad_kernel, grad_bias = _dense_backward(
                a_prev, kernel, delta, with_grad_x=layer > 1
            )
            grads.append((grad_kernel, grad_bias))
            if layer > 1:
                # δ_{l−1} = ∂L/∂z_{l−1} = (δ_l·W_lᵀ) ⊙ 1[z_{l−1} > 0]
                _, z_prev = self._cache[layer - 2]
                delta = np.empty_like(z_prev)
                _relu_backward_loop(z_prev.reshape(-1), grad_a_prev.reshape(-1), delta.reshape(-1))
        grads.reverse()
        # --8<-- [end:backward_pass]
        return self.dtype.type(loss), grads

    def predict(self, x):
        r"""The predicted class of every sample, $\arg\max_c z_{L,c}$.

        Parameters
        ----------
        x : array_like of float, shape (N, layer_sizes[0])
            A batch of inputs (see ``forward``).

        Returns
        -------
        ndarray of int64, shape (N,)
            The index of the largest logit of each row (the first one on a tie).

        Raises
        ------
        TypeError
            If ``x`` is not a float array.
        ValueError
            If ``x`` has the wrong shape or holds NaN or infinite values.
        """
        return np.argmax(self.forward(x), axis=1).astype(np.int64)

    def _check_input(self, x) -> np.ndarray:
        array = as_float_array(x, "x", ndim=2, dtype=self.dtype)
        if array.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"x must have shape (N, {self.layer_sizes[0]}) for this network, got {array.shape}"
            )
        return array


def _check_layer_sizes(layer_sizes) -> tuple[int, ...]:
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__"):
        raise TypeError(f"layer_sizes must be a sequence of integers, got {type(layer_sizes).__name__}")
    if len(layer_sizes) < 2:
        raise ValueError(f"layer_sizes must list at least an input and an output width, got {list(layer_sizes)}")
    sizes = []
    for size in layer_sizes:
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Integral):
            raise TypeError(f"layer_sizes must hold integers, got {size!r}")
        if size < 1:
            raise ValueError(f"layer_sizes must hold widths >= 1, got {size}")
        sizes.append(int(size))
    return tuple(sizes)

