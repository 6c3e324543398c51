r"""Residual connections: a block that adds its input to what its layers compute.

`residual_dense_block_forward` is the original (post-activation) residual block of He et al.
(2015) with dense layers in place of convolutions,

$$ y = \operatorname{relu}(x + F(x)), \qquad F(x) = \operatorname{relu}(x W_1 + b_1)\, W_2 + b_2 , $$

and `residual_dense_block_backward` its backward pass. The dense layers and ReLUs are the
compiled loops of `glossary_dl.backprop`; this module adds only the skip connection: the sum
$x + F(x)$ going forward, and going backward the identity path that hands $\delta$ to $x$
unchanged, next to the path through $F$.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from glossary_dl._validation import (
    all_finite,
    as_float_array,
    checked_without_finiteness,
    recheck_if_not_finite,
)
from glossary_dl.backprop import (
    _as_matching,
    _dense_backward,
    _dense_forward,
    _relu_backward_loop,
    _relu_forward_loop,
)

__all__ = ["residual_dense_block_backward", "residual_dense_block_forward"]


# ---------------------------------------------------------------- compiled loops
# 1-D C-contiguous views of arrays of one shape and dtype, checked before the call.


# --8<-- [start:residual_add_loop]
@njit(cache=True)
def _residual_add_loop(x, f, s):
    for k in range(x.size):
        # s ← x + F(x)   (the skip connection: the input is added back, unchanged)
        s[k] = x[k] + f[k]
# --8<-- [end:residual_add_loop]


# --8<-- [start:residual_grad_loop]
@njit(cache=True)
def _residual_grad_loop(delta_s, grad_through_f, grad_x):
    for k in range(delta_s.size):
        # ∂L/∂x ← δ_s + δ_1·W_1ᵀ   (identity path: δ_s arrives at x untouched; plus the path through F)
        grad_x[k] = delta_s[k] + grad_through_f[k]
# --8<-- [end:residual_grad_loop]


# ---------------------------------------------------------------- validation
def _check_block(x, kernel1, bias1, kernel2, bias2, *, finite: bool = True):
    x = as_float_array(x, "x", ndim=2, finite=finite)
    n_features = x.shape[1]
    kernel1 = as_float_array(kernel1, "kernel1", ndim=2, finite=finite)
    if kernel1.shape[0] != n_features:
        raise ValueError(
            f"kernel1 must have shape (d, h) with d = x.shape[1] = {n_features}, got {kernel1.shape}"
        )
    n_hidden = kernel1.shape[1]
    kernel1 = _as_matching(kernel1, "kernel1", x.dtype, (n_features, n_hidden), "x", finite=finite)
    bias1 = _as_matching(bias1, "bias1", x.dtype, (n_hidden,), "x", finite=finite)
    kernel2 = _as_matching(kernel2, "kernel2", x.dtype, (n_hidden, n_features), "x", finite=finite)
    bias2 = _as_matching(bias2, "bias2", x.dtype, (n_features,), "x", finite=finite)
    return x, kernel1, bias1, kernel2, bias2


def _check_block_and_grad(x, kernel1, bias1, kernel2, bias2, grad_out, *, finite: bool = True):
    x, kernel1, bias1, kernel2, bias2 = _check_block(x, kernel1, bias1, kernel2, bias2, finite=finite)
    grad_out = _as_matching(grad_out, "grad_out", x.dtype, x.shape, "x", finite=finite)
    return x, kernel1, bias1, kernel2, bias2, grad_out


def _refuse_if_not_finite(z1, s, check, values) -> None:
    """The full check (the scans for NaN and inf included) when z_1 or s is not finite.

    A NaN or inf in x, W_1 or b_1 reaches z_1 = x·W_1 + b_1, and one in W_2 or b_2 reaches
    s = x + h·W_2 + b_2 even where h = 0 (0·inf and 0·NaN are NaN): finite z_1 and s prove finite
    parameters, so they are not scanned first. (Not y: the ReLU turns a NaN into 0.)
    """
    recheck_if_not_finite(z1, check, *values)
    recheck_if_not_finite(s, check, *values)


def _forward(x, kernel1, bias1, kernel2, bias2):
    """Every intermediate of the block: z_1, h, s and y."""
    n_samples, n_features = x.shape
    # z_1 = x·W_1 + b_1,  h = relu(z_1)
    z1 = np.empty((n_samples, kernel1.shape[1]), dtype=x.dtype)
    _dense_forward(x, kernel1, bias1, z1)
    h = np.empty_like(z1)
    _relu_forward_loop(z1.reshape(-1), h.reshape(-1))
    # F(x) = h·W_2 + b_2
    f = np.empty_like(x)
    _dense_forward(h, kernel2, bias2, f)
    # s = x + F(x),  y = relu(s)
    s = np.empty_like(x)
    _residual_add_loop(x.reshape(-1), f.reshape(-1), s.reshape(-1))
    y = np.empty_like(x)
    _relu_forward_loop(s.reshape(-1), y.reshape(-1))
    return z1, h, s, y


# ---------------------------------------------------------------- public functions
def residual_dense_block_forward(x, kernel1, bias1, kernel2, bias2):
    r"""Output of a residual block of two dense layers: $\operatorname{relu}(x + F(x))$.

    Parameters
    ----------
    x : array_like of float32 or float64, shape (N, d)
        A batch of inputs, one sample per row.
    kernel1 : ndarray, shape (d, h)
        $W_1$, the first dense layer's kernel (Keras layout), dtype of ``x``.
    bias1 : ndarray, shape (h,)
        $b_1$.
    kernel2 : ndarray, shape (h, d)
        $W_2$: it maps back to $d$ features, so that $F(x)$ can be added to $x$.
    bias2 : ndarray, shape (d,)
        $b_2$.

    Returns
    -------
    y : ndarray, shape (N, d)
        The block's output, dtype of ``x``.

    Raises
    ------
    TypeError
        If an argument is not a float array or does not have the dtype of ``x``.
    ValueError
        If a shape does not match, an array is empty, or a value is NaN or infinite.

    Notes
    -----
    The post-activation block of He et al. (2015), the ReLU applied after the sum:

    $$
    z_1 = x W_1 + b_1, \quad h = \operatorname{relu}(z_1), \quad F(x) = h W_2 + b_2, \quad
    s = x + F(x), \quad y = \operatorname{relu}(s) .
    $$
    """
    values = (x, kernel1, bias1, kernel2, bias2)
    x, kernel1, bias1, kernel2, bias2 = checked_without_finiteness(_check_block, *values)
    z1, _, s, y = _forward(x, kernel1, bias1, kernel2, bias2)
    _refuse_if_not_finite(z1, s, _check_block, values)
    return y


def residual_dense_block_backward(x, kernel1, bias1, kernel2, bias2, grad_out):
    r"""Gradients of the loss through a residual block, by the chain rule.

    The forward pass is recomputed from ``x`` and the parameters.

    Parameters
    ----------
    x, kernel1, bias1, kernel2, bias2
        As in `residual_dense_block_forward`.
    grad_out : ndarray, shape (N, d)
        $\delta = \partial L / \partial y$, dtype of ``x``.

    Returns
    -------
    grad_x : ndarray, shape (N, d)
        $\partial L / \partial x$.
    grad_kernel1, grad_bias1, grad_kernel2, grad_bias2 : ndarray
        $\partial L / \partial W_1$, $\partial L / \partial b_1$, $\partial L / \partial W_2$,
        $\partial L / \partial b_2$, shapes of the parameters.

    Raises
    ------
    TypeError
        If an argument is not a float array or does not have the dtype of ``x``.
    ValueError
        If a shape does not match, an array is empty, or a value is NaN or infinite.

    Notes
    -----
    With $\delta_s = \partial L / \partial s$ and $\delta_1 = \partial L / \partial z_1$:

    $$
    \delta_s = \delta \odot 1[s > 0], \quad
    \frac{\partial L}{\partial W_2} = h^\top \delta_s, \quad
    \delta_1 = \delta_s W_2^\top \odot 1[z_1 > 0], \quad
    \frac{\partial L}{\partial W_1} = x^\top \delta_1, \quad
    \frac{\partial L}{\partial x} = \delta_s + \delta_1 W_1^\top ,
    $$

    and $\partial L / \partial b_2 = \sum_n \delta_{s,n}$, $\partial L / \partial b_1 =
    \sum_n \delta_{1,n}$. The term $\delta_s$ in $\partial L / \partial x$ is the identity path:
    however small $\delta_1 W_1^\top$ becomes, the gradient reaches $x$ undiminished by $F$.
    """
    values = (x, kernel1, bias1, kernel2, bias2, grad_out)
    x, kernel1, bias1, kernel2, bias2, grad_out = checked_without_finiteness(_check_block_and_grad, *values)
    # δ is scanned: the ReLUs' masks would hide a NaN in it where s ≤ 0
    if not all_finite(grad_out):
        _check_block_and_grad(*values, finite=True)
    z1, h, s, _ = _forward(x, kernel1, bias1, kernel2, bias2)
    _refuse_if_not_finite(z1, s, _check_block_and_grad, values)
    # --8<-- [start:residual_backward]
    # δ_s = δ ⊙ 1[s > 0]   (through the final ReLU)
    delta_s = np.empty_like(s)
    _relu_backward_loop(s.reshape(-1), grad_out.reshape(-1), delta_s.reshape(-1))
    # ∂L/∂W_2 = hᵀ·δ_s,  ∂L/∂b_2 = Σ_n δ_s,  ∂L/∂h = δ_s·W_2ᵀ
    grad_h, grad_kernel2, grad_bias2 = _dense_backward(h, kernel2, delta_s, with_grad_x=True)
    # δ_1 = ∂L/∂h ⊙ 1[z_1 > 0]
    delta_1 = np.empty_like(z1)
    _relu_backward_loop(z1.reshape(-1), grad_h.reshape(-1), delta_1.reshape(-1))
    # ∂L/∂W_1 = xᵀ·δ_1,  ∂L/∂b_1 = Σ_n δ_1,  and the path through F: δ_1·W_1ᵀ
    grad_through_f, grad_kernel1, grad_bias1 = _dense_backward(x, kernel1, delta_1, with_grad_x=True)
    # ∂L/∂x = δ_s + δ_1·W_1ᵀ
    grad_x = np.empty_like(x)
    _residual_grad_loop(delta_s.reshape(-1), grad_through_f.reshape(-1), grad_x.reshape(-1))
    # --8<-- [end:residual_backward]
    return grad_x, grad_kernel1, grad_bias1, grad_kernel2, grad_bias2
