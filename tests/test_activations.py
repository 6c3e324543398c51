"""glossary_dl.activations against PyTorch, Keras 3 (torch backend), finite differences and math.

PyTorch is the float64 oracle: its activations and their autograd derivatives keep float64. The
``keras.activations`` functions on the torch backend keep the input dtype too (checked below), but
the Keras layer ``LeakyReLU`` computes in float32 whatever the input. Every derivative is a
vector–Jacobian product, compared with ``torch.autograd.grad(f(x), x, grad_outputs=delta)``.
"""

import math
import re

import keras
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from glossary_dl import activations as act
from gradcheck import assert_gradient_matches

# (id, our forward, our vjp, torch forward, keras forward): every computational path of the family.
# Softmax variants name their axis; the others are element-wise.
VARIANTS = {
    "relu": (act.relu, act.relu_grad, torch.relu, keras.activations.relu),
    "leaky_relu": (
        act.leaky_relu,
        act.leaky_relu_grad,
        lambda t: F.leaky_relu(t, negative_slope=0.2),
        keras.activations.leaky_relu,
    ),
    "leaky_relu-0.01": (
        lambda x: act.leaky_relu(x, negative_slope=0.01),
        lambda x, g: act.leaky_relu_grad(x, g, negative_slope=0.01),
        F.leaky_relu,  # torch's default slope is 0.01
        lambda x: keras.activations.leaky_relu(x, negative_slope=0.01),
    ),
    "sigmoid": (act.sigmoid, act.sigmoid_grad, torch.sigmoid, keras.activations.sigmoid),
    "tanh": (act.tanh, act.tanh_grad, torch.tanh, keras.activations.tanh),
    "gelu": (act.gelu, act.gelu_grad, F.gelu, keras.activations.gelu),
    "gelu-tanh": (
        lambda x: act.gelu(x, approximate=True),
        lambda x, g: act.gelu_grad(x, g, approximate=True),
        lambda t: F.gelu(t, approximate="tanh"),
        lambda x: keras.activations.gelu(x, approximate=True),
    ),
    "softmax": (act.softmax, act.softmax_grad, lambda t: F.softmax(t, dim=-1), keras.activations.softmax),
    "softmax-axis0": (
        lambda x: act.softmax(x, axis=0),
        lambda x, g: act.softmax_grad(x, g, axis=0),
        lambda t: F.softmax(t, dim=0),
        lambda x: keras.activations.softmax(x, axis=0),
    ),
    "softmax-axis1": (
        lambda x: act.softmax(x, axis=1),
        lambda x, g: act.softmax_grad(x, g, axis=1),
        lambda t: F.softmax(t, dim=1),
        lambda x: keras.activations.softmax(x, axis=1),
    ),
}
ELEMENTWISE = ["relu", "leaky_relu", "leaky_relu-0.01", "sigmoid", "tanh", "gelu", "gelu-tanh"]
SHAPES = {
    "elementwise": [(), (7,), (4, 5), (2, 3, 4)],
    "softmax": [(7,), (4, 5), (2, 3, 4)],
    "softmax-axis0": [(7,), (4, 5), (2, 3, 4)],
    "softmax-axis1": [(4, 5), (2, 3, 4)],
}
CASES = [
    pytest.param(name, shape, id=f"{name}-{'x'.join(map(str, shape)) or 'scalar'}")
    for name in VARIANTS
    for shape in SHAPES.get(name, SHAPES["elementwise"])
]


def make_input(shape, dtype, rng):
    """Scores of spread 3 with an exact 0 (the kink of the ReLUs) and some large values."""
    x = 3.0 * rng.normal(size=shape)
    if x.size > 2:
        flat = x.reshape(-1)
        flat[0], flat[1] = 0.0, 12.0 * np.sign(flat[1])
    return x.astype(dtype)


def torch_value_and_vjp(torch_f, x, grad_out):
    x_t = torch.tensor(x, requires_grad=True)
    y = torch_f(x_t)
    (vjp,) = torch.autograd.grad(y, x_t, grad_outputs=torch.tensor(grad_out))
    return y.detach().numpy(), vjp.numpy()


# the implementations each VARIANTS key checks (for the verification record)
VERIFIED = {
    "relu": ("glossary_dl.activations.relu", "glossary_dl.activations.relu_grad"),
    "leaky_relu": ("glossary_dl.activations.leaky_relu", "glossary_dl.activations.leaky_relu_grad"),
    "leaky_relu-0.01": ("glossary_dl.activations.leaky_relu", "glossary_dl.activations.leaky_relu_grad"),
    "sigmoid": ("glossary_dl.activations.sigmoid", "glossary_dl.activations.sigmoid_grad"),
    "tanh": ("glossary_dl.activations.tanh", "glossary_dl.activations.tanh_grad"),
    "gelu": ("glossary_dl.activations.gelu", "glossary_dl.activations.gelu_grad"),
    "gelu-tanh": ("glossary_dl.activations.gelu", "glossary_dl.activations.gelu_grad"),
    "softmax": ("glossary_dl.activations.softmax", "glossary_dl.activations.softmax_grad"),
    "softmax-axis0": ("glossary_dl.activations.softmax", "glossary_dl.activations.softmax_grad"),
    "softmax-axis1": ("glossary_dl.activations.softmax", "glossary_dl.activations.softmax_grad"),
}


# ---------------------------------------------------------------- conformance
@pytest.mark.oracle
@pytest.mark.verifies(oracle="torch", param="name", names=VERIFIED,
                      rtol={"float64": 1e-12, "float32": 2e-6}, atol={"float64": 1e-14, "float32": 1e-6})
@pytest.mark.parametrize(("name", "shape"), CASES)
def test_matches_torch(name, shape, dtype, rng):
    ours_f, ours_vjp, torch_f, _ = VARIANTS[name]
    x = make_input(shape, dtype, rng)
    grad_out = rng.normal(size=shape).astype(dtype)
    value, vjp = ours_f(x), ours_vjp(x, grad_out)
    expected_value, expected_vjp = torch_value_and_vjp(torch_f, x, grad_out)
    assert value.dtype == dtype and value.shape == x.shape
    assert vjp.dtype == dtype and vjp.shape == x.shape
    if dtype == np.float64:
        # float64: rounding only (torch's 1 + erf / 1 + tanh cancel in the left tail, ~1e-16·|x|)
        np.testing.assert_allclose(value, expected_value, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(vjp, expected_vjp, rtol=1e-12, atol=1e-14)
    else:
        # float32: we round a float64 result once, torch computes in float32 (a few ulps)
        np.testing.assert_allclose(value, expected_value, rtol=2e-6, atol=1e-6)
        np.testing.assert_allclose(vjp, expected_vjp, rtol=2e-6, atol=1e-6)


@pytest.mark.oracle
@pytest.mark.verifies(oracle="keras", param="name", names=VERIFIED,
                      rtol={"float64": 1e-12, "float32": 2e-6}, atol={"float64": 1e-14, "float32": 1e-6})
@pytest.mark.parametrize("name", list(VARIANTS))
def test_matches_keras(name, dtype, rng):
    """keras.activations on the torch backend; the derivative through it by torch autograd."""
    ours_f, ours_vjp, _, keras_f = VARIANTS[name]
    for shape in [(4, 5), (2, 3, 4)]:
        x = make_input(shape, dtype, rng)
        grad_out = rng.normal(size=shape).astype(dtype)
        expected_value, expected_vjp = torch_value_and_vjp(keras_f, x, grad_out)
        # keras.activations keep the input dtype on this backend (float64 stays float64)
        assert expected_value.dtype == dtype
        rtol, atol = (1e-12, 1e-14) if dtype == np.float64 else (2e-6, 1e-6)
        np.testing.assert_allclose(ours_f(x), expected_value, rtol=rtol, atol=atol)
        np.testing.assert_allclose(ours_vjp(x, grad_out), expected_vjp, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- finite differences
@pytest.mark.verifies(oracle="finite differences", param="name", names=VERIFIED, dtypes=("float64",),
                      rtol=1e-6, atol=1e-8)
@pytest.mark.parametrize("name", list(VARIANTS))
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)], ids=["2d", "3d"])
def test_vjp_matches_finite_differences(name, shape, rng):
    """The vjp with δ is the gradient of the scalar Σ δ ⊙ f(x)."""
    ours_f, ours_vjp, _, _ = VARIANTS[name]
    # |x| ≥ 0.05 keeps the ReLU kinks 5e4 steps away from every central difference
    x = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.05, 4.0, size=shape)
    delta = rng.normal(size=shape)
    # gradcheck defaults: eps=1e-6, rtol=1e-6, atol=1e-8
    assert_gradient_matches(lambda v: np.sum(delta * ours_f(v)), lambda v: ours_vjp(v, delta), x)


# ---------------------------------------------------------------- properties
# (name, f, f', monotone, c): f(x) − f(−x) = c·x for the odd-part identities below; None if none
FAMILY = [
    ("relu", act.relu, lambda x: act.relu_grad(x, np.ones_like(x)), True, 1.0),
    ("leaky_relu", act.leaky_relu, lambda x: act.leaky_relu_grad(x, np.ones_like(x)), True, 1.2),
    ("sigmoid", act.sigmoid, lambda x: act.sigmoid_grad(x, np.ones_like(x)), True, None),
    ("tanh", act.tanh, lambda x: act.tanh_grad(x, np.ones_like(x)), True, None),
    ("gelu", act.gelu, lambda x: act.gelu_grad(x, np.ones_like(x)), False, 1.0),
    (
        "gelu-tanh",
        lambda x: act.gelu(x, approximate=True),
        lambda x: act.gelu_grad(x, np.ones_like(x), approximate=True),
        False,
        1.0,
    ),
]


@pytest.mark.parametrize(("name", "f", "derivative", "monotone", "c"), FAMILY, ids=[f[0] for f in FAMILY])
def test_property_shape_of_each_curve(name, f, derivative, monotone, c, dtype):
    x = np.linspace(-8.0, 8.0, 3201).astype(dtype)
    y, slope = f(x), derivative(x)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(slope))
    if monotone:
        # non-decreasing, and the derivative says so
        assert np.all(np.diff(y) >= 0.0)
        assert np.all(slope >= 0.0)
    else:
        # GELU dips: its minimum ≈ −0.17 sits near x ≈ −0.75, where the derivative changes sign
        assert np.any(slope < 0.0) and np.any(slope > 0.0)
        minimum = x[np.argmin(y)]
        assert -0.8 < minimum < -0.7  # math: root of Φ(x) + xφ(x) = 0 is x ≈ −0.7518
    if c is not None:
        # f(x) − f(−x) = c·x: relu c = 1, leaky (1 + α), GELU 1 since Φ(x) + Φ(−x) = 1
        tol = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(f(x) - f(-x), c * x.astype(np.float64), rtol=tol, atol=tol)


def test_property_sigmoid_and_tanh_symmetries(dtype):
    x = np.linspace(-30.0, 30.0, 1201).astype(dtype)
    tol = 1e-15 if dtype == np.float64 else 1e-7
    # σ(−x) = 1 − σ(x)  (both computed in float64 then rounded: absolute error ≤ 1 ulp of 1)
    np.testing.assert_allclose(act.sigmoid(-x), 1.0 - act.sigmoid(x).astype(np.float64), rtol=0, atol=2 * tol)
    # tanh is exactly odd (the sign is applied last)
    np.testing.assert_array_equal(act.tanh(-x), -act.tanh(x))
    # tanh(x) = 2σ(2x) − 1
    np.testing.assert_allclose(act.tanh(x), 2.0 * act.sigmoid(2.0 * x).astype(np.float64) - 1.0, atol=4 * tol)
    # σ' and tanh' are even
    ones = np.ones_like(x)
    np.testing.assert_array_equal(act.sigmoid_grad(-x, ones), act.sigmoid_grad(x, ones))
    np.testing.assert_array_equal(act.tanh_grad(-x, ones), act.tanh_grad(x, ones))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_property_softmax_is_a_distribution(axis, dtype, rng):
    x = (5.0 * rng.normal(size=(3, 4, 5))).astype(dtype)
    s = act.softmax(x, axis=axis)
    tol = 1e-15 if dtype == np.float64 else 1e-6
    assert np.all(s >= 0.0) and np.all(s <= 1.0)
    # each slice sums to 1 (n = at most 5 terms, each rounded once)
    np.testing.assert_allclose(s.astype(np.float64).sum(axis=axis), 1.0, rtol=0, atol=5 * tol)
    # adding a constant to a slice changes nothing (shift invariance)
    np.testing.assert_allclose(act.softmax(x + dtype(3.0), axis=axis), s, rtol=10 * tol, atol=tol)
    # the Jacobian's columns sum to 0: a δ constant along the axis has zero vjp
    np.testing.assert_allclose(act.softmax_grad(x, np.ones_like(x), axis=axis), 0.0, atol=tol)
    # softmax of (x, 0) is (σ(x), σ(−x))
    pair = np.stack([x[0, 0], np.zeros_like(x[0, 0])])
    np.testing.assert_allclose(act.softmax(pair, axis=0)[0], act.sigmoid(x[0, 0]), rtol=10 * tol)


# ---------------------------------------------------------------- extreme values
@pytest.mark.oracle
def test_extremes_are_finite_and_exact(dtype):
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dtype)
    ones = np.ones_like(x)
    # sigmoid: e^{−1000} underflows to 0 in both dtypes; σ(±50) is 1.9e-22 and 1 − 1.9e-22
    np.testing.assert_array_equal(act.sigmoid(x)[[0, 2, 4]], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(act.sigmoid(x)[1], math.exp(-50.0), rtol=1e-6)  # math, kept in the tail
    np.testing.assert_array_equal(act.tanh(x)[[0, 2, 4]], [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(act.gelu(x)[[0, 2, 4]], [0.0, 0.0, 1000.0])
    np.testing.assert_array_equal(act.gelu(x, approximate=True)[[0, 2, 4]], [0.0, 0.0, 1000.0])
    for grad in (act.sigmoid_grad, act.tanh_grad):
        g = grad(x, ones)
        assert np.all(np.isfinite(g)) and g[0] == 0.0 and g[4] == 0.0
    np.testing.assert_array_equal(act.gelu_grad(x, ones)[[0, 2, 4]], [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(act.gelu_grad(x, ones, approximate=True)[[0, 2, 4]], [0.0, 0.5, 1.0])
    # softmax of (1000, −1000, 0): e^{x − max} is 1, 0, e^{−1000} = 0 — no overflow, no 0/0
    s = act.softmax(np.array([1000.0, -1000.0, 0.0], dtype=dtype))
    np.testing.assert_array_equal(s, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(act.softmax(np.full(4, 1000.0, dtype=dtype)), 0.25)
    # and the oracle agrees at ±1000 (torch's fused kernels are stable too)
    x_t = torch.tensor(x)
    for ours, theirs in [(act.sigmoid, torch.sigmoid), (act.tanh, torch.tanh), (act.gelu, F.gelu)]:
        np.testing.assert_allclose(ours(x), theirs(x_t).numpy(), rtol=1e-6, atol=1e-30)


def test_tails_keep_relative_accuracy():
    """Where the textbook forms cancel to 0, the loops still give the right tiny numbers."""
    x = np.array([-30.0, -20.0, -10.0])
    ones = np.ones_like(x)
    # math: σ'(x) = e^{x}/(1 + e^{x})² ≈ e^{x}; σ(x)(1 − σ(x)) in float64 would give σ(x)·1
    np.testing.assert_allclose(act.sigmoid_grad(-x, ones), np.exp(x) / (1 + np.exp(x)) ** 2, rtol=1e-14)
    # math: gelu(x) = x·½erfc(−x/√2) = x·Φ(x), Φ(−10) ≈ 7.62e-24, which 1 + erf(x/√2) rounds to 0
    expected = np.array([x_k * 0.5 * math.erfc(-x_k / math.sqrt(2.0)) for x_k in x])
    np.testing.assert_allclose(act.gelu(x), expected, rtol=1e-14)
    assert act.gelu(x)[2] < -7e-23  # not 0
    # tanh near 0: expm1 keeps digits, tanh(1e-10) = 1e-10 − 3.3e-31
    np.testing.assert_allclose(act.tanh(np.array([1e-10])), 1e-10, rtol=1e-15)



def test_float32_gelu_within_a_few_ulp_of_the_exact_values():
    """float32 GELU computes in float32 arithmetic: the exact form within 5 ulp of x·½erfc(−x/√2)
    (measured: 4.0), its slope within 4 (measured: 3.3) even next to its root x ≈ −0.7518, where
    Φ(x) + x·φ(x) cancels; the tanh form within 2 ulp of the float64 loop (measured: 1.6)."""
    x = np.concatenate([np.linspace(-14.0, 14.0, 200_001), np.linspace(-0.76, -0.74, 20_001),
                        [0.0, 1e-30, -1e-30, 1e-40, 3e38, -3e38]]).astype(np.float32)
    x64 = x.astype(np.float64)
    phi = np.exp(-0.5 * x64 * x64) / math.sqrt(2.0 * math.pi)
    cdf = 0.5 * np.vectorize(math.erfc)(-x64 / math.sqrt(2.0))
    tanh_value, tanh_slope = np.empty_like(x64), np.empty_like(x64)
    act._gelu_loop(x64, True, tanh_value)
    act._gelu_grad_loop(x64, np.ones_like(x64), True, tanh_slope)
    ones = np.ones_like(x)
    for ours, exact, bound in [(act.gelu(x), x64 * cdf, 5), (act.gelu_grad(x, ones), cdf + x64 * phi, 4),
                               (act.gelu(x, approximate=True), tanh_value, 2)]:
        assert ours.dtype == np.float32
        normal = np.abs(exact) >= np.finfo(np.float32).tiny
        # the spacing of float32 numbers at the exact value
        ulp = 2.0 ** (np.floor(np.log2(np.abs(exact[normal]))) - 23)
        assert np.max(np.abs(ours[normal] - exact[normal]) / ulp) <= bound
        assert np.all(np.abs(ours[~normal] - exact[~normal]) < np.finfo(np.float32).tiny)
    # the tanh form's slope cancels too (without a product form): within 2 eps of its terms' size
    u = math.sqrt(2.0 / math.pi) * (x64 + 0.044715 * x64**3)
    sigma = act.sigmoid(2.0 * u)
    size = sigma + np.abs(x64) * 2.0 * sigma * (1.0 - sigma) * math.sqrt(2.0 / math.pi) * (1.0 + 3 * 0.044715 * x64**2)
    finite = np.isfinite(size)
    error = np.abs(act.gelu_grad(x, ones, approximate=True) - tanh_slope)[finite]
    assert np.all(error <= 2 * np.finfo(np.float32).eps * size[finite] + np.finfo(np.float32).tiny)


# ---------------------------------------------------------------- PyTorch vs Keras conventions
@pytest.mark.oracle
def test_leaky_relu_default_slopes():
    """keras.activations 0.2 (ours), keras.layers.LeakyReLU 0.3, torch 0.01."""
    x = np.array([-1.0, 2.0])
    assert act.leaky_relu(x)[0] == -0.2
    assert keras.activations.leaky_relu(x)[0].item() == -0.2
    np.testing.assert_allclose(keras.layers.LeakyReLU()(x)[0].item(), -0.3, rtol=1e-7)  # float32
    assert F.leaky_relu(torch.tensor(x))[0].item() == -0.01
    # the Keras layer computes in float32 even for float64 input; the activation function does not
    assert keras.layers.LeakyReLU()(x).dtype == torch.float32
    assert keras.activations.leaky_relu(x).dtype == torch.float64
    # the Keras layer refuses a negative slope, and so do we
    with pytest.raises(ValueError, match="negative_slope"):
        keras.layers.LeakyReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="negative_slope"):
        act.leaky_relu(x, negative_slope=-0.1)


@pytest.mark.oracle
def test_gelu_exact_vs_tanh_forms():
    """keras.activations.gelu is exact by default, keras.ops.gelu tanh; the forms differ ≤ 4.7e-4."""
    x = np.linspace(-4.0, 4.0, 8001)
    exact, approximate = act.gelu(x), act.gelu(x, approximate=True)
    gap = np.abs(exact - approximate).max()
    torch_gap = (F.gelu(torch.tensor(x)) - F.gelu(torch.tensor(x), approximate="tanh")).abs().max().item()
    np.testing.assert_allclose(gap, torch_gap, rtol=1e-9)  # the same gap in torch
    assert 4.6e-4 < gap < 4.8e-4  # the ORACLES.md lead: ≈ 4.7e-4
    # defaults: keras.activations.gelu exact, keras.ops.gelu approximate, torch exact
    np.testing.assert_allclose(keras.activations.gelu(x).numpy(), exact, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(keras.ops.gelu(x).numpy(), approximate, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(F.gelu(torch.tensor(x)).numpy(), exact, rtol=1e-12, atol=1e-14)
    assert np.abs(keras.ops.gelu(x).numpy() - exact).max() > 4e-4


@pytest.mark.oracle
def test_derivative_at_zero_conventions():
    """At the kink x = 0 torch takes relu'(0) = 0 but leaky_relu'(0) = α; we match both."""
    zero = np.zeros(1)
    ones = np.ones(1)
    for ours, theirs in [
        (act.relu_grad(zero, ones), lambda t: torch.relu(t)),
        (act.leaky_relu_grad(zero, ones), lambda t: F.leaky_relu(t, 0.2)),
    ]:
        _, expected = torch_value_and_vjp(theirs, zero, ones)
        np.testing.assert_array_equal(ours, expected)
    assert act.relu_grad(zero, ones)[0] == 0.0 and act.leaky_relu_grad(zero, ones)[0] == 0.2


@pytest.mark.oracle
def test_torch_softmax_without_dim_warns_and_guesses():
    """F.softmax without dim warns and picks dim 0 for a 3-d input; Keras (and we) take the last."""
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        guessed = F.softmax(torch.tensor(x)).numpy()
    np.testing.assert_allclose(guessed, act.softmax(x, axis=0), rtol=1e-12)  # dim 0 for ndim 3
    np.testing.assert_allclose(keras.activations.softmax(x).numpy(), act.softmax(x), rtol=1e-12)
    assert np.abs(guessed - act.softmax(x)).max() > 0.1


# ---------------------------------------------------------------- inputs
def test_dtype_rank_and_layout_handling(rng):
    x = rng.normal(size=(6, 5))
    ones = np.ones_like(x)
    names = [(act.relu, act.relu_grad), (act.sigmoid, act.sigmoid_grad), (act.tanh, act.tanh_grad),
             (act.leaky_relu, act.leaky_relu_grad), (act.gelu, act.gelu_grad),
             (act.softmax, act.softmax_grad)]
    wide = np.zeros((6, 10))
    wide[:, ::2] = x
    read_only = x.copy()
    read_only.flags.writeable = False
    for f, vjp in names:
        expected, expected_vjp = f(x), vjp(x, ones)
        for variant in (wide[:, ::2], np.asfortranarray(x), read_only, x.tolist()):
            np.testing.assert_array_equal(f(variant), expected)  # exact: same arithmetic
            np.testing.assert_array_equal(vjp(variant, ones), expected_vjp)
        assert f(x.astype(np.float32)).dtype == np.float32
        assert f(x.tolist()).dtype == np.float64  # lists become float64
    # a list grad_out is rounded to x's dtype
    assert act.tanh_grad(x.astype(np.float32), ones.tolist()).dtype == np.float32
    assert not read_only.flags.writeable  # input untouched
    # 0-d in, 0-d out, for every element-wise function and its vjp
    for f, vjp in names[:-1]:
        assert f(np.float64(0.5)).shape == () and vjp(np.array(0.5), np.array(1.0)).shape == ()


GOOD = np.array([[0.5, -1.0, 2.0], [0.0, 1.5, -0.3]])
BAD_X = [
    # (id, x, kwargs, exception, message fragment)
    ("int", np.array([[1, 2, 3]]), {}, TypeError, "x must be a float32 or float64 array"),
    ("complex", GOOD + 0j, {}, TypeError, "x must be a float32 or float64 array"),
    ("object", GOOD.astype(object), {}, TypeError, "x must be a float32 or float64 array"),
    ("string", "0.5", {}, TypeError, "x must be a numpy array"),
    ("ragged", [[1.0, 2.0], [3.0]], {}, ValueError, "x must be a rectangular array"),
    ("empty", np.zeros((0, 3)), {}, ValueError, "x must not be empty"),
    ("nan", np.where(GOOD == 0.0, np.nan, GOOD), {}, ValueError, "x must contain only finite"),
    ("inf", np.where(GOOD == 0.0, np.inf, GOOD), {}, ValueError, "x must contain only finite"),
]
BAD_GRAD = [
    ("grad-shape", GOOD, {"grad_out": GOOD[:, :2]}, ValueError, "grad_out must have the shape of x"),
    ("grad-dtype", GOOD, {"grad_out": GOOD.astype(np.float32)}, TypeError, "grad_out must have the same dtype"),
    ("grad-nan", GOOD, {"grad_out": np.full_like(GOOD, np.nan)}, ValueError, "grad_out must contain only finite"),
    ("grad-int", GOOD, {"grad_out": np.ones((2, 3), dtype=int)}, TypeError, "grad_out must be a float"),
]
BAD_SLOPE = [
    ("slope-negative", GOOD, {"negative_slope": -0.1}, ValueError, "negative_slope must be in [0.0, inf]"),
    ("slope-str", GOOD, {"negative_slope": "0.2"}, TypeError, "negative_slope must be a real number"),
    ("slope-bool", GOOD, {"negative_slope": True}, TypeError, "negative_slope must be a real number"),
    ("slope-nan", GOOD, {"negative_slope": float("nan")}, ValueError, "negative_slope must be finite"),
]
BAD_APPROXIMATE = [
    ("approximate-str", GOOD, {"approximate": "tanh"}, TypeError, "approximate='tanh' is approximate=True"),
    ("approximate-int", GOOD, {"approximate": 1}, TypeError, "approximate must be True or False"),
]
BAD_AXIS = [
    ("axis-out-of-range", GOOD, {"axis": 2}, ValueError, "axis must be in [-2, 2)"),
    ("axis-too-negative", GOOD, {"axis": -3}, ValueError, "axis must be in [-2, 2)"),
    ("axis-float", GOOD, {"axis": 1.0}, TypeError, "axis must be an integer"),
    ("axis-tuple", GOOD, {"axis": (0, 1)}, TypeError, "axis must be an integer"),
    ("rank-0", np.array(1.0), {}, ValueError, "x must have at least 1 dimension"),
]
BAD_BY_NAME = {
    "relu": BAD_X, "sigmoid": BAD_X, "tanh": BAD_X,
    "leaky_relu": BAD_X + BAD_SLOPE,
    "gelu": BAD_X + BAD_APPROXIMATE,
    "softmax": BAD_X + BAD_AXIS,
}
BAD_CASES = [
    pytest.param(name + suffix, *case[1:], id=f"{name}{suffix}-{case[0]}")
    for name, cases in BAD_BY_NAME.items()
    for suffix in ("", "_grad")
    for case in cases + (BAD_GRAD if suffix else [])
]


@pytest.mark.parametrize(("name", "x", "kwargs", "error", "fragment"), BAD_CASES)
def test_bad_input_raises_a_clear_error(name, x, kwargs, error, fragment):
    function = getattr(act, name)
    kwargs = dict(kwargs)
    if name.endswith("_grad"):
        grad_out = kwargs.pop("grad_out", np.ones(np.shape(x)) if isinstance(x, np.ndarray) else GOOD)
        with pytest.raises(error, match=re.escape(fragment)):
            function(x, grad_out, **kwargs)
    else:
        with pytest.raises(error, match=re.escape(fragment)):
            function(x, **kwargs)


# ---------------------------------------------------------------- definition loops vs fast paths
# The public functions run the fast loops (exp_nonpositive, each exponential once, slices on every
# thread for large arrays); the page shows the definition loops. Both must give the same numbers:
# within 8 machine epsilons of the value, 8 + n for a softmax over n values summed in another order
# (exp_nonpositive is within 1 ulp of np.exp in float64, a
# quotient or a product adds a rounding or two, and a float32 softmax keeps s in float32 once),
# over values that reach every branch (0, the series of tanh below |x| = 0.05 and its edge, large
# |x| where e^{−|x|} underflows).
FAST_PATHS = {
    "sigmoid": (act._sigmoid_loop, act.sigmoid, None),
    "sigmoid_grad": (act._sigmoid_grad_loop, None, act.sigmoid_grad),
    "tanh": (act._tanh_loop, act.tanh, None),
    "tanh_grad": (act._tanh_grad_loop, None, act.tanh_grad),
    "softmax": (act._softmax_loop, act.softmax, None),
    "softmax_grad": (act._softmax_grad_loop, None, act.softmax_grad),
    # GELU's fast loops replace math.erfc by erfc_real (within 8 ulp of it), and compute float32 in
    # float32 (within 4 ulp: normal_tail32, mills_gap32; tests/test_vector_math.py)
    "gelu": (lambda x, a: act._gelu_loop(x, False, a), act.gelu, None),
    "gelu_grad": (lambda x, g, a: act._gelu_grad_loop(x, g, False, a), None, act.gelu_grad),
    "gelu-tanh": (lambda x, a: act._gelu_loop(x, True, a), lambda x: act.gelu(x, approximate=True), None),
    "gelu-tanh_grad": (lambda x, g, a: act._gelu_grad_loop(x, g, True, a), None,
                       lambda x, g: act.gelu_grad(x, g, approximate=True)),
}


def _branch_values(rng, dtype, size):
    edges = np.array([0.0, 1e-30, -1e-12, 1e-4, 0.0499999, 0.05, -0.05, 0.0500001, 0.3, -20.0, 40.0, -400.0,
                      800.0, -1e4])
    x = np.concatenate([edges, rng.standard_normal(size - edges.size) * 4]).astype(dtype)
    return x.reshape(-1, 64)


@pytest.mark.parametrize("size", [1024, pytest.param(1 << 19, marks=pytest.mark.slow)],
                         ids=["calling-thread", "every-thread"])  # slow: half a million values as plain Python
@pytest.mark.parametrize("name", FAST_PATHS)
def test_fast_path_agrees_with_the_definition_loop(name, size, dtype, rng):
    definition, forward, vjp = FAST_PATHS[name]
    x = _branch_values(rng, dtype, size)
    delta = rng.standard_normal(x.shape).astype(dtype)
    expected = np.empty_like(x)
    if name.startswith("softmax"):
        definition(*((x,) if forward else (x, delta)), expected)
    else:
        definition(*((x.reshape(-1),) if forward else (x.reshape(-1), delta.reshape(-1))), expected.reshape(-1))
    fast = forward(x) if forward else vjp(x, delta)
    assert fast.dtype == x.dtype
    scale = np.abs(expected.astype(np.float64))
    roundings = 8
    if name.startswith("softmax"):
        # a sum of n terms in another order differs by up to n roundings of its size
        roundings += x.shape[-1]
    if name == "softmax_grad":
        # s_i·(δ_i − ⟨δ, s⟩) cancels when δ_i ≈ ⟨δ, s⟩: its rounding is relative to s_i·(|δ_i| + Σ_j |δ_j|·s_j)
        s = act.softmax(x.astype(np.float64))
        scale = s * (np.abs(delta) + np.sum(np.abs(delta) * s, axis=-1, keepdims=True))
    if name == "gelu":
        roundings += 8  # erfc_real's 8 ulp on top of the definition's own roundings
    if name == "gelu_grad":
        # Φ(x) + x·φ(x) cancels for x < 0: the roundings are relative to Φ(x) + |x|·φ(x)
        roundings += 8
        x64 = x.astype(np.float64)
        scale = np.abs(delta) * (0.5 * np.vectorize(math.erfc)(-x64 / math.sqrt(2.0))
                                 + np.abs(x64) * np.exp(-0.5 * x64 * x64) / math.sqrt(2.0 * math.pi))
    if name == "gelu-tanh_grad":
        # σ(2u) + x·2σ'(2u)·u' cancels for x < 0 too: relative to σ(2u) + |x|·2σ'(2u)·u'
        x64 = x.astype(np.float64)
        u = math.sqrt(2.0 / math.pi) * (x64 + 0.044715 * x64**3)
        du = math.sqrt(2.0 / math.pi) * (1.0 + 3.0 * 0.044715 * x64**2)
        sigma = act.sigmoid(2.0 * u)
        scale = np.abs(delta) * (sigma + np.abs(x64) * 2.0 * sigma * (1.0 - sigma) * du)
    bound = roundings * np.finfo(dtype).eps * scale + np.finfo(dtype).tiny
    assert np.all(np.abs(fast - expected) <= bound), np.max(np.abs(fast - expected) / bound)


# The element-wise and softmax loops scan their inputs for NaN and inf block by block as they read
# them (not in a pass before): a bad value in the last block of the last thread's slice, or only
# in grad_out, must still be refused with the message naming its argument.
SCANNED = {
    "relu": (act.relu, act.relu_grad), "leaky_relu": (act.leaky_relu, act.leaky_relu_grad),
    "sigmoid": (act.sigmoid, act.sigmoid_grad), "tanh": (act.tanh, act.tanh_grad),
    "gelu": (act.gelu, act.gelu_grad), "softmax": (act.softmax, act.softmax_grad),
}


@pytest.mark.parametrize("rows", [4, 4099], ids=["calling-thread", "every-thread"])
@pytest.mark.parametrize("name", SCANNED)
def test_a_non_finite_value_anywhere_is_refused(name, rows, dtype, rng):
    forward, vjp = SCANNED[name]
    x = rng.standard_normal((rows, 64)).astype(dtype)
    delta = rng.standard_normal(x.shape).astype(dtype)
    for bad in (np.nan, np.inf, -np.inf):
        for where in ((0, 0), (rows // 2, 7), (-1, -1)):
            poisoned = x.copy()
            poisoned[where] = bad
            with pytest.raises(ValueError, match="^x must contain only finite values"):
                forward(poisoned)
            with pytest.raises(ValueError, match="^x must contain only finite values"):
                vjp(poisoned, delta)
            poisoned_delta = delta.copy()
            poisoned_delta[where] = bad
            with pytest.raises(ValueError, match="^grad_out must contain only finite values"):
                vjp(x, poisoned_delta)


@pytest.mark.parametrize("op", ["relu", "relu_grad", "leaky_relu", "leaky_relu_grad"])
def test_relu_family_checked_loops_give_the_definitions_bits_and_see_every_bad_value(op, dtype, rng):
    # the public functions run the ReLU family through loops that scan for NaN/inf in the same pass;
    # the pages show the definition loops: same values, bit for bit, and every NaN/inf is seen
    x = rng.standard_normal(1001).astype(dtype)
    x[::7] = 0.0
    x[1::13] = -0.0
    delta = rng.standard_normal(x.size).astype(dtype)
    with_grad = op.endswith("_grad")
    expected, out = np.empty_like(x), np.empty_like(x)
    if op.startswith("leaky"):
        checked = lambda z, g: act._leaky_relu_checked_loop(z, g, with_grad, 0.2, out)  # noqa: E731
        (act._leaky_relu_grad_loop(x, delta, 0.2, expected) if with_grad else act._leaky_relu_loop(x, 0.2, expected))
    else:
        checked = lambda z, g: act._relu_checked_loop(z, g, with_grad, out)  # noqa: E731
        (act._relu_backward_loop(x, delta, expected) if with_grad else act._relu_forward_loop(x, expected))
    assert checked(x, delta)
    np.testing.assert_array_equal(out, expected)
    for bad in (np.nan, np.inf, -np.inf):
        for where in (0, 500, x.size - 1):
            for target in ((x, delta) if with_grad else (x,)):
                keep = target[where]
                target[where] = bad
                assert not checked(x, delta), (bad, where)
                target[where] = keep
