"""Finite-difference gradient checks, in float64."""

import numpy as np


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar function ``f`` at ``x``.

    ``(f(x + eps·e_i) − f(x − eps·e_i)) / (2·eps)`` for every element i; the
    error is O(eps²) plus rounding of order ``|f|·1e-16/eps``.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        upper = float(f(x))
        flat[i] = saved - eps
        lower = float(f(x))
        flat[i] = saved
        flat_grad[i] = (upper - lower) / (2.0 * eps)
    return grad


def assert_gradient_matches(f, grad_f, x, *, eps=1e-6, rtol=1e-6, atol=1e-8):
    """Assert the analytic gradient ``grad_f(x)`` matches central differences of ``f``."""
    expected = numerical_gradient(f, x, eps)
    np.testing.assert_allclose(grad_f(x), expected, rtol=rtol, atol=atol)
