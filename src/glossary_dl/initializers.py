r"""Weight initialization schemes: Glorot (Xavier), He (Kaiming) and LeCun, as in Keras 3.

Each scheme picks the variance of the random starting weights from the layer's fans (the
number of inputs and outputs a weight connects, `compute_fans`) and draws either from a
uniform distribution or from a normal distribution truncated at two raw standard deviations:

| scheme | variance $s^2$ | uniform limit $r = \sqrt{3 s^2}$ |
| --- | --- | --- |
| Glorot | $2 / (f_\text{in} + f_\text{out})$ | $\sqrt{6 / (f_\text{in} + f_\text{out})}$ |
| He | $2 / f_\text{in}$ | $\sqrt{6 / f_\text{in}}$ |
| LeCun | $1 / f_\text{in}$ | $\sqrt{3 / f_\text{in}}$ |

The random numbers come from NumPy's ``Generator`` (PCG64); the compiled loops turn those
draws into weights (scaling, and rejection for the truncated normal). Draws are made in
float64 and rounded once to the requested dtype, so a float32 and a float64 call with the
same seed return the same weights up to that rounding. Shapes use the Keras layout:
(in, out) for a dense kernel, (..., in, out) for a convolution kernel.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numba import njit

from glossary_dl._validation import check_float_dtype

__all__ = [
    "compute_fans",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
]

# Standard deviation of a standard normal truncated to (−2, 2): √(1 − 4φ(2) / (Φ(2) − Φ(−2))).
# Keras divides by it so that the truncated draws have the variance the scheme asks for.
_TRUNCATED_STD = 0.87962566103423978


# ---------------------------------------------------------------- compiled loops
# They assume clean input: C-contiguous float64 arrays, sizes already checked.


# --8<-- [start:uniform_loop]
@njit(cache=True)
def _uniform_loop(u, limit, w):
    for k in range(u.size):
        # W_k ← r·(2u_k − 1) with u_k ~ U[0, 1): uniform on [−r, r), variance r²/3 = s²
        w[k] = limit * (2.0 * u[k] - 1.0)
# --8<-- [end:uniform_loop]


# --8<-- [start:truncated_normal_loop]
@njit(cache=True)
def _truncated_normal_loop(z, sigma_raw, w, filled):
    k = filled
    for i in range(z.size):
        if k == w.size:
            break
        # rejection: keep a standard normal draw z_i only if −2 < z_i < 2, else take the next one
        if -2.0 < z[i] < 2.0:
            # W_k ← σ_raw·z_i,  σ_raw = s / 0.8796…, so that |W_k| < 2σ_raw and Var W = s²
            w[k] = sigma_raw * z[i]
            k += 1
    # the number of weights filled so far; the caller draws more z while k < size
    return k
# --8<-- [end:truncated_normal_loop]


# ---------------------------------------------------------------- validation
def _check_shape(shape) -> tuple[int, ...]:
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape must be a tuple of positive integers, got {type(shape).__name__}")
    dims = []
    for dim in shape:
        if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"shape must be a tuple of positive integers, got {tuple(shape)!r}")
        if dim < 1:
            raise ValueError(f"shape must be a tuple of positive integers, got {tuple(shape)!r}")
        dims.append(int(dim))
    return tuple(dims)



def _generator(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"seed must be None, a non-negative integer or a numpy.random.Generator, got {seed!r}"
        )
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.default_rng(int(seed))


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 0:
        # a scalar weight: one input, one output
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    # convolution kernel (..., in, out): each input channel reaches the output through every
    # position of the receptive field, the product of the leading (spatial) sizes
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _variance_scaling(shape, seed, dtype, scale: float, mode: str, distribution: str) -> np.ndarray:
    """The common body of the six schemes (Keras' ``VarianceScaling``)."""
    shape = _check_shape(shape)
    dtype = check_float_dtype(dtype)
    rng = _generator(seed)
    fan_in, fan_out = _fans(shape)
    # s² = scale / f_in, or scale / ((f_in + f_out)/2) for the Glorot average
    denominator = fan_in if mode == "fan_in" else (fan_in + fan_out) / 2.0
    variance = scale / max(1.0, denominator)
    size = math.prod(shape)
    w = np.empty(size, dtype=np.float64)
    if distribution == "uniform":
        _uniform_loop(rng.random(size), math.sqrt(3.0 * variance), w)
    else:
        sigma_raw = math.sqrt(variance) / _TRUNCATED_STD
        filled = 0
        while filled < size:
            # 95.4% of draws are kept; 6% extra plus 16 almost always fill the rest in one pass
            remaining = size - filled
            z = rng.standard_normal(remaining + remaining // 16 + 16)
            filled = _truncated_normal_loop(z, sigma_raw, w, filled)
    return w.astype(dtype).reshape(shape)


# ---------------------------------------------------------------- public functions
def compute_fans(shape):
    r"""The fan-in and fan-out of a weight tensor, by Keras' rules.

    Parameters
    ----------
    shape : tuple of int
        Shape of the weight tensor in the Keras layout: (in, out) for a dense kernel,
        (..., in, out) for a convolution kernel (e.g. (h, w, in, out)), (n,) for a vector.

    Returns
    -------
    fan_in, fan_out : int
        $f_\text{in}$ and $f_\text{out}$.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple (or list) of integers.
    ValueError
        If a dimension is not positive.

    Notes
    -----
    For a dense kernel of shape $(n_\text{in}, n_\text{out})$ the fans are the two sizes. A
    convolution kernel of shape $(k_1, \dots, k_d, c_\text{in}, c_\text{out})$ connects every
    input channel to every output through each position of its receptive field, of size
    $\prod_j k_j$:

    $$
    f_\text{in} = c_\text{in} \prod_{j=1}^{d} k_j, \qquad
    f_\text{out} = c_\text{out} \prod_{j=1}^{d} k_j .
    $$

    A vector of shape $(n,)$ has $f_\text{in} = f_\text{out} = n$ and a scalar (shape ``()``)
    has both equal to 1, as in Keras.
    """
    return _fans(_check_shape(shape))


def glorot_uniform(shape, seed=None, dtype="float32"):
    r"""Glorot (Xavier) uniform initialization: $U(-r, r)$ with $r = \sqrt{6 / (f_\text{in} + f_\text{out})}$.

    Keras' default kernel initializer for ``Dense`` and convolution layers.

    Parameters
    ----------
    shape : tuple of int
        Shape of the weight tensor, Keras layout ((in, out) or (..., in, out)).
    seed : None, int or numpy.random.Generator, optional
        An integer seed (the same integer gives a bit-identical array), a ``Generator`` to draw
        from (it advances), or None for fresh entropy.
    dtype : {"float32", "float64"}, optional
        The dtype of the result; float32 by default, like Keras.

    Returns
    -------
    ndarray
        The weights, of the given shape and dtype.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of integers, ``seed`` not None/int/Generator, or ``dtype`` not
        float32/float64.
    ValueError
        If a dimension is not positive or ``seed`` is negative.

    Notes
    -----
    With the fans of `compute_fans`, the weights are drawn independently from

    $$
    W_k \sim U(-r, r), \qquad r = \sqrt{\frac{6}{f_\text{in} + f_\text{out}}}, \qquad
    \operatorname{Var} W_k = \frac{r^2}{3} = \frac{2}{f_\text{in} + f_\text{out}} .
    $$
    """
    return _variance_scaling(shape, seed, dtype, 1.0, "fan_avg", "uniform")


def glorot_normal(shape, seed=None, dtype="float32"):
    r"""Glorot (Xavier) normal initialization: a truncated normal of variance $2 / (f_\text{in} + f_\text{out})$.

    Parameters
    ----------
    shape : tuple of int
        Shape of the weight tensor, Keras layout ((in, out) or (..., in, out)).
    seed : None, int or numpy.random.Generator, optional
        An integer seed (the same integer gives a bit-identical array), a ``Generator`` to draw
        from (it advances), or None for fresh entropy.
    dtype : {"float32", "float64"}, optional
        The dtype of the result; float32 by default, like Keras.

    Returns
    -------
    ndarray
        The weights, of the given shape and dtype.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of integers, ``seed`` not None/int/Generator, or ``dtype`` not
        float32/float64.
    ValueError
        If a dimension is not positive or ``seed`` is negative.

    Notes
    -----
    As in Keras, a normal of standard deviation $\sigma_\text{raw}$ is truncated to
    $(-2\sigma_\text{raw}, 2\sigma_\text{raw})$ by rejection, and $\sigma_\text{raw}$ is enlarged
    by the factor $1/0.87962566\ldots$ that truncation takes away, so the variance is the
    stated one:

    $$
    s^2 = \frac{2}{f_\text{in} + f_\text{out}}, \qquad
    \sigma_\text{raw} = \frac{s}{0.87962566\ldots}, \qquad
    W_k \sim \mathcal N(0, \sigma_\text{raw}^2) \text{ conditioned on } |W_k| < 2\sigma_\text{raw} .
    $$
    """
    return _variance_scaling(shape, seed, dtype, 1.0, "fan_avg", "truncated_normal")


def he_uniform(shape, seed=None, dtype="float32"):
    r"""He (Kaiming) uniform initialization: $U(-r, r)$ with $r = \sqrt{6 / f_\text{in}}$.

    Suited to layers followed by a ReLU, which zeroes half of its input on average.

    Parameters
    ----------
    shape : tuple of int
        Shape of the weight tensor, Keras layout ((in, out) or (..., in, out)).
    seed : None, int or numpy.random.Generator, optional
        An integer seed (the same integer gives a bit-identical array), a ``Generator`` to draw
        from (it advances), or None for fresh entropy.
    dtype : {"float32", "float64"}, optional
        The dtype of the result; float32 by default, like Keras.

    Returns
    -------
    ndarray
        The weights, of the given shape and dtype.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of integers, ``seed`` not None/int/Generator, or ``dtype`` not
        float32/float64.
    ValueError
        If a dimension is not positive or ``seed`` is negative.

    Notes
    -----
    $$
    W_k \sim U(-r, r), \qquad r = \sqrt{\frac{6}{f_\text{in}}}, \qquad
    \operatorname{Var} W_k = \frac{2}{f_\text{in}} .
    $$
    """
    return _variance_scaling(shape, seed, dtype, 2.0, "fan_in", "uniform")


def he_normal(shape, seed=None, dtype="float32"):
    r"""He (Kaiming) normal initialization: a truncated normal of variance $2 / f_\text{in}$.

    Suited to layers followed by a ReLU, which zeroes half of its input on average.

    Parameters
    ----------
    shape : tuple of int
        Shape of the weight tensor, Keras layout ((in, out) or (..., in, out)).
    seed : None, int or numpy.random.Generator, optional
        An integer seed (the same integer gives a bit-identical array), a ``Generator`` to draw
        from (it advances), or None for fresh entropy.
    dtype : {"float32", "float64"}, optional
        The dtype of the result; float32 by default, like Keras.

    Returns
    -------
    ndarray
        The weights, of the given shape and dtype.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of integers, ``seed`` not None/int/Generator, or ``dtype`` not
        float32/float64.
    ValueError
        If a dimension is not positive or ``seed`` is negative.

    Notes
    -----
    Truncated at two raw standard deviations, as in Keras (see `glorot_normal`):

    $$
    s^2 = \frac{2}{f_\text{in}}, \qquad \sigma_\text{raw} = \frac{s}{0.87962566\ldots}, \qquad
    W_k \sim \mathcal N(0, \sigma_\text{raw}^2) \text{ conditioned on } |W_k| < 2\sigma_\text{raw} .
    $$
    """
    return _variance_scaling(shape, seed, dtype, 2.0, "fan_in", "truncated_normal")


def lecun_uniform(shape, seed=None, dtype="float32"):
    r"""LeCun uniform initialization: $U(-r, r)$ with $r = \sqrt{3 / f_\text{in}}$.

    Parameters
    ----------
    shape : tuple of int
        Shape of the weight tensor, Keras layout ((in, out) or (..., in, out)).
    seed : None, int or numpy.random.Generator, optional
        An integer seed (the same integer gives a bit-identical array), a ``Generator`` to draw
        from (it advances), or None for fresh entropy.
    dtype : {"float32", "float64"}, optional
        The dtype of the result; float32 by default, like Keras.

    Returns
    -------
    ndarray
        The weights, of the given shape and dtype.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of integers, ``seed`` not None/int/Generator, or ``dtype`` not
        float32/float64.
    ValueError
        If a dimension is not positive or ``seed`` is negative.

    Notes
    -----
    $$
    W_k \sim U(-r, r), \qquad r = \sqrt{\frac{3}{f_\text{in}}}, \qquad
    \operatorname{Var} W_k = \frac{1}{f_\text{in}} .
    $$
    """
    return _variance_scaling(shape, seed, dtype, 1.0, "fan_in", "uniform")


def lecun_normal(shape, seed=None, dtype="float32"):
    r"""LeCun normal initialization: a truncated normal of variance $1 / f_\text{in}$.

    Parameters
    ----------
    shape : tuple of int
        Shape of the weight tensor, Keras layout ((in, out) or (..., in, out)).
    seed : None, int or numpy.random.Generator, optional
        An integer seed (the same integer gives a bit-identical array), a ``Generator`` to draw
        from (it advances), or None for fresh entropy.
    dtype : {"float32", "float64"}, optional
        The dtype of the result; float32 by default, like Keras.

    Returns
    -------
    ndarray
        The weights, of the given shape and dtype.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of integers, ``seed`` not None/int/Generator, or ``dtype`` not
        float32/float64.
    ValueError
        If a dimension is not positive or ``seed`` is negative.

    Notes
    -----
    Truncated at two raw standard deviations, as in Keras (see `glorot_normal`):

    $$
    s^2 = \frac{1}{f_\text{in}}, \qquad \sigma_\text{raw} = \frac{s}{0.87962566\ldots}, \qquad
    W_k \sim \mathcal N(0, \sigma_\text{raw}^2) \text{ conditioned on } |W_k| < 2\sigma_\text{raw} .
    $$
    """
    return _variance_scaling(shape, seed, dtype, 1.0, "fan_in", "truncated_normal")
