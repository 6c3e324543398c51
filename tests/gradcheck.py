"""Finite-difference gradient checks, in float64.

The central differences live in the package (``glossary_dl.cli.selfcheck``), so that
``glossary-dl verify`` runs the same arithmetic on a reader's machine; the tests use that one.
"""

import numpy as np

from glossary_dl.cli.selfcheck import numerical_gradient

__all__ = ["assert_gradient_matches", "numerical_gradient"]


def assert_gradient_matches(f, grad_f, x, *, eps=1e-6, rtol=1e-6, atol=1e-8):
    """Assert the analytic gradient ``grad_f(x)`` matches central differences of ``f``."""
    expected = numerical_gradient(f, x, eps)
    np.testing.assert_allclose(grad_f(x), expected, rtol=rtol, atol=atol)
