"""glossary_dl.normalization against PyTorch, Keras 3 and finite differences."""

import math

import numpy as np
import pytest
import torch
from gradcheck import assert_gradient_matches

from glossary_dl import normalization as bn
from glossary_dl._parallel import PARALLEL_MIN_WORK
from glossary_dl.normalization import BatchNormalization, batch_norm_backward, batch_norm_forward

# (rtol, atol) against torch: float64 agrees to rounding of sums of a few hundred terms;
# float32 to a few ulps (our sums run in float64, torch's in float32).
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}
# Keras computes in float32 on the torch backend, with Var = E[x²] − E[x]²: float32 tolerance
# for inputs of mean ~1 (see test_keras_variance_loses_precision_on_large_means for the limit)
KERAS_TOL = dict(rtol=1e-4, atol=1e-5)
TORCH_SHAPES = [(7, 3), (5, 4, 6), (4, 3, 5, 2)]  # BatchNorm1d (N, C), (N, C, L); BatchNorm2d (N, C, H, W)
KERAS_SHAPES = [(9, 4), (3, 5, 4, 2)]  # (N, C) and channels-last (N, H, W, C)
STEPS = 4


def torch_dtype(dtype):
    return torch.float64 if dtype == np.float64 else torch.float32


def random_affine(rng, n_channels, dtype):
    gamma = (1.0 + 0.5 * rng.standard_normal(n_channels)).astype(dtype)
    beta = rng.standard_normal(n_channels).astype(dtype)
    return gamma, beta


def batch(rng, shape, dtype, step=0):
    # a different mean and spread at every step, so the moving statistics really move
    return (rng.standard_normal(shape) * (1.0 + step) + 0.5 * step).astype(dtype)


# ---------------------------------------------------------------- PyTorch
@pytest.mark.oracle
@pytest.mark.parametrize("shape", TORCH_SHAPES, ids=str)
@pytest.mark.verifies("glossary_dl.normalization.BatchNormalization", oracle="torch", rtol={"float64": 1e-10, "float32": 1e-5})
def test_layer_matches_torch_batchnorm_training_running_stats_and_eval(shape, dtype, rng):
    n_channels = shape[1]
    module = (torch.nn.BatchNorm1d if len(shape) < 4 else torch.nn.BatchNorm2d)(
        n_channels, dtype=torch_dtype(dtype)
    )
    ours = BatchNormalization(convention="torch")
    ours.build(n_channels, dtype)
    gamma, beta = random_affine(rng, n_channels, dtype)
    ours.gamma[:], ours.beta[:] = gamma, beta
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(gamma))
        module.bias.copy_(torch.from_numpy(beta))

    for step in range(STEPS):
        x = batch(rng, shape, dtype, step)
        grad_out = rng.standard_normal(shape).astype(dtype)
        module.zero_grad()
        tx = torch.from_numpy(x).requires_grad_(True)
        expected = module(tx)
        expected.backward(torch.from_numpy(grad_out))
        y = ours.forward(x, training=True)
        grad_x = ours.backward(grad_out)
        assert y.dtype == grad_x.dtype == dtype
        np.testing.assert_allclose(y, expected.detach().numpy(), **TOL[dtype])
        np.testing.assert_allclose(grad_x, tx.grad.numpy(), **TOL[dtype])
        np.testing.assert_allclose(ours.grad_gamma, module.weight.grad.numpy(), **TOL[dtype])
        np.testing.assert_allclose(ours.grad_beta, module.bias.grad.numpy(), **TOL[dtype])
        np.testing.assert_allclose(ours.moving_mean, module.running_mean.numpy(), **TOL[dtype])
        np.testing.assert_allclose(ours.moving_variance, module.running_var.numpy(), **TOL[dtype])

    module.eval()
    module.zero_grad()
    x = batch(rng, shape, dtype, 1)
    grad_out = rng.standard_normal(shape).astype(dtype)
    tx = torch.from_numpy(x).requires_grad_(True)
    expected = module(tx)
    expected.backward(torch.from_numpy(grad_out))
    moving = ours.moving_mean.copy()
    np.testing.assert_allclose(ours.forward(x, training=False), expected.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(ours.backward(grad_out), tx.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(ours.grad_gamma, module.weight.grad.numpy(), **TOL[dtype])
    np.testing.assert_array_equal(ours.moving_mean, moving)  # exact: inference updates nothing


@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.normalization.batch_norm_forward", "glossary_dl.normalization.batch_norm_backward", oracle="torch", dtypes=("float64",), rtol=1e-12, atol=1e-12)
def test_functional_form_matches_torch_functional_batch_norm(rng):
    x = batch(rng, (6, 3, 4), np.float64, 2)
    gamma, beta = random_affine(rng, 3, np.float64)
    y, mean, variance = batch_norm_forward(x, gamma, beta, axis=1, epsilon=1e-5)
    expected = torch.nn.functional.batch_norm(
        torch.from_numpy(x), None, None, torch.from_numpy(gamma), torch.from_numpy(beta),
        training=True, eps=1e-5,
    )
    np.testing.assert_allclose(y, expected.numpy(), rtol=1e-12, atol=1e-12)  # float64 rounding
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2)), rtol=1e-13)
    np.testing.assert_allclose(variance, x.var(axis=(0, 2)), rtol=1e-13)  # numpy var: biased (ddof=0)


# ---------------------------------------------------------------- Keras
def keras_pair(rng, shape, **kwargs):
    import keras

    n_channels = shape[-1]
    layer = keras.layers.BatchNormalization(**kwargs)
    layer.build((None, *shape[1:]))
    gamma, beta = random_affine(rng, n_channels, np.float32)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    ours = BatchNormalization(**kwargs)
    ours.build(n_channels, np.float32)
    ours.gamma[:], ours.beta[:] = gamma, beta
    return layer, ours


@pytest.mark.oracle
@pytest.mark.parametrize("shape", KERAS_SHAPES, ids=str)
@pytest.mark.verifies("glossary_dl.normalization.BatchNormalization", oracle="keras", dtypes=("float32",), rtol=1e-4, atol=1e-5)
def test_layer_matches_keras_training_moving_stats_inference_and_gradients(shape, rng):
    layer, ours = keras_pair(rng, shape, momentum=0.9)  # 0.9: moving stats move visibly in 4 steps
    for step in range(STEPS):
        x = batch(rng, shape, np.float32, step)
        grad_out = rng.standard_normal(shape).astype(np.float32)
        tx = torch.from_numpy(x).requires_grad_(True)
        expected = layer(tx, training=True)
        expected.backward(torch.from_numpy(grad_out))  # Keras on torch: autograd gives its gradients
        y = ours.forward(x, training=True)
        assert y.dtype == np.float32
        np.testing.assert_allclose(y, expected.detach().numpy(), **KERAS_TOL)
        np.testing.assert_allclose(ours.backward(grad_out), tx.grad.numpy(), **KERAS_TOL)
        np.testing.assert_allclose(ours.grad_gamma, layer.gamma.value.grad.numpy(), **KERAS_TOL)
        np.testing.assert_allclose(ours.grad_beta, layer.beta.value.grad.numpy(), **KERAS_TOL)
        layer.gamma.value.grad = layer.beta.value.grad = None
        np.testing.assert_allclose(ours.moving_mean, layer.moving_mean.value.detach().numpy(), **KERAS_TOL)
        np.testing.assert_allclose(
            ours.moving_variance, layer.moving_variance.value.detach().numpy(), **KERAS_TOL
        )
    x = batch(rng, shape, np.float32, 2)
    expected = layer(x, training=False).detach().numpy()
    np.testing.assert_allclose(ours.forward(x, training=False), expected, **KERAS_TOL)


# ---------------------------------------------------------------- conventions (PyTorch vs Keras table)
@pytest.mark.oracle
def test_keras_momentum_weights_the_old_value(rng):
    import keras

    x = batch(rng, (10, 3), np.float32, 3)
    layer = keras.layers.BatchNormalization()
    layer(x, training=True)
    ours = BatchNormalization()
    ours.forward(x, training=True)
    assert layer.momentum == ours.momentum == 0.99
    # one step from μ̄ = 0: μ̄ = 0.99·0 + 0.01·μ_B, only 1% of the batch mean
    expected = 0.01 * x.astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(layer.moving_mean.value.detach().numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(ours.moving_mean, expected, rtol=1e-6)  # float32 rounding


@pytest.mark.oracle
def test_torch_momentum_weights_the_new_value(rng):
    x = batch(rng, (10, 3), np.float64, 3)
    module = torch.nn.BatchNorm1d(3, dtype=torch.float64)
    module(torch.from_numpy(x))
    ours = BatchNormalization(convention="torch")
    ours.forward(x, training=True)
    assert module.momentum == ours.momentum == 0.1
    # one step from μ̄ = 0: μ̄ = 0.9·0 + 0.1·μ_B
    expected = 0.1 * x.mean(axis=0)
    np.testing.assert_allclose(module.running_mean.numpy(), expected, rtol=1e-14)
    np.testing.assert_allclose(ours.moving_mean, expected, rtol=1e-14)


@pytest.mark.oracle
def test_moving_variance_is_biased_in_keras_and_unbiased_in_torch(rng):
    import keras

    x = batch(rng, (5, 2), np.float64, 1)  # M = 5: the two variances differ by 5/4
    layer = keras.layers.BatchNormalization(momentum=0.0)  # moving stats := batch stats
    layer(x.astype(np.float32), training=True)
    module = torch.nn.BatchNorm1d(2, momentum=1.0, dtype=torch.float64)  # likewise
    module(torch.from_numpy(x))
    keras_like = BatchNormalization(momentum=0.0)
    keras_like.forward(x, training=True)
    torch_like = BatchNormalization(momentum=1.0, convention="torch")
    torch_like.forward(x, training=True)
    biased, unbiased = x.var(axis=0, ddof=0), x.var(axis=0, ddof=1)
    np.testing.assert_allclose(layer.moving_variance.value.detach().numpy(), biased, rtol=1e-5)  # float32
    np.testing.assert_allclose(keras_like.moving_variance, biased, rtol=1e-13)
    np.testing.assert_allclose(module.running_var.numpy(), unbiased, rtol=1e-13)
    np.testing.assert_allclose(torch_like.moving_variance, unbiased, rtol=1e-13)
    # both normalise the training batch with the biased variance
    y = torch_like.forward(x, training=True)
    np.testing.assert_allclose(y.var(axis=0), biased / (biased + 1e-5), rtol=1e-12)


@pytest.mark.oracle
def test_default_epsilon_is_1e3_in_keras_and_1e5_in_torch(rng):
    import keras

    assert keras.layers.BatchNormalization().epsilon == BatchNormalization().epsilon == 1e-3
    assert torch.nn.BatchNorm1d(2).eps == BatchNormalization(convention="torch").epsilon == 1e-5
    # it matters for a channel of small variance: σ² = 1e-4 is scaled to variance
    # σ²/(σ² + ε) = 0.091 with Keras' ε and 0.909 with PyTorch's
    x = 1e-2 * rng.standard_normal((2000, 1))
    x = (x - x.mean()) / x.std() * 1e-2  # exactly σ² = 1e-4
    for convention, expected in [("keras", 1e-4 / (1e-4 + 1e-3)), ("torch", 1e-4 / (1e-4 + 1e-5))]:
        y = BatchNormalization(convention=convention).forward(x, training=True)
        np.testing.assert_allclose(y.var(), expected, rtol=1e-12)


@pytest.mark.oracle
def test_default_axis_is_last_in_keras_and_1_in_torch():
    import keras

    assert keras.layers.BatchNormalization().axis == BatchNormalization().axis == -1
    assert BatchNormalization(convention="torch").axis == 1  # nn.BatchNorm2d takes (N, C, H, W)
    module = torch.nn.BatchNorm2d(3)
    with pytest.raises(RuntimeError):
        module(torch.zeros(2, 5, 5, 4))  # channels last is refused: 3 channels expected on axis 1


@pytest.mark.oracle
def test_keras_variance_loses_precision_on_large_means(rng):
    import keras

    # float32 data of mean 1e4 and unit spread: E[x²] − E[x]² cancels ~8 digits, all of float32's
    x = (1e4 + rng.standard_normal((64, 3))).astype(np.float32)
    exact = x.astype(np.float64).var(axis=0)
    layer = keras.layers.BatchNormalization(momentum=0.0)
    layer(x, training=True)
    keras_variance = layer.moving_variance.value.detach().numpy()
    _, _, ours = batch_norm_forward(x, np.ones(3, np.float32), np.zeros(3, np.float32))
    np.testing.assert_allclose(ours, exact, rtol=1e-6)  # two passes, float64 sums: float32 rounding
    # Keras' error is of the order of one float32 ulp of 1e8 (= 8), not of the variance (~1)
    assert np.max(np.abs(keras_variance - exact)) > 0.5


# ---------------------------------------------------------------- finite differences
@pytest.mark.parametrize("shape, axis", [((6, 3), -1), ((3, 4, 2, 3), -1), ((4, 3, 5), 1)], ids=str)
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.verifies("glossary_dl.normalization.batch_norm_backward", "glossary_dl.normalization.BatchNormalization", oracle="finite differences", dtypes=("float64",), rtol=1e-6, atol=1e-8)
def test_gradients_match_finite_differences(shape, axis, training, rng):
    x = batch(rng, shape, np.float64, 1)
    n_channels = shape[axis]
    gamma, beta = random_affine(rng, n_channels, np.float64)
    g = rng.standard_normal(shape)
    stats = {} if training else dict(mean=rng.standard_normal(n_channels), variance=rng.uniform(0.5, 2, n_channels))
    grad_x, grad_gamma, grad_beta = batch_norm_backward(x, gamma, g, axis=axis, **stats)

    def loss(x=x, gamma=gamma, beta=beta):  # L = Σ y ⊙ G, so ∂L/∂y = G
        return np.sum(batch_norm_forward(x, gamma, beta, axis=axis, **stats)[0] * g)

    # central differences, eps = 1e-6, of a smooth function: error ~1e-9
    assert_gradient_matches(lambda v: loss(x=v), lambda v: grad_x, x, rtol=1e-6, atol=1e-8)
    assert_gradient_matches(lambda v: loss(gamma=v), lambda v: grad_gamma, gamma, rtol=1e-6, atol=1e-8)
    assert_gradient_matches(lambda v: loss(beta=v), lambda v: grad_beta, beta, rtol=1e-6, atol=1e-8)


def test_layer_backward_is_the_functional_backward(rng):
    x = batch(rng, (5, 2, 3, 4), np.float64, 1)
    g = rng.standard_normal(x.shape)
    layer = BatchNormalization()
    layer.build(4, np.float64)
    layer.gamma[:] = rng.standard_normal(4)
    layer.forward(x, training=True)
    grads = batch_norm_backward(x, layer.gamma, g)
    # exact: the same loops on the same numbers
    np.testing.assert_array_equal(layer.backward(g), grads[0])
    np.testing.assert_array_equal(layer.grad_gamma, grads[1])
    np.testing.assert_array_equal(layer.grad_beta, grads[2])


# ---------------------------------------------------------------- family property
@pytest.mark.parametrize("shape, axis", [((50, 3), -1), ((6, 4, 5, 3), -1), ((8, 3, 7), 1)], ids=str)
def test_training_output_is_standardised_and_shift_invariant(shape, axis, dtype, rng):
    x = batch(rng, shape, dtype, 3)
    gamma, beta = random_affine(rng, shape[axis], dtype)
    y, _, variance = batch_norm_forward(x, gamma, beta, axis=axis)
    reduce = tuple(a for a in range(len(shape)) if a != axis % len(shape))
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    variance = variance.astype(np.float64)
    # every channel of y has mean β_c and variance γ_c²·σ_c²/(σ_c² + ε)
    np.testing.assert_allclose(y.mean(axis=reduce, dtype=np.float64), beta, **tol)
    np.testing.assert_allclose(
        y.var(axis=reduce, dtype=np.float64), gamma.astype(np.float64) ** 2 * variance / (variance + 1e-3), **tol
    )
    # adding a constant to a channel's input does not change y (μ_c absorbs it), so ∂L/∂x
    # sums to 0 over each channel
    g = rng.standard_normal(shape).astype(dtype)
    grad_x = batch_norm_backward(x, gamma, g, axis=axis)[0].astype(np.float64)
    np.testing.assert_allclose(grad_x.sum(axis=reduce), 0.0, atol=1e-10 if dtype == np.float64 else 1e-4)


def test_float64_input_to_a_float32_layer_is_cast(rng):
    layer = BatchNormalization()
    x = rng.standard_normal((6, 3))
    layer.build(3)
    y = layer.forward(x, training=False)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, layer.forward(x.astype(np.float32), training=False))  # exact


def test_keras_convention_accepts_a_single_row_torch_does_not():
    y = BatchNormalization().forward(np.array([[1.0, 2.0]]), training=True)
    np.testing.assert_array_equal(y, 0.0)  # σ² = 0 and x − μ = 0: y = β = 0 exactly
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNormalization(convention="torch").forward(np.array([[1.0, 2.0]]), training=True)
    with pytest.raises(ValueError):  # PyTorch refuses it as well
        torch.nn.BatchNorm1d(2)(torch.ones(1, 2))


# ---------------------------------------------------------------- bad input
X = np.ones((4, 3))
ONE = np.ones(3)
ZERO = np.zeros(3)


def built(x_dtype=np.float64):
    layer = BatchNormalization()
    layer.build(3, x_dtype)
    return layer


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: batch_norm_forward(X.astype(int), ONE, ZERO), TypeError, "x must be a float32 or float64"),
        (lambda: batch_norm_forward(np.ones(3), ONE, ZERO), ValueError, "x must have at least 2 dimensions"),
        (lambda: batch_norm_forward(X, ONE, ZERO, axis=0), ValueError, "axis must not be the batch axis"),
        (lambda: batch_norm_forward(X, ONE, ZERO, axis=2), ValueError, r"axis must be in \[-2, 2\)"),
        (lambda: batch_norm_forward(X, ONE, ZERO, axis=1.0), TypeError, "axis must be an integer"),
        (lambda: batch_norm_forward(X, np.ones(4), ZERO), ValueError, r"gamma must have shape \(3,\)"),
        (lambda: batch_norm_forward(X, ONE.astype(np.float32), ZERO), TypeError, "gamma must have the same dtype"),
        (lambda: batch_norm_forward(X, ONE, np.zeros((1, 3))), ValueError, "beta must have 1 dimension"),
        (lambda: batch_norm_forward(X, ONE, ZERO, epsilon=0.0), ValueError, r"epsilon must be in \(0"),
        (lambda: batch_norm_forward(X, ONE, ZERO, epsilon="a"), TypeError, "epsilon must be a real number"),
        (lambda: batch_norm_forward(X, ONE, ZERO, mean=ZERO), ValueError, "mean and variance must be given together"),
        (lambda: batch_norm_forward(X, ONE, ZERO, mean=ZERO, variance=-ONE), ValueError, "variance must be >= 0"),
        (lambda: batch_norm_forward(X * np.nan, ONE, ZERO), ValueError, "x must contain only finite"),
        (lambda: batch_norm_forward(np.ones((0, 3)), ONE, ZERO), ValueError, "x must not be empty"),
        (lambda: batch_norm_backward(X, ONE, np.ones((4, 2))), ValueError, "grad_out must have the shape of x"),
        (lambda: batch_norm_backward(X, ONE, X.astype(np.float32)), TypeError, "grad_out must have the same dtype"),
        (lambda: batch_norm_backward(X, ONE, X * np.inf), ValueError, "grad_out must contain only finite"),
        (lambda: BatchNormalization(convention="jax"), ValueError, "convention must be 'keras' or 'torch'"),
        (lambda: BatchNormalization(momentum=1.5), ValueError, r"momentum must be in \[0.0, 1.0\]"),
        (lambda: BatchNormalization(momentum=None, epsilon=-1e-3), ValueError, "epsilon must be in"),
        (lambda: BatchNormalization(axis="last"), TypeError, "axis must be an integer"),
        (lambda: BatchNormalization().build(0), ValueError, "n_channels must be >= 1"),
        (lambda: BatchNormalization().build(2, np.int64), TypeError, "dtype must be float32 or float64"),
        (lambda: built().forward(X, training=1), TypeError, "training must be True or False"),
        (lambda: built().forward(np.ones((4, 2)), training=True), ValueError, "x must have 3 channels"),
        (lambda: built().forward(X.astype(np.int32), training=True), TypeError, "x must be a float32"),
        (lambda: BatchNormalization(axis=3).forward(np.ones((2, 3, 4)), training=True), ValueError,
         r"axis must be in \[-3, 3\)"),
        (lambda: built().backward(X), RuntimeError, r"needs a forward\(\) first"),
        (lambda: (lambda b: (b.forward(X, True), b.backward(np.ones((3, 3)))))(built()), ValueError,
         "grad_out must have the shape of the last input"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------- fast paths
# batch_norm_forward/backward in training mode run the blocked loops (_batch_norm_train_*): the block
# statistics merged pairwise, the sums in another order than the definition loops', so the numbers
# agree to a few roundings relative to the values' scale.
FAST_SHAPES = [(37, 5), (3001, 7), (4099, 64), (1, 3), (70, 300)]  # (4099, 64): above PARALLEL_MIN_WORK


def definition(x, gamma, beta, g):
    """The definition loops: the forward's y, μ, σ², and the backward's three gradients."""
    n_channels = x.shape[1]
    mean, variance, y = np.empty(n_channels, x.dtype), np.empty(n_channels, x.dtype), np.empty_like(x)
    bn._batch_norm_forward_loop(x, gamma, beta, mean, variance, 1e-3, True, y)
    grads = bn._backward_rows(x, gamma, mean, variance, 1e-3, g, True)
    return (y, mean, variance), grads


@pytest.mark.parametrize("shape", FAST_SHAPES, ids=str)
@pytest.mark.parametrize("loc", [0.0, 1e4], ids=["mean0", "mean1e4"])
def test_fast_training_loops_agree_with_the_definitions(shape, loc, dtype):
    rng = np.random.default_rng(7)
    x = (loc + rng.standard_normal(shape)).astype(dtype)
    gamma, beta = random_affine(rng, shape[1], dtype)
    g = rng.standard_normal(shape).astype(dtype)
    (y0, mean0, var0), grads0 = definition(x, gamma, beta, g)
    y, mean, var = batch_norm_forward(x, gamma, beta)
    grads = batch_norm_backward(x, gamma, g)
    eps = np.finfo(dtype).eps
    # a float64 sum of M terms taken in another order: up to M roundings of the sum's scale
    # (the definition's serial sum of M values of 1e4 is itself off by ~1e-15·√M relative)
    u = 8 * eps + shape[0] * 2.0**-53
    x_scale = float(np.max(np.abs(x)))
    inv_std = 1.0 / np.sqrt(var0.astype(np.float64) + 1e-3)
    # μ: roundings of x's scale (a float32 μ may round to the neighbouring float)
    np.testing.assert_allclose(mean, mean0, rtol=0, atol=u * x_scale)
    np.testing.assert_allclose(var, var0, rtol=8 * eps, atol=u * x_scale * float(np.max(np.sqrt(var0))))
    # y and ∂L/∂x move by (Δμ)·γ/σ: roundings of x's scale in units of σ
    gain = float(np.max(np.abs(gamma) * inv_std))
    np.testing.assert_allclose(y, y0, rtol=0, atol=u * x_scale * gain + 8 * eps * float(np.max(np.abs(y0))))
    g_scale = float(np.sum(np.abs(g), axis=0).max())  # the scale of the sums of δ
    np.testing.assert_allclose(grads[2], grads0[2], rtol=0, atol=u * g_scale)
    np.testing.assert_allclose(grads[1], grads0[1], rtol=0, atol=u * g_scale * x_scale * float(inv_std.max()))
    gx_atol = u * gain * (float(np.max(np.abs(g))) + x_scale * float(inv_std.max()))
    np.testing.assert_allclose(grads[0], grads0[0], rtol=0, atol=gx_atol)
    for got, want in zip((y, mean, var, *grads), (y0, mean0, var0, *grads0)):
        assert got.dtype == want.dtype and got.shape == want.shape


@pytest.mark.parametrize("with_grad", [False, True], ids=["forward", "backward"])
def test_fast_training_loops_give_the_same_numbers_on_one_thread_or_many(with_grad, dtype):
    # the rows' partition into blocks and chunks depends on the shape only
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4099, 64)).astype(dtype)
    assert x.size >= PARALLEL_MIN_WORK
    g = rng.standard_normal(x.shape).astype(dtype)
    gamma, beta = random_affine(rng, 64, dtype)
    results = []
    for loop in (bn._batch_norm_train_serial, bn._batch_norm_train_parallel):
        out = [np.empty_like(x)] + [np.empty(64, dtype) for _ in range(4)]
        finite = loop(x, g, with_grad, gamma, beta, 1e-3, out[1], out[2], out[0], out[3], out[4])
        assert finite == (True, True)
        results.append(out if with_grad else out[:3])
    for serial, parallel in zip(*results):
        np.testing.assert_array_equal(serial, parallel)


@pytest.mark.parametrize("shape", [(64, 3), (4099, 64)], ids=str)
def test_a_large_mean_costs_no_precision(shape, dtype):
    # x = 1e4 + N(0, 1): E[x²] − E[x]² would cancel all of float32's digits; the block statistics
    # (two passes on each block, merged pairwise) keep the variance to the rounding of its dtype
    rng = np.random.default_rng(5)
    x = (1e4 + rng.standard_normal(shape)).astype(dtype)
    columns = x.astype(np.float64).T
    exact_mean = np.array([math.fsum(column) / column.size for column in columns])
    exact_var = np.array([math.fsum((column - mu) ** 2) / column.size for column, mu in zip(columns, exact_mean)])
    _, mean, variance = batch_norm_forward(x, np.ones(shape[1], dtype), np.zeros(shape[1], dtype))
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(mean, exact_mean, rtol=1e-7 if dtype == np.float32 else 1e-15)
    np.testing.assert_allclose(variance, exact_var, rtol=rtol)


@pytest.mark.parametrize("where", [0, "middle", -1], ids=["first", "middle", "last"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_a_non_finite_value_anywhere_in_a_large_batch_is_refused(where, bad, dtype):
    """The training loops scan x and grad_out as they read them: a NaN or inf at any position is
    refused with the message of the scan that used to run first."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4099, 64)).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    gamma, beta = random_affine(rng, 64, dtype)

    def poisoned(array):
        out = array.copy()
        out.reshape(-1)[array.size // 2 + 5 if where == "middle" else where] = bad
        return out

    with pytest.raises(ValueError, match="x must contain only finite values"):
        batch_norm_forward(poisoned(x), gamma, beta)
    with pytest.raises(ValueError, match="x must contain only finite values"):
        batch_norm_backward(poisoned(x), gamma, g)
    with pytest.raises(ValueError, match="x must contain only finite values"):  # x before grad_out
        batch_norm_backward(poisoned(x), gamma, poisoned(g))
    with pytest.raises(ValueError, match="grad_out must contain only finite values"):
        batch_norm_backward(x, gamma, poisoned(g))
    with pytest.raises(ValueError, match="gamma must contain only finite values"):
        batch_norm_forward(x, poisoned(gamma[:1].repeat(64)), beta)
    with pytest.raises(ValueError, match="beta must contain only finite values"):
        batch_norm_forward(x, gamma, poisoned(beta[:1].repeat(64)))
    with pytest.raises(ValueError, match="gamma must contain only finite values"):
        batch_norm_backward(x, poisoned(gamma[:1].repeat(64)), g)
    # a NaN in x wins over a later bad argument, as when x was scanned first
    with pytest.raises(ValueError, match="x must contain only finite values"):
        batch_norm_forward(poisoned(x), gamma, np.zeros(3, dtype))
    with pytest.raises(ValueError, match="x must contain only finite values"):
        batch_norm_backward(poisoned(x), gamma, np.ones((2, 2), dtype))
    # inference mode, and a channel axis that is not last
    stats = dict(mean=np.zeros(64, dtype), variance=np.ones(64, dtype))
    with pytest.raises(ValueError, match="x must contain only finite values"):
        batch_norm_forward(poisoned(x), gamma, beta, **stats)
    with pytest.raises(ValueError, match="grad_out must contain only finite values"):
        batch_norm_backward(x, gamma, poisoned(g), **stats)
    with pytest.raises(ValueError, match="x must contain only finite values"):
        batch_norm_forward(poisoned(x).reshape(4099, 64, 1), gamma, beta, axis=1)
