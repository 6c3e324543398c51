r"""Activation functions and their derivatives, written as the loops of the math.

Each activation $f$ comes as a forward function and a ``*_grad`` function that returns the
vector–Jacobian product $\partial L / \partial x$ given $\delta = \partial L / \partial f(x)$: the
step that backpropagation takes through the activation.

- `relu`, `leaky_relu`, `sigmoid`, `tanh`, `gelu` act element by element on an array of any
  rank (a 0-d array included), so their ``*_grad`` is $\delta \odot f'(x)$;
- `softmax` normalises along one axis (``axis=-1`` by default), so `softmax_grad` multiplies by
  the full Jacobian of that axis.

Names and defaults are those of ``keras.activations`` (``leaky_relu`` slope 0.2, ``gelu`` exact).
Inputs are float32 or float64, non-empty and finite; results keep the input's dtype. The pages
show the loops of the definitions; the functions run fast loops that compute in the input's own
arithmetic, float32 at the full SIMD width, within a few ulp of the definitions (tested). All use
the forms that do not overflow: the two-branch sigmoid, softmax shifted by its maximum, $\tanh$
through ``expm1`` and the Gaussian CDF through ``erfc``.
``relu`` and ``relu_grad`` are the package's one ReLU: `glossary_dl.backprop` (``relu_forward``,
``relu_backward``), `glossary_dl.tensors` (``elementwise_relu``) and the layers call these loops.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from glossary_dl._dots import _FASTMATH
from glossary_dl._parallel import PARALLEL_MIN_WORK
from glossary_dl._vector_math import (
    _fma32,
    erfc_real,
    exp_nonpositive,
    exp_nonpositive32,
    mills_gap32,
    normal_tail32,
    row_max,
    tanh_real,
)
from glossary_dl._validation import (
    _COMPILED,
    _all_finite_loop,
    _check_finite_float,
    _refuse_non_finite,
    all_finite,
    as_float_array,
    check_bool,
    check_int,
    check_real,
    checked_without_finiteness,
)
from glossary_dl.losses import _sigmoid

__all__ = [
    "gelu",
    "gelu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softmax_grad",
    "tanh",
    "tanh_grad",
]

# √(2/π) and 1/√(2π), the constants of the tanh approximation of GELU and of the normal density φ
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)


# ---------------------------------------------------------------- compiled loops
# They assume clean input: C-contiguous float arrays of one dtype, flattened to 1-d (softmax: 2-d,
# the softmax axis last), shapes already checked. Each value is read as a float64 and the result
# is rounded once to the output's dtype.


# --8<-- [start:relu_loops]
@njit(cache=True)
def _relu_forward_loop(z, a):
    for k in range(z.size):
        # a_k ← max(z_k, 0)
        a[k] = z[k] if z[k] > 0.0 else 0.0


@njit(cache=True)
def _relu_backward_loop(z, grad_out, grad_in):
    for k in range(z.size):
        # (∂L/∂z)_k ← (∂L/∂a)_k·1[z_k > 0]   (derivative taken as 0 at z_k = 0, as torch does)
        grad_in[k] = grad_out[k] if z[k] > 0.0 else 0.0
# --8<-- [end:relu_loops]


# --8<-- [start:leaky_relu_loops]
@njit(cache=True)
def _leaky_relu_loop(x, negative_slope, a):
    for k in range(x.size):
        # f(x_k) = x_k if x_k > 0, else α·x_k
        a[k] = x[k] if x[k] > 0.0 else negative_slope * float(x[k])


@njit(cache=True)
def _leaky_relu_grad_loop(x, grad_out, negative_slope, grad_in):
    for k in range(x.size):
        # (∂L/∂x)_k = δ_k·f'(x_k), f'(x) = 1 if x > 0, else α   (α at x = 0, as torch takes it)
        grad_in[k] = grad_out[k] if x[k] > 0.0 else negative_slope * float(grad_out[k])
# --8<-- [end:leaky_relu_loops]


# --8<-- [start:sigmoid_loops]
@njit(cache=True)
def _sigmoid_loop(x, a):
    for k in range(x.size):
        # σ(x_k) = 1/(1 + e^{−x_k}), through the two branches of _sigmoid (exp never overflows)
        a[k] = _sigmoid(float(x[k]))


@njit(cache=True)
def _sigmoid_grad_loop(x, grad_out, grad_in):
    for k in range(x.size):
        # e = e^{−|x_k|} ∈ (0, 1]: never overflows
        e = np.exp(-abs(float(x[k])))
        # σ'(x) = σ(x)·(1 − σ(x)) = e^{−|x|}/(1 + e^{−|x|})², free of the cancellation in 1 − σ(x)
        # (∂L/∂x)_k = δ_k·σ'(x_k)
        grad_in[k] = float(grad_out[k]) * (e / ((1.0 + e) * (1.0 + e)))
# --8<-- [end:sigmoid_loops]


# --8<-- [start:tanh_loops]
@njit(cache=True)
def _tanh_loop(x, a):
    for k in range(x.size):
        x_k = float(x[k])
        # d = e^{−2|x_k|} − 1 ∈ (−1, 0], by expm1 so that a small |x_k| keeps its digits
        d = math.expm1(-2.0 * abs(x_k))
        # tanh|x| = (1 − e^{−2|x|})/(1 + e^{−2|x|}) = −d/(2 + d), and tanh is odd
        t = -d / (2.0 + d)
        a[k] = t if x_k >= 0.0 else -t


@njit(cache=True)
def _tanh_grad_loop(x, grad_out, grad_in):
    for k in range(x.size):
        # e = e^{−2|x_k|} ∈ (0, 1]
        e = np.exp(-2.0 * abs(float(x[k])))
        # tanh'(x) = 1 − tanh²(x) = 4·e^{−2|x|}/(1 + e^{−2|x|})², free of the cancellation in 1 − tanh²
        # (∂L/∂x)_k = δ_k·tanh'(x_k)
        grad_in[k] = float(grad_out[k]) * (4.0 * e / ((1.0 + e) * (1.0 + e)))
# --8<-- [end:tanh_loops]


# --8<-- [start:softmax_loops]
@njit(cache=True)
def _shift_and_sum(x, row):
    n = x.shape[1]
    # x^max = max_j x_j, so that every exponent below is ≤ 0 and cannot overflow
    x_max = float(x[row, 0])
    for j in range(1, n):
        x_max = max(x_max, float(x[row, j]))
    # Z = Σ_j e^{x_j − x^max} ∈ [1, n]: the largest term is e^0 = 1, so Z never underflows to 0
    total = 0.0
    for j in range(n):
        total += np.exp(float(x[row, j]) - x_max)
    return x_max, total


@njit(cache=True)
def _softmax_loop(x, s):
    n_rows, n = x.shape
    for row in range(n_rows):
        x_max, total = _shift_and_sum(x, row)
        for i in range(n):
            # s_i = e^{x_i}/Σ_j e^{x_j} = e^{x_i − x^max}/Z
            s[row, i] = np.exp(float(x[row, i]) - x_max) / total


@njit(cache=True)
def _softmax_grad_loop(x, grad_out, grad_in):
    n_rows, n = x.shape
    for row in range(n_rows):
        x_max, total = _shift_and_sum(x, row)
        # ⟨δ, s⟩ = Σ_j δ_j·s_j
        dot = 0.0
        for j in range(n):
            dot += float(grad_out[row, j]) * (np.exp(float(x[row, j]) - x_max) / total)
        for i in range(n):
            # (∂L/∂x)_i = Σ_j δ_j·∂s_j/∂x_i = Σ_j δ_j·s_j·(1[i = j] − s_i) = s_i·(δ_i − ⟨δ, s⟩)
            s_i = np.exp(float(x[row, i]) - x_max) / total
            grad_in[row, i] = s_i * (float(grad_out[row, i]) - dot)
# --8<-- [end:softmax_loops]


# --8<-- [start:gelu_loops]
@njit(cache=True)
def _gelu_loop(x, approximate, a):
    for k in range(x.size):
        x_k = float(x[k])
        if approximate:
            # u = √(2/π)·(x + 0.044715·x³)
            u = _SQRT_2_OVER_PI * (x_k + 0.044715 * x_k * x_k * x_k)
            # ½·x·(1 + tanh u) = x·σ(2u): the same value, without the cancellation in 1 + tanh u < 0
            a[k] = x_k * _sigmoid(2.0 * u)
        else:
            # gelu(x) = x·Φ(x), Φ(x) = ½·erfc(−x/√2) (erfc keeps the left tail, where 1 + erf cancels)
            a[k] = x_k * 0.5 * math.erfc(-x_k * _INV_SQRT_2)


@njit(cache=True)
def _gelu_grad_loop(x, grad_out, approximate, grad_in):
    for k in range(x.size):
        x_k = float(x[k])
        if approximate:
            # u = √(2/π)·(x + 0.044715·x³),  u' = √(2/π)·(1 + 3·0.044715·x²)
            u = _SQRT_2_OVER_PI * (x_k + 0.044715 * x_k * x_k * x_k)
            du = _SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x_k * x_k)
            # e = e^{−2|u|}, so σ'(2u) = e/(1 + e)²
            e = exp_nonpositive(-2.0 * abs(u))
            # f'(x) = d/dx [x·σ(2u)] = σ(2u) + x·2σ'(2u)·u'
            derivative = _sigmoid(2.0 * u) + x_k * 2.0 * (e / ((1.0 + e) * (1.0 + e))) * du
        else:
            # f'(x) = Φ(x) + x·φ(x), φ(x) = e^{−x²/2}/√(2π)
            derivative = 0.5 * math.erfc(-x_k * _INV_SQRT_2) + x_k * _INV_SQRT_2PI * exp_nonpositive(-0.5 * x_k * x_k)
        # (∂L/∂x)_k = δ_k·f'(x_k)
        grad_in[k] = float(grad_out[k]) * derivative
# --8<-- [end:gelu_loops]


# ---------------------------------------------------------------- fast paths
# The loops above are the definitions: each np.exp is a call of the C library, one value at a
# time. The loops below compute the same formulas with exp_nonpositive (a polynomial that the
# compiler vectorises, within 1 ulp of np.exp in float64) and compute each exponential once;
# GELU on float32 computes in float32 (_gelu_exact32 and the others below). _map and _map_rows run small
# arrays on the calling thread and large ones in slices on every thread. tests/test_activations.py
# checks that they give the definitions' numbers.

# The ReLU family is bound by memory, not arithmetic: its fast loops are the definitions with the
# NaN/inf scan of _all_finite_loop (Σ x·0) summed in the same pass, so each value is read once;
# each returns whether its inputs were finite. (Scanned block by block before the loop, a float32
# ReLU took 29 % longer.)
@njit(cache=True, fastmath=_FASTMATH)
def _relu_checked_loop(z, grad_out, with_grad, out):
    zero = out.dtype.type(0.0)
    total = zero
    if with_grad:
        for k in range(z.size):
            z_k, g_k = z[k], grad_out[k]
            total += z_k * zero + g_k * zero
            # (∂L/∂z)_k ← (∂L/∂a)_k·1[z_k > 0]
            out[k] = g_k if z_k > zero else zero
    else:
        for k in range(z.size):
            z_k = z[k]
            total += z_k * zero
            # a_k ← max(z_k, 0)
            out[k] = z_k if z_k > zero else zero
    return total == zero


@njit(cache=True, fastmath=_FASTMATH)
def _leaky_relu_checked_loop(x, grad_out, with_grad, negative_slope, out):
    zero = out.dtype.type(0.0)
    total = zero
    if with_grad:
        for k in range(x.size):
            x_k, g_k = x[k], grad_out[k]
            total += x_k * zero + g_k * zero
            # (∂L/∂x)_k = δ_k if x_k > 0, else α·δ_k (the product rounded once, as in the definition)
            out[k] = g_k if x_k > zero else negative_slope * float(g_k)
    else:
        for k in range(x.size):
            x_k = x[k]
            total += x_k * zero
            # f(x_k) = x_k if x_k > 0, else α·x_k
            out[k] = x_k if x_k > zero else negative_slope * float(x_k)
    return total == zero


# Fused multiply-adds only ("contract"): reassociation would undo the exact two-step reduction
# x − n·ln2_hi − n·ln2_lo inside exp_nonpositive
_CONTRACT = {"contract"}


# --8<-- [start:fast_loops]
@njit(cache=True, fastmath=_CONTRACT, error_model="numpy")
def _sigmoid_fast_loop(x, a):
    # in the arithmetic of x: a float literal would be float64 and halve the SIMD width for float32
    one, zero = a.dtype.type(1.0), a.dtype.type(0.0)
    for k in range(x.size):
        x_k = x[k]
        # e = e^{−|x_k|} ∈ (0, 1], s = 1/(1 + e)
        e = exp_nonpositive(-abs(x_k))
        s = one / (one + e)
        # σ(x) = 1/(1 + e^{−x}) for x ≥ 0 and e^{x}/(1 + e^{x}) for x < 0: the two branches of _sigmoid
        a[k] = s if x_k >= zero else e * s


@njit(cache=True, fastmath=_CONTRACT, error_model="numpy")
def _sigmoid_grad_fast_loop(x, grad_out, grad_in):
    one = grad_in.dtype.type(1.0)
    for k in range(x.size):
        e = exp_nonpositive(-abs(x[k]))
        # (∂L/∂x)_k = δ_k·e^{−|x|}/(1 + e^{−|x|})²
        d = one + e
        grad_in[k] = grad_out[k] * (e / (d * d))


@njit(cache=True, fastmath=_CONTRACT, error_model="numpy")
def _tanh_fast_loop(x, a):
    for k in range(x.size):
        # tanh x = −d/(2 + d), d = e^{−2|x|} − 1, with the Taylor series for small |x| (_vector_math)
        a[k] = tanh_real(x[k])


@njit(cache=True, fastmath=_CONTRACT, error_model="numpy")
def _tanh_grad_fast_loop(x, grad_out, grad_in):
    one, two, four = grad_in.dtype.type(1.0), grad_in.dtype.type(2.0), grad_in.dtype.type(4.0)
    for k in range(x.size):
        e = exp_nonpositive(-two * abs(x[k]))
        # (∂L/∂x)_k = δ_k·4e^{−2|x|}/(1 + e^{−2|x|})²
        d = one + e
        grad_in[k] = grad_out[k] * (four * e / (d * d))


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _softmax_fast_loop(x, s):
    zero = s.dtype.type(0.0)  # sums in the arithmetic of x, at the full SIMD width for float32
    for row in range(x.shape[0]):
        x_max = row_max(x, row)
        # each e^{x_j − x^max} computed once, kept in s's row while Z sums it
        total = zero
        for j in range(x.shape[1]):
            e = exp_nonpositive(x[row, j] - x_max)
            s[row, j] = e
            total += e
        # s_i = e^{x_i − x^max}/Z
        for j in range(x.shape[1]):
            s[row, j] = s[row, j] / total


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _softmax_grad_fast_loop(x, grad_out, grad_in):
    _softmax_fast_loop(x, grad_in)  # s, kept in grad_in
    zero = grad_in.dtype.type(0.0)
    for row in range(x.shape[0]):
        # ⟨δ, s⟩ = Σ_j δ_j·s_j
        dot = zero
        for j in range(x.shape[1]):
            dot += grad_out[row, j] * grad_in[row, j]
        # (∂L/∂x)_i = s_i·(δ_i − ⟨δ, s⟩)
        for j in range(x.shape[1]):
            grad_in[row, j] = grad_in[row, j] * (grad_out[row, j] - dot)


# GELU's exact and tanh forms are separate loops: a branch on `approximate` inside one loop halved its
# speed (the compiler vectorised neither form)
@njit(cache=True, error_model="numpy")
def _gelu_fast_loop(x, a):
    for k in range(x.size):
        # x·Φ(x) as arithmetic, not the C library's erfc per value: in float32 for float32 input
        a[k] = _gelu_exact(x[k])


@njit(cache=True, error_model="numpy")
def _gelu_tanh_fast_loop(x, a):
    for k in range(x.size):
        # x·σ(2u), u = √(2/π)·(x + 0.044715·x³): e^{−2|u|} in float32 arithmetic for float32 input
        a[k] = _gelu_tanh(x[k])


@njit(cache=True, error_model="numpy")
def _gelu_grad_fast_loop(x, grad_out, grad_in):
    for k in range(x.size):
        # δ·(Φ(x) + x·φ(x)), in float32 for float32 input
        grad_in[k] = grad_out[k] * _gelu_exact_slope(x[k])


@njit(cache=True, error_model="numpy")
def _gelu_tanh_grad_fast_loop(x, grad_out, grad_in):
    for k in range(x.size):
        # δ·(σ(2u) + x·2σ'(2u)·u'), e^{−2|u|} in float32 arithmetic for float32 input
        grad_in[k] = grad_out[k] * _gelu_tanh_slope(x[k])
# --8<-- [end:fast_loops]


# GELU's exact form per dtype: numba compiles a loop once for each dtype and picks the form when it
# types x[k] (the overloads); plain Python dispatches on the value's dtype. float64 rounds the
# float64 erfc_real once; float32 computes in float32 (normal_tail32, mills_gap32: within 4 ulp of
# the exact value, at twice the SIMD width and with lower degrees: 10× faster than widening to float64).
_ZERO32 = np.float32(0.0)


def _gelu_exact64(x_k):
    x_k = float(x_k)
    # x·½·erfc(−x/√2), erfc as arithmetic (erfc_real)
    return x_k * 0.5 * erfc_real(-x_k * _INV_SQRT_2)


def _gelu_exact32(x_k):
    # x·Φ(−|x|) = (x·s)·e, e last: it is the factor that gets tiny (Φ(−|x|) itself is subnormal
    # from |x| = 12.95, x·Φ(−|x|) only from 13.15); x·Φ(x) = x − x·Φ(−x) for x > 0
    s, e = normal_tail32(x_k)
    m = (x_k * s) * e
    return m if x_k <= _ZERO32 else x_k - m


def _gelu_exact_slope64(x_k):
    x_k = float(x_k)
    # Φ(x) + x·φ(x), φ(x) = e^{−x²/2}/√(2π)
    return 0.5 * erfc_real(-x_k * _INV_SQRT_2) + x_k * _INV_SQRT_2PI * exp_nonpositive(-0.5 * x_k * x_k)


def _gelu_exact_slope32(x_k):
    # Φ(x) + x·φ(x) = φ(x)·J(|x|) for x < 0 and 1 − φ(x)·J(|x|) for x ≥ 0, J(u) = Φ(−u)/φ(u) − u
    # computed through its root (no cancellation near the minimum of GELU); d·j = φ·J
    d, j = mills_gap32(x_k)
    return d * j if x_k < _ZERO32 else _fma32(-d, j, np.float32(1.0))


def _gelu_exact(x_k):
    """gelu(x) of one value, x·Φ(x), in the value's precision."""
    return _gelu_exact32(x_k) if np.asarray(x_k).dtype == np.float32 else _gelu_exact64(x_k)


def _gelu_exact_slope(x_k):
    """gelu'(x) of one value, Φ(x) + x·φ(x), in the value's precision."""
    return _gelu_exact_slope32(x_k) if np.asarray(x_k).dtype == np.float32 else _gelu_exact_slope64(x_k)


@overload(_gelu_exact, inline="always")
def _gelu_exact_overload(x_k):
    return _gelu_exact32 if x_k == types.float32 else _gelu_exact64


@overload(_gelu_exact_slope, inline="always")
def _gelu_exact_slope_overload(x_k):
    return _gelu_exact_slope32 if x_k == types.float32 else _gelu_exact_slope64


# GELU's tanh form per dtype, the same way. float32: 2u in float64 (x³ exact, 2u to 1e-16: e^{2u} would
# lose 30 ulp to a float32 2u of −87), e^{−2|u|} by exp_nonpositive32 in float32 arithmetic (the
# costly part, at twice the SIMD width and half the degree), the rest in float64 and one rounding:
# within 1.6 ulp of the float64 loop (the slope within 1 eps of σ(2u) + |x|·2σ'(2u)·u', where it
# cancels), at twice its speed.
_TWO_SQRT_2_OVER_PI = 2.0 * _SQRT_2_OVER_PI


def _gelu_tanh64(x_k):
    x_k = float(x_k)
    # x·σ(2u), u = √(2/π)·(x + 0.044715·x³) (_sigmoid: exp_nonpositive inside)
    return x_k * _sigmoid(2.0 * _SQRT_2_OVER_PI * (x_k + 0.044715 * x_k * x_k * x_k))


def _gelu_tanh32(x_k):
    x = np.float64(x_k)  # (numba's float() keeps a float32 a float32)
    # 2u = x·(2√(2/π) + 2√(2/π)·0.044715·x²), e = e^{−2|u|}
    two_u = x * (_TWO_SQRT_2_OVER_PI + (_TWO_SQRT_2_OVER_PI * 0.044715) * (x * x))
    e = exp_nonpositive32(-abs(two_u))
    # x·σ(2u) = x/(1 + e) for u ≥ 0 and x·e/(1 + e) for u < 0 (u has the sign of x)
    return np.float32(x * ((1.0 if x_k >= _ZERO32 else e) / (1.0 + e)))


def _gelu_tanh_slope64(x_k):
    x_k = float(x_k)
    u = _SQRT_2_OVER_PI * (x_k + 0.044715 * x_k * x_k * x_k)
    du = _SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x_k * x_k)
    # e = e^{−2|u|}, computed once for σ(2u) and σ'(2u) = e/(1 + e)²
    e = exp_nonpositive(-2.0 * abs(u))
    s = 1.0 / (1.0 + e)
    sigma = s if u >= 0.0 else e * s
    # σ(2u) + x·2σ'(2u)·u'
    return sigma + x_k * 2.0 * (e * s * s) * du


def _gelu_tanh_slope32(x_k):
    x = np.float64(x_k)
    x2 = x * x
    two_u = x * (_TWO_SQRT_2_OVER_PI + (_TWO_SQRT_2_OVER_PI * 0.044715) * x2)
    e = exp_nonpositive32(-abs(two_u))
    s = 1.0 / (1.0 + e)
    # σ(2u) + x·2u'·σ'(2u) = s·(σ(2u)/s + x·2u'·e·s), 2u' = 2√(2/π)·(1 + 3·0.044715·x²)
    two_du = _TWO_SQRT_2_OVER_PI + (_TWO_SQRT_2_OVER_PI * 3.0 * 0.044715) * x2
    return np.float32(s * ((1.0 if x_k >= _ZERO32 else e) + x * two_du * (e * s)))


def _gelu_tanh(x_k):
    """gelu(x) of one value in the tanh form, x·σ(2u), in the value's precision."""
    return _gelu_tanh32(x_k) if np.asarray(x_k).dtype == np.float32 else _gelu_tanh64(x_k)


def _gelu_tanh_slope(x_k):
    """The tanh form's derivative of one value, σ(2u) + x·2σ'(2u)·u', in the value's precision."""
    return _gelu_tanh_slope32(x_k) if np.asarray(x_k).dtype == np.float32 else _gelu_tanh_slope64(x_k)


@overload(_gelu_tanh, inline="always")
def _gelu_tanh_overload(x_k):
    return _gelu_tanh32 if x_k == types.float32 else _gelu_tanh64


@overload(_gelu_tanh_slope, inline="always")
def _gelu_tanh_slope_overload(x_k):
    return _gelu_tanh_slope32 if x_k == types.float32 else _gelu_tanh_slope64


# which loop _map_slice runs
_RELU, _RELU_GRAD, _LEAKY_RELU, _LEAKY_RELU_GRAD, _SIGMOID, _SIGMOID_GRAD, _TANH, _TANH_GRAD, _GELU, _GELU_GRAD = range(10)
_SOFTMAX, _SOFTMAX_GRAD = range(2)


@njit(cache=True)
def _map_slice(op, x, grad_out, alpha, out):
    # the ReLU family never comes here: _relu_family_checked runs its loops, which scan as they go
    if op == _SIGMOID:
        _sigmoid_fast_loop(x, out)
    elif op == _SIGMOID_GRAD:
        _sigmoid_grad_fast_loop(x, grad_out, out)
    elif op == _TANH:
        _tanh_fast_loop(x, out)
    elif op == _TANH_GRAD:
        _tanh_grad_fast_loop(x, grad_out, out)
    # alpha carries `approximate`
    elif op == _GELU:
        if alpha != 0.0:
            _gelu_tanh_fast_loop(x, out)
        else:
            _gelu_fast_loop(x, out)
    elif alpha != 0.0:
        _gelu_tanh_grad_fast_loop(x, grad_out, out)
    else:
        _gelu_grad_fast_loop(x, grad_out, out)


@njit(cache=True)
def _rows_slice(op, x, grad_out, out):
    if op == _SOFTMAX:
        _softmax_fast_loop(x, out)
    else:
        _softmax_grad_fast_loop(x, grad_out, out)


# Elements per block of the checked loops: 16 KB of float32, read once by the NaN/inf scan and
# again, from the L1 cache, by the loop. Scanning the whole input first read it twice from memory,
# a third of a ReLU's time.
_CHECK_BLOCK = 4096


# The ReLU family has compiled entries of its own (_relu_family_*): op is a run-time number, so an
# entry compiles every loop it could call, and a first relu call compiled all ten loops (11 s on an
# empty cache, 1.4 s with these).
@njit(cache=True)
def _relu_family_checked(op, x, grad_out, with_grad, alpha, out):
    # the ReLU family's loops scan for NaN and inf as they go (see _relu_checked_loop)
    if op == _RELU or op == _RELU_GRAD:
        return _relu_checked_loop(x, grad_out, with_grad, out)
    return _leaky_relu_checked_loop(x, grad_out, with_grad, alpha, out)


@njit(cache=True, parallel=True)
def _relu_family_parallel(op, x, grad_out, with_grad, alpha, out, n_tasks):
    # as _map_parallel
    step = (x.size + n_tasks - 1) // n_tasks
    finite = 0
    for task in prange(n_tasks):
        lo, hi = task * step, min((task + 1) * step, x.size)
        finite += _relu_family_checked(op, x[lo:hi], grad_out[lo:hi], with_grad, alpha, out[lo:hi])
    return finite == n_tasks


@njit(cache=True)
def _relu_family_contiguous(op, x, grad_out, with_grad, alpha, out):
    # as _map_contiguous
    n = x.size
    return _relu_family_checked(op, x.reshape(n), grad_out.reshape(n), with_grad, alpha, out.reshape(n))


@njit(cache=True)
def _map_checked(op, x, grad_out, with_grad, alpha, out):
    # _map_slice block by block, each block scanned just before the loop reads it; the loop runs on
    # a NaN too (its result is then thrown away, see _map)
    finite = True
    for lo in range(0, x.size, _CHECK_BLOCK):
        hi = min(lo + _CHECK_BLOCK, x.size)
        finite &= _all_finite_loop(x[lo:hi])
        if with_grad:
            finite &= _all_finite_loop(grad_out[lo:hi])
        _map_slice(op, x[lo:hi], grad_out[lo:hi], alpha, out[lo:hi])
    return finite


@njit(cache=True)
def _rows_checked(op, x, grad_out, with_grad, out):
    # _rows_slice on blocks of whole rows, about _CHECK_BLOCK values each, each block scanned first
    step = max(1, _CHECK_BLOCK // x.shape[1])
    finite = True
    for lo in range(0, x.shape[0], step):
        hi = min(lo + step, x.shape[0])
        finite &= _all_finite_loop(x[lo:hi].reshape(-1))
        if with_grad:
            finite &= _all_finite_loop(grad_out[lo:hi].reshape(-1))
        _rows_slice(op, x[lo:hi], grad_out[lo:hi], out[lo:hi])
    return finite


@njit(cache=True, parallel=True)
def _map_parallel(op, x, grad_out, with_grad, alpha, out, n_tasks):
    # independent elements: one contiguous slice per task; true when every slice was finite
    step = (x.size + n_tasks - 1) // n_tasks
    finite = 0
    for task in prange(n_tasks):
        lo, hi = task * step, min((task + 1) * step, x.size)
        finite += _map_checked(op, x[lo:hi], grad_out[lo:hi], with_grad, alpha, out[lo:hi])
    return finite == n_tasks


@njit(cache=True, parallel=True)
def _rows_parallel(op, x, grad_out, with_grad, out, n_tasks):
    # independent rows: one block of rows per task
    step = (x.shape[0] + n_tasks - 1) // n_tasks
    finite = 0
    for task in prange(n_tasks):
        lo, hi = task * step, min((task + 1) * step, x.shape[0])
        finite += _rows_checked(op, x[lo:hi], grad_out[lo:hi], with_grad, out[lo:hi])
    return finite == n_tasks


@njit(cache=True)
def _map_contiguous(op, x, grad_out, with_grad, alpha, out):
    # any rank: C-contiguous arrays flatten to views here, in one compiled call (at 32 × 10 the
    # Python reshapes cost as much as the loop)
    return _map_checked(op, x.reshape(x.size), grad_out.reshape(x.size), with_grad, alpha, out.reshape(x.size))


def _map(op, x, grad_out=None, alpha=0.0):
    """``out`` of the element-wise loop ``op`` on ``x`` (and ``grad_out``), same shape and dtype.

    The arrays come checked but for NaN and inf: the loop scans them as it goes, and a NaN or inf
    is refused here, after it, with the message the scan before it gave.
    """
    out = np.empty_like(x)
    with_grad = grad_out is not None
    relu_family = op <= _LEAKY_RELU_GRAD
    if x.size < PARALLEL_MIN_WORK:
        contiguous = _relu_family_contiguous if relu_family else _map_contiguous
        finite = contiguous(op, x, grad_out if with_grad else x, with_grad, float(alpha), out)
    else:
        flat, flat_out = x.reshape(-1), out.reshape(-1)
        flat_grad = grad_out.reshape(-1) if with_grad else flat
        parallel = _relu_family_parallel if relu_family else _map_parallel
        finite = parallel(op, flat, flat_grad, with_grad, float(alpha), flat_out, 4 * numba.get_num_threads())
    if not finite:
        _refuse_non_finite_input(x)
    return out


def _map_rows(op, rows, grad_rows=None):
    """``out`` of the row-wise loop ``op`` (softmax or its gradient) on 2-d ``rows``, scanned as in `_map`."""
    out = np.empty_like(rows)
    with_grad = grad_rows is not None
    grad_rows = grad_rows if with_grad else rows
    if rows.size < PARALLEL_MIN_WORK:
        finite = _rows_checked(op, rows, grad_rows, with_grad, out)
    else:
        finite = _rows_parallel(op, rows, grad_rows, with_grad, out, 4 * numba.get_num_threads())
    if not finite:
        _refuse_non_finite_input(rows)
    return out


def _refuse_non_finite_input(x: np.ndarray):
    # every other check has passed before the loop, so the scans' order decides: x first
    _refuse_non_finite("x" if not all_finite(x) else "grad_out")


# ---------------------------------------------------------------- validation helpers
# The loops scan for NaN and inf themselves (see _map); plain Python (NUMBA_DISABLE_JIT=1) scans
# first, as its loops would warn on a NaN
_SCAN_FIRST = not _COMPILED


def _check_x(x, *, finite: bool = _SCAN_FIRST) -> np.ndarray:
    return as_float_array(x, "x", finite=finite)


def _checked_x_and_grad_out(x, grad_out) -> tuple[np.ndarray, np.ndarray]:
    """`_check_x_and_grad_out` but for the NaN/inf scans, which the loops do (the errors in the same order)."""
    return checked_without_finiteness(_check_x_and_grad_out, x, grad_out)


def _x_first(x: np.ndarray, check, *args, grad_out: np.ndarray | None = None):
    """``check(*args)``, but a NaN or inf in ``x`` or ``grad_out`` (not scanned yet) is refused
    first, as it was when the scans came before."""
    try:
        return check(*args)
    except (TypeError, ValueError):
        _check_finite_float(x, "x")
        if grad_out is not None:
            _check_finite_float(grad_out, "grad_out")
        raise


def _check_x_and_grad_out(x, grad_out, *, finite: bool = True) -> tuple[np.ndarray, np.ndarray]:
    x = _check_x(x, finite=finite)
    given = grad_out
    grad_out = as_float_array(grad_out, "grad_out", finite=finite)
    if isinstance(given, np.ndarray) and grad_out.dtype != x.dtype:
        raise TypeError(f"grad_out must have the same dtype as x ({x.dtype}), got {grad_out.dtype}")
    if grad_out.shape != x.shape:
        raise ValueError(f"grad_out must have the shape of x, {x.shape}, got {grad_out.shape}")
    # a list given as grad_out is float64: round it to the dtype of x, keeping a 0-d array 0-d
    return x, grad_out.astype(x.dtype, copy=False)


def _check_axis(axis, x: np.ndarray) -> int:
    if x.ndim < 1:
        raise ValueError(f"x must have at least 1 dimension for softmax, got shape {x.shape}")
    axis = check_int(axis, "axis")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"axis must be in [{-x.ndim}, {x.ndim}) for x of shape {x.shape}, got {axis}"
        )
    return axis % x.ndim


def _rows_along(array: np.ndarray, axis: int) -> np.ndarray:
    """A C-contiguous 2-d array with ``axis`` last: one row per softmax vector (a view when it is last)."""
    if axis == array.ndim - 1:
        # the validated array is C-contiguous: its last axis already runs along rows
        return array.reshape(-1, array.shape[axis])
    moved = np.moveaxis(array, axis, -1)
    return np.ascontiguousarray(moved).reshape(-1, array.shape[axis])


def _from_rows(rows: np.ndarray, shape: tuple[int, ...], axis: int) -> np.ndarray:
    """Undo `_rows_along`: back to ``shape`` with the softmax axis where it was."""
    if axis == len(shape) - 1:
        return rows.reshape(shape)  # rows is a fresh C-contiguous output: a view
    moved_shape = tuple(n for i, n in enumerate(shape) if i != axis) + (shape[axis],)
    return np.ascontiguousarray(np.moveaxis(rows.reshape(moved_shape), -1, axis))


def _check_slope(negative_slope) -> float:
    return check_real(negative_slope, "negative_slope", low=0.0)


def _check_approximate(approximate) -> bool:
    if isinstance(approximate, str):
        raise TypeError(
            f"approximate must be True or False, got {approximate!r} "
            "(torch's approximate='tanh' is approximate=True here)"
        )
    return check_bool(approximate, "approximate")


# ---------------------------------------------------------------- ReLU
def relu(x):
    r"""The rectified linear unit: $x$ where it is positive, 0 elsewhere.

    The package's one ReLU: `glossary_dl.backprop.relu_forward` and
    `glossary_dl.tensors.elementwise_relu` are this function under the names of their chapters.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        Pre-activations. Lists become float64; a 0-d array gives a 0-d array.

    Returns
    -------
    ndarray
        $\max(x, 0)$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a float array (integer, complex, object arrays are refused).
    ValueError
        If ``x`` is empty or holds NaN or infinite values.

    Notes
    -----
    $$
    \operatorname{relu}(x) = \max(x, 0) =
    \begin{cases} x & x > 0 \\ 0 & x \le 0 \end{cases}
    $$
    """
    x = _check_x(x)
    return _map(_RELU, x)


def relu_grad(x, grad_out):
    r"""Vector–Jacobian product of ReLU: the incoming gradient where $x > 0$, 0 elsewhere.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        The input the ReLU saw in the forward pass.
    grad_out : array_like of float, same shape as ``x``
        $\delta = \partial L / \partial \operatorname{relu}(x)$; an array must have the dtype of ``x``.

    Returns
    -------
    ndarray
        $\partial L / \partial x$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If an argument is not a float array or ``grad_out`` does not have the dtype of ``x``.
    ValueError
        If the shapes differ, an array is empty or holds NaN or infinite values.

    Notes
    -----
    The derivative is 1 for $x > 0$ and 0 for $x < 0$; at $x = 0$ it does not exist and is taken
    as 0, as PyTorch (and Keras on it) does:

    $$
    \frac{\partial L}{\partial x} = \delta \odot 1[x > 0] .
    $$
    """
    x, grad_out = _checked_x_and_grad_out(x, grad_out)
    return _map(_RELU_GRAD, x, grad_out)


# ---------------------------------------------------------------- leaky ReLU
def leaky_relu(x, negative_slope=0.2):
    r"""Leaky ReLU: $x$ where it is positive, a small multiple $\alpha x$ elsewhere.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        Pre-activations.
    negative_slope : float, optional
        The slope $\alpha \ge 0$ for negative inputs; 0.2 as in ``keras.activations.leaky_relu``
        (``keras.layers.LeakyReLU`` uses 0.3, ``torch.nn.functional.leaky_relu`` 0.01).

    Returns
    -------
    ndarray
        $f(x)$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a float array or ``negative_slope`` not a real number.
    ValueError
        If ``x`` is empty or not finite, or ``negative_slope`` is negative or not finite.

    Notes
    -----
    $$
    f(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}
    \qquad
    f'(x) = \begin{cases} 1 & x > 0 \\ \alpha & x \le 0 \end{cases}
    $$

    With $\alpha = 0$ it is ReLU; a negative $\alpha$ would make $f$ non-monotone and is refused,
    as ``keras.layers.LeakyReLU`` refuses it.
    """
    x = _check_x(x)
    negative_slope = _x_first(x, _check_slope, negative_slope)
    return _map(_LEAKY_RELU, x, alpha=negative_slope)


def leaky_relu_grad(x, grad_out, negative_slope=0.2):
    r"""Vector–Jacobian product of leaky ReLU: $\delta$ where $x > 0$, $\alpha\,\delta$ elsewhere.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        The input of the forward pass.
    grad_out : array_like of float, same shape as ``x``
        $\delta = \partial L / \partial f(x)$; an array must have the dtype of ``x``.
    negative_slope : float, optional
        The slope $\alpha \ge 0$ used in the forward pass (default 0.2).

    Returns
    -------
    ndarray
        $\partial L / \partial x$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If an argument is not a float array, ``grad_out`` does not have the dtype of ``x``, or
        ``negative_slope`` is not a real number.
    ValueError
        If the shapes differ, an array is empty or not finite, or ``negative_slope`` is negative.

    Notes
    -----
    At $x = 0$ the slope $\alpha$ is used, as in PyTorch:

    $$
    \frac{\partial L}{\partial x} = \delta \odot \big(1[x > 0] + \alpha\, 1[x \le 0]\big) .
    $$
    """
    x, grad_out = _checked_x_and_grad_out(x, grad_out)
    negative_slope = _x_first(x, _check_slope, negative_slope, grad_out=grad_out)
    return _map(_LEAKY_RELU_GRAD, x, grad_out, alpha=negative_slope)


# ---------------------------------------------------------------- sigmoid
def sigmoid(x):
    r"""The logistic sigmoid, which squashes any real number into $(0, 1)$.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        Pre-activations (logits).

    Returns
    -------
    ndarray
        $\sigma(x)$, same shape and dtype as ``x``. Exactly 0 or 1 only where the true value
        rounds to it (e.g. $x \le -746$ or $x \ge 37$ in float64).

    Raises
    ------
    TypeError
        If ``x`` is not a float array.
    ValueError
        If ``x`` is empty or holds NaN or infinite values.

    Notes
    -----
    $$
    \sigma(x) = \frac{1}{1 + e^{-x}} =
    \begin{cases} 1 / (1 + e^{-x}) & x \ge 0 \\ e^{x} / (1 + e^{x}) & x < 0 \end{cases}
    $$

    The second form is the same number; each branch only ever exponentiates a non-positive
    value, so nothing overflows at $x = \pm 1000$.
    """
    x = _check_x(x)
    return _map(_SIGMOID, x)


def sigmoid_grad(x, grad_out):
    r"""Vector–Jacobian product of the sigmoid, $\delta \odot \sigma(x)(1 - \sigma(x))$.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        The input of the forward pass.
    grad_out : array_like of float, same shape as ``x``
        $\delta = \partial L / \partial \sigma(x)$; an array must have the dtype of ``x``.

    Returns
    -------
    ndarray
        $\partial L / \partial x$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If an argument is not a float array or ``grad_out`` does not have the dtype of ``x``.
    ValueError
        If the shapes differ, an array is empty or holds NaN or infinite values.

    Notes
    -----
    $$
    \sigma'(x) = \sigma(x)\,\big(1 - \sigma(x)\big) = \frac{e^{-|x|}}{\big(1 + e^{-|x|}\big)^2},
    \qquad \frac{\partial L}{\partial x} = \delta \odot \sigma'(x) .
    $$

    The last form keeps full relative accuracy in the tails, where $1 - \sigma(x)$ rounds to 0.
    """
    x, grad_out = _checked_x_and_grad_out(x, grad_out)
    return _map(_SIGMOID_GRAD, x, grad_out)


# ---------------------------------------------------------------- tanh
def tanh(x):
    r"""The hyperbolic tangent, which squashes any real number into $(-1, 1)$, odd and zero-centred.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        Pre-activations.

    Returns
    -------
    ndarray
        $\tanh(x)$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a float array.
    ValueError
        If ``x`` is empty or holds NaN or infinite values.

    Notes
    -----
    $$
    \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}
    = \operatorname{sign}(x)\,\frac{1 - e^{-2|x|}}{1 + e^{-2|x|}} = 2\sigma(2x) - 1
    $$

    The loop evaluates the middle form with $e^{-2|x|} - 1$ computed by ``expm1``, so large
    $|x|$ cannot overflow and small $|x|$ loses no digits; the result is exactly odd.
    """
    x = _check_x(x)
    return _map(_TANH, x)


def tanh_grad(x, grad_out):
    r"""Vector–Jacobian product of tanh, $\delta \odot (1 - \tanh^2 x)$.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        The input of the forward pass.
    grad_out : array_like of float, same shape as ``x``
        $\delta = \partial L / \partial \tanh(x)$; an array must have the dtype of ``x``.

    Returns
    -------
    ndarray
        $\partial L / \partial x$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If an argument is not a float array or ``grad_out`` does not have the dtype of ``x``.
    ValueError
        If the shapes differ, an array is empty or holds NaN or infinite values.

    Notes
    -----
    $$
    \tanh'(x) = 1 - \tanh^2(x) = \frac{4\,e^{-2|x|}}{\big(1 + e^{-2|x|}\big)^2},
    \qquad \frac{\partial L}{\partial x} = \delta \odot \tanh'(x) .
    $$
    """
    x, grad_out = _checked_x_and_grad_out(x, grad_out)
    return _map(_TANH_GRAD, x, grad_out)


# ---------------------------------------------------------------- softmax
def softmax(x, axis=-1):
    r"""Softmax along one axis: exponentiate, then divide by the sum, giving a probability vector.

    Parameters
    ----------
    x : array_like of float32 or float64, at least 1-d
        Scores (logits).
    axis : int, optional
        The axis along which the entries sum to 1; the last one by default, as in Keras
        (``torch.nn.functional.softmax`` needs ``dim``).

    Returns
    -------
    ndarray
        $s = \operatorname{softmax}(x)$, same shape and dtype as ``x``; every slice along ``axis``
        is non-negative and sums to 1.

    Raises
    ------
    TypeError
        If ``x`` is not a float array or ``axis`` not an integer.
    ValueError
        If ``x`` is 0-d, empty or not finite, or ``axis`` is outside $[-\text{ndim}, \text{ndim})$.

    Notes
    -----
    For one vector $x$ of length $n$ along ``axis``, with $x^{\max} = \max_j x_j$:

    $$
    s_i = \frac{e^{x_i}}{\sum_{j=1}^{n} e^{x_j}}
    = \frac{e^{x_i - x^{\max}}}{\sum_{j=1}^{n} e^{x_j - x^{\max}}} .
    $$

    Subtracting $x^{\max}$ changes nothing mathematically (it cancels), but keeps every exponent
    $\le 0$ and the denominator $\ge 1$, so scores of $\pm 1000$ neither overflow nor divide by 0.
    """
    x = _check_x(x)
    axis = _x_first(x, _check_axis, axis, x)
    rows = _rows_along(x, axis)
    return _from_rows(_map_rows(_SOFTMAX, rows), x.shape, axis)


def softmax_grad(x, grad_out, axis=-1):
    r"""Vector–Jacobian product of softmax: $\delta$ times the full Jacobian of each slice.

    Parameters
    ----------
    x : array_like of float32 or float64, at least 1-d
        The scores of the forward pass.
    grad_out : array_like of float, same shape as ``x``
        $\delta = \partial L / \partial s$; an array must have the dtype of ``x``.
    axis : int, optional
        The softmax axis of the forward pass (default the last).

    Returns
    -------
    ndarray
        $\partial L / \partial x$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If an argument is not a float array, ``grad_out`` does not have the dtype of ``x``, or
        ``axis`` is not an integer.
    ValueError
        If the shapes differ, ``x`` is 0-d, an array is empty or not finite, or ``axis`` is out
        of range.

    Notes
    -----
    Every output of a slice depends on every input of it; the Jacobian
    $J_{ji} = \partial s_j / \partial x_i = s_j (1[i = j] - s_i)$ is not diagonal, and

    $$
    \frac{\partial L}{\partial x_i} = \sum_{j} \delta_j\, s_j \big(1[i = j] - s_i\big)
    = s_i \Big(\delta_i - \sum_{j} \delta_j s_j\Big) .
    $$
    """
    x, grad_out = _checked_x_and_grad_out(x, grad_out)
    axis = _x_first(x, _check_axis, axis, x, grad_out=grad_out)
    rows = _rows_along(x, axis)
    return _from_rows(_map_rows(_SOFTMAX_GRAD, rows, _rows_along(grad_out, axis)), x.shape, axis)


# ---------------------------------------------------------------- GELU
def gelu(x, approximate=False):
    r"""Gaussian error linear unit: $x$ weighted by the probability that a standard normal is below it.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        Pre-activations.
    approximate : bool, optional
        False (default, as ``keras.activations.gelu`` and ``torch.nn.functional.gelu``): the exact
        form with the normal CDF. True: the tanh approximation (torch's ``approximate="tanh"``,
        the default of ``keras.ops.gelu``).

    Returns
    -------
    ndarray
        $\operatorname{gelu}(x)$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a float array or ``approximate`` is not True or False.
    ValueError
        If ``x`` is empty or holds NaN or infinite values.

    Notes
    -----
    With $\Phi$ the standard normal CDF and $u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)$,

    $$
    \operatorname{gelu}(x) = x\,\Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}\frac{x}{\sqrt 2}\right)
    \approx \frac{x}{2}\big(1 + \tanh u\big) = x\,\sigma(2u) .
    $$

    The two forms differ by at most about $4.7 \times 10^{-4}$ on $[-4, 4]$. The loop uses
    $\Phi(x) = \tfrac12 \operatorname{erfc}(-x/\sqrt 2)$ and $x\,\sigma(2u)$, which keep their
    relative accuracy for negative $x$, where $1 + \operatorname{erf}$ and $1 + \tanh$ cancel.
    A float32 array is computed in float32 arithmetic where it costs: the exact form within 4 ulp
    of the exact value, the tanh form's exponential to float32 precision (within 1.6 ulp).
    """
    x = _check_x(x)
    approximate = _x_first(x, _check_approximate, approximate)
    return _map(_GELU, x, alpha=float(approximate))


def gelu_grad(x, grad_out, approximate=False):
    r"""Vector–Jacobian product of GELU, $\delta \odot \operatorname{gelu}'(x)$, exact or tanh form.

    Parameters
    ----------
    x : array_like of float32 or float64, any shape
        The input of the forward pass.
    grad_out : array_like of float, same shape as ``x``
        $\delta = \partial L / \partial \operatorname{gelu}(x)$; an array must have the dtype of ``x``.
    approximate : bool, optional
        The form used in the forward pass (default False, the exact one).

    Returns
    -------
    ndarray
        $\partial L / \partial x$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If an argument is not a float array, ``grad_out`` does not have the dtype of ``x``, or
        ``approximate`` is not True or False.
    ValueError
        If the shapes differ, an array is empty or holds NaN or infinite values.

    Notes
    -----
    With $\varphi(x) = e^{-x^2/2} / \sqrt{2\pi}$ the normal density and
    $u' = \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\,x^2)$,

    $$
    \operatorname{gelu}'(x) = \Phi(x) + x\,\varphi(x)
    \quad\text{(exact)}, \qquad
    \frac{d}{dx}\big[x\,\sigma(2u)\big] = \sigma(2u) + 2x\,\sigma'(2u)\,u'
    \quad\text{(tanh form)} .
    $$

    GELU is not monotone: its derivative is negative for $x$ below about $-0.75$. For a float32
    array the exact form is computed in float32 as $\varphi(x)\,J(|x|)$, $J(u) = \Phi(-u)/\varphi(u) - u$
    (and $1 - \varphi(x)\,J(x)$ for $x \ge 0$), within 4 ulp even next to that root, where the sum
    $\Phi(x) + x\,\varphi(x)$ cancels.
    """
    x, grad_out = _checked_x_and_grad_out(x, grad_out)
    approximate = _x_first(x, _check_approximate, approximate, grad_out=grad_out)
    return _map(_GELU_GRAD, x, grad_out, alpha=float(approximate))
