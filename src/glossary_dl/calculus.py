r"""Numerical differentiation: derivatives and gradients by central differences.

`derivative` and `gradient` take any Python function and estimate its derivative
from two evaluations per coordinate, with no knowledge of the formula inside. They
are the tools a reader can use to check a hand-written or automatic gradient, the
way `tests/gradcheck.py` checks every gradient in this package.

The function being differentiated is a Python callable, so calling it cannot be
compiled; the compiled ``_central_difference_loop`` does the arithmetic once the
values are in. The step is measured after rounding, $h = (x + h) - (x - h)$ over
two, so the quotient divides by the spacing the function really saw.
"""

from __future__ import annotations

import numbers

import numpy as np
from numba import njit

from glossary_dl._validation import FLOAT_DTYPES, as_float_array, check_real

__all__ = ["derivative", "gradient"]


# ---------------------------------------------------------------- compiled loop
# --8<-- [start:central_difference_loop]
@njit(cache=True)
def _central_difference_loop(f_plus, f_minus, spacing, out):
    for i in range(out.size):
        # ∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / (2h),  spacing_i = (x_i + h) − (x_i − h) = 2h
        out[i] = (f_plus[i] - f_minus[i]) / spacing[i]
# --8<-- [end:central_difference_loop]


# ---------------------------------------------------------------- helpers
def _check_callable(f, name: str) -> None:
    if not callable(f):
        raise TypeError(f"{name} must be a callable returning a real number, got {type(f).__name__}")


def _scalar_value(value, name: str) -> float:
    """The real number a user function returned, or a clear error."""
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise ValueError(f"{name} must return a scalar, got an array of shape {value.shape}")
        value = value.reshape(-1)[0]
    if hasattr(value, "item") and not isinstance(value, numbers.Number):  # e.g. a 0-d torch tensor
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must return a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} returned a non-finite value ({value}) near the point given")
    return value


def _step(h, dtype: np.dtype, x: np.ndarray) -> np.ndarray:
    """h for every coordinate: the one given, or ε^(1/3)·max(1, |x_i|) for the dtype's ε."""
    if h is None:
        # the h that balances truncation, ~h²·|f'''|/6, against rounding, ~ε·|f|/h
        return np.cbrt(np.finfo(dtype).eps) * np.maximum(1.0, np.abs(x.astype(np.float64)))
    h = check_real(h, "h", low=0.0, low_inclusive=False)
    return np.full(x.shape, h)


def _shifted(x_i, h_i, dtype, name: str):
    """x_i + h_i and x_i − h_i rounded to the dtype, and their true spacing."""
    t = dtype.type
    upper, lower = t(x_i + h_i), t(x_i - h_i)
    spacing = float(upper) - float(lower)  # exact: two numbers of the same dtype and close
    if not (np.isfinite(upper) and np.isfinite(lower)) or spacing <= 0.0:
        raise ValueError(
            f"h must move {name} to distinct finite {dtype} values, got h = {h_i} at {name} = {x_i}"
        )
    return upper, lower, spacing


# ---------------------------------------------------------------- public functions
def derivative(f, x, h=None):
    r"""Derivative of a function of one variable at a point, by a central difference.

    Parameters
    ----------
    f : callable
        $f(x)$, taking a scalar of the dtype of ``x`` and returning a real number.
    x : float or numpy.float32 or numpy.float64
        The point. A Python number is taken as float64.
    h : float or None, default None
        The half-width $h > 0$ of the difference. None chooses
        $h = \varepsilon^{1/3} \max(1, |x|)$ with $\varepsilon$ the machine epsilon of the
        dtype (about $6\cdot10^{-6}$ in float64, $5\cdot10^{-3}$ in float32).

    Returns
    -------
    numpy.float64 or numpy.float32
        The estimate of $f'(x)$, with the dtype of ``x``.

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something other than a real number, or ``x`` or
        ``h`` is not a real number.
    ValueError
        If ``x`` or ``h`` is not finite, ``h`` is not positive or too small to move ``x``, or
        ``f`` returns an array of more than one element or a non-finite value.

    Notes
    -----
    $$
    f'(x) \approx \frac{f(x + h) - f(x - h)}{2h},
    \qquad \text{error} \approx \frac{h^2}{6}\,|f'''(x)| + \frac{\varepsilon\,|f(x)|}{h} .
    $$

    The first term (truncation) falls as $h^2$, the second (rounding) grows as $h$ shrinks;
    the default $h$ makes them about equal, which leaves roughly $\varepsilon^{2/3}$ of
    relative error: about 10 correct digits in float64, 4 to 5 in float32.
    """
    _check_callable(f, "f")
    if isinstance(x, (np.floating, np.ndarray)) and np.asarray(x).dtype in FLOAT_DTYPES:
        if np.ndim(x) != 0:
            raise ValueError(f"x must be a scalar, got an array of shape {np.shape(x)}; use gradient()")
        point = np.asarray(x)
    else:
        point = np.asarray(check_real(x, "x"))
    dtype = point.dtype
    if not np.isfinite(point):
        raise ValueError(f"x must be finite, got {float(point)}")
    h_x = float(_step(h, dtype, point.reshape(1))[0])
    upper, lower, spacing = _shifted(point.item(), h_x, dtype, "x")
    f_plus = np.array([_scalar_value(f(upper), "f")])
    f_minus = np.array([_scalar_value(f(lower), "f")])
    out = np.empty(1)
    _central_difference_loop(f_plus, f_minus, np.array([spacing]), out)
    return dtype.type(out[0])


def gradient(f, x, h=None):
    r"""Gradient of a scalar function of an array, by central differences in every coordinate.

    Parameters
    ----------
    f : callable
        $f(x)$, taking an array shaped like ``x`` (a fresh copy at every call) and returning a
        real number.
    x : array_like of float32 or float64, any shape
        The point. Lists of numbers are taken as float64.
    h : float or None, default None
        The half-width $h > 0$ of the differences. None chooses
        $h_i = \varepsilon^{1/3} \max(1, |x_i|)$ per coordinate, with $\varepsilon$ the machine
        epsilon of the dtype.

    Returns
    -------
    ndarray
        The estimate of $\nabla f(x)$, same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something other than a real number, or ``x`` is not
        a float array.
    ValueError
        If ``x`` is empty or not finite, ``h`` is not positive or too small to move an element
        of ``x``, or ``f`` returns an array of more than one element or a non-finite value.

    Notes
    -----
    With $e_i$ the array that is 1 at position $i$ and 0 elsewhere,

    $$
    \frac{\partial f}{\partial x_i} \approx \frac{f(x + h\,e_i) - f(x - h\,e_i)}{2h}
    \quad\text{for every } i, \qquad
    \nabla f(x) = \Big( \frac{\partial f}{\partial x_1}, \dots, \frac{\partial f}{\partial x_n} \Big).
    $$

    It costs $2n$ calls of $f$ for $n$ elements, against one backward pass for backpropagation:
    a tool to check gradients, not to train with.
    """
    _check_callable(f, "f")
    x = as_float_array(x, "x")
    h_all = _step(h, x.dtype, x).reshape(-1)
    flat = x.reshape(-1)
    n = flat.size
    f_plus, f_minus, spacing = np.empty(n), np.empty(n), np.empty(n)
    work = flat.copy()
    for i in range(n):
        upper, lower, spacing[i] = _shifted(flat[i], h_all[i], x.dtype, f"x[{i}]")
        work[i] = upper
        f_plus[i] = _scalar_value(f(work.reshape(x.shape).copy()), "f")
        work[i] = lower
        f_minus[i] = _scalar_value(f(work.reshape(x.shape).copy()), "f")
        work[i] = flat[i]
    out = np.empty(n)
    _central_difference_loop(f_plus, f_minus, spacing, out)
    return out.astype(x.dtype).reshape(x.shape)
