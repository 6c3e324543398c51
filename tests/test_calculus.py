"""glossary_dl.calculus against analytic derivatives, torch.autograd and the error model."""

import numpy as np
import pytest
import torch
from gradcheck import numerical_gradient

from glossary_dl.backprop import softmax_cross_entropy
from glossary_dl.calculus import derivative, gradient

# (f, f', points) with f' worked out by hand; numpy ufuncs keep the dtype of their argument
FUNCTIONS = [
    ("sin", np.sin, np.cos, [-2.0, 0.0, 0.7, 3.0]),
    ("exp", np.exp, np.exp, [-3.0, 0.0, 1.5]),
    ("log", np.log, lambda x: 1.0 / x, [0.3, 1.0, 20.0]),
    ("cubic", lambda x: x**3 - 2 * x, lambda x: 3 * x**2 - 2, [-1.5, 0.0, 100.0]),
]
# With the default h = ε^(1/3)·max(1, |x|) the error is about ε^(2/3)·(|f| + |f'''|·max(1,|x|)²)/|f'|
# relative: ~4e-11 in float64, ~2e-5 in float32, times the O(1) factors of these functions.
DERIVATIVE_TOL = {np.float64: dict(rtol=1e-8, atol=1e-8), np.float32: dict(rtol=2e-3, atol=2e-3)}


@pytest.mark.verifies("glossary_dl.calculus.derivative", oracle="numpy",  # the analytic derivative, in NumPy
                      rtol={"float64": 1e-8, "float32": 2e-3}, atol={"float64": 1e-8, "float32": 2e-3})
@pytest.mark.parametrize(("name", "f", "df", "points"), FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_derivative_matches_the_analytic_derivative(name, f, df, points, dtype):
    for x in points:
        ours = derivative(f, dtype(x))
        assert isinstance(ours, dtype)
        np.testing.assert_allclose(ours, df(np.float64(x)), **DERIVATIVE_TOL[dtype])


def test_central_difference_error_is_second_order():
    # error(h) = h²·f'''/6 + O(h⁴): halving h divides it by 4 (here by 4·(1 + h²/20)/(1 + h²/80))
    x, exact = 0.5, np.exp(0.5)
    errors = [abs(derivative(np.exp, x, h=h) - exact) for h in (0.1, 0.05, 0.025)]
    ratios = [errors[0] / errors[1], errors[1] / errors[2]]
    np.testing.assert_allclose(ratios, 4.0, rtol=5e-3)  # 4 to within the O(h²) correction
    np.testing.assert_allclose(errors[1], 0.05**2 / 6 * exact, rtol=1e-3)  # the leading term


def test_default_step_beats_a_tiny_and_a_large_step():
    # rounding dominates at h = 1e-12 (~ε/h = 1e-4), truncation at h = 1e-2 (~h²/6 = 2e-5)
    exact = np.cos(1.0)
    error = {h: abs(derivative(np.sin, 1.0, h=h) - exact) for h in (None, 1e-12, 1e-2)}
    assert error[None] < 1e-9 < min(error[1e-12], error[1e-2])


TORCH_FUNCTIONS = [
    ("sum-sin-x2", lambda x: (x.sin() * x**2).sum()),
    ("logsumexp", lambda x: torch.logsumexp(x.reshape(-1), 0)),
    ("quadratic-form", lambda x: (x.reshape(-1) @ x.reshape(-1)) ** 1.5),
]


@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.calculus.gradient", oracle="torch",
                      rtol={"float64": 1e-8, "float32": 2e-3}, atol={"float64": 1e-8, "float32": 2e-3})
@pytest.mark.parametrize(("name", "torch_f"), TORCH_FUNCTIONS, ids=[c[0] for c in TORCH_FUNCTIONS])
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 2)], ids=str)
def test_gradient_matches_torch_autograd(name, torch_f, shape, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype)

    def f(v):  # torch evaluates in the dtype of v, as a user's own function would
        return torch_f(torch.from_numpy(v)).item()

    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    torch_f(tx).backward()
    ours = gradient(f, x)
    assert ours.dtype == dtype and ours.shape == shape
    # the same error model as DERIVATIVE_TOL, with |f| and |f'''| of order 10 here
    np.testing.assert_allclose(ours, tx.grad.numpy(), **DERIVATIVE_TOL[dtype])


def test_gradient_agrees_with_an_analytic_loss_gradient_and_the_test_helper(rng):
    logits, labels = rng.standard_normal((5, 4)), rng.integers(0, 4, size=5)
    loss = lambda z: softmax_cross_entropy(z, labels)[0]  # noqa: E731
    ours = gradient(loss, logits)
    np.testing.assert_allclose(ours, softmax_cross_entropy(logits, labels)[1], rtol=1e-7, atol=1e-10)
    # the fixed-step helper of tests/gradcheck.py agrees to its own O(1e-6²) + 1e-16/1e-6 error
    np.testing.assert_allclose(ours, numerical_gradient(loss, logits), rtol=1e-7, atol=1e-9)


def test_gradient_hands_f_a_copy_so_f_cannot_spoil_the_point():
    def greedy(v):
        value = float(np.sum(v**2))
        v[...] = 1e6  # a careless f that writes into its argument
        return value

    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(gradient(greedy, x), 2 * x, rtol=1e-9)  # ∇Σv² = 2v
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])


def test_zero_dimensional_and_list_inputs():
    np.testing.assert_allclose(gradient(lambda v: float(v) ** 2, np.array(3.0)), 6.0, rtol=1e-9)
    result = gradient(lambda v: v[0] * v[1], [2, 5])
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, [5.0, 2.0], rtol=1e-9)


BAD_CASES = [
    (derivative, ("sin", 1.0), {}, TypeError, "f must be a callable"),
    (derivative, (np.sin, "1.0"), {}, TypeError, "x must be a real number"),
    (derivative, (np.sin, np.array([1.0, 2.0])), {}, ValueError, "x must be a scalar"),
    (derivative, (np.sin, np.inf), {}, ValueError, "x must be finite"),
    (derivative, (np.sin, 1.0), {"h": 0.0}, ValueError, "h must be in (0.0, inf]"),
    (derivative, (np.sin, 1.0), {"h": "small"}, TypeError, "h must be a real number"),
    (derivative, (np.sin, 1e20), {"h": 1.0}, ValueError, "h must move x to distinct"),
    (derivative, (lambda x: np.inf, 0.0), {}, ValueError, "f returned a non-finite value"),
    (derivative, (lambda x: "a", 1.0), {}, TypeError, "f must return a real number"),
    (derivative, (lambda x: np.ones(2), 1.0), {}, ValueError, "f must return a scalar"),
    (gradient, (None, np.ones(2)), {}, TypeError, "f must be a callable"),
    (gradient, (np.sum, np.ones(2, dtype=np.int64)), {}, TypeError, "x must be a float32 or float64"),
    (gradient, (np.sum, np.ones(0)), {}, ValueError, "x must not be empty"),
    (gradient, (np.sum, np.array([1.0, np.nan])), {}, ValueError, "x must contain only finite"),
    (gradient, (np.sum, np.ones(2)), {"h": -1.0}, ValueError, "h must be in (0.0, inf]"),
    (gradient, (lambda v: v, np.ones(2)), {}, ValueError, "f must return a scalar"),
    (gradient, (lambda v: 1j, np.ones(2)), {}, TypeError, "f must return a real number"),
]


@pytest.mark.parametrize(
    ("function", "args", "kwargs", "error", "fragment"), BAD_CASES,
    ids=[f"{c[0].__name__}-{c[4][:24]}" for c in BAD_CASES],
)
def test_bad_input_is_refused_with_a_message_naming_the_argument(function, args, kwargs, error, fragment):
    with pytest.raises(error, match=fragment.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        function(*args, **kwargs)
