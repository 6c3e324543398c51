"""glossary_dl.residual against torch.autograd, the backprop building blocks and finite differences."""

import numpy as np
import pytest
import torch
from gradcheck import assert_gradient_matches

from glossary_dl.backprop import dense_forward, relu_forward
from glossary_dl.residual import residual_dense_block_backward, residual_dense_block_forward

# (rtol, atol) against torch: float64 to rounding; float32 to a few ulps of short sums
TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}
SHAPES = [(1, 1, 1), (6, 4, 5), (13, 8, 3)]  # (N, d, h): h > d, h < d


def block_params(rng, d, h, dtype):
    # kernels scaled by 1/√fan_in, so activations keep their size
    return [(rng.standard_normal(s) / np.sqrt(s[0] if len(s) == 2 else 1)).astype(dtype)
            for s in [(d, h), (h,), (h, d), (d,)]]


def torch_block(x, kernel1, bias1, kernel2, bias2):
    return torch.relu(x + torch.relu(x @ kernel1 + bias1) @ kernel2 + bias2)


@pytest.mark.oracle
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.verifies("glossary_dl.residual.residual_dense_block_forward", "glossary_dl.residual.residual_dense_block_backward", oracle="torch")
def test_forward_and_backward_match_torch_autograd(shape, dtype, rng):
    n, d, h = shape
    x = rng.standard_normal((n, d)).astype(dtype)
    params = block_params(rng, d, h, dtype)
    grad_out = rng.standard_normal((n, d)).astype(dtype)
    tensors = [torch.from_numpy(a).requires_grad_(True) for a in [x, *params]]
    expected = torch_block(*tensors)
    expected.backward(torch.from_numpy(grad_out))

    y = residual_dense_block_forward(x, *params)
    grads = residual_dense_block_backward(x, *params, grad_out)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, expected.detach().numpy(), **TOL[dtype])
    assert len(grads) == 5
    for ours, tensor in zip(grads, tensors):
        assert ours.dtype == dtype and ours.shape == tensor.shape
        np.testing.assert_allclose(ours, tensor.grad.numpy(), **TOL[dtype])


@pytest.mark.verifies("glossary_dl.residual.residual_dense_block_backward", oracle="finite differences", dtypes=("float64",), rtol=1e-6, atol=1e-8)
def test_gradients_match_finite_differences(rng):
    x = rng.standard_normal((5, 4))
    params = block_params(rng, 4, 6, np.float64)
    g = rng.standard_normal((5, 4))
    args = [x, *params]
    grads = residual_dense_block_backward(*args, g)
    for i, (value, grad) in enumerate(zip(args, grads)):

        def loss(v, i=i):  # L = Σ y ⊙ G, so ∂L/∂y = G
            return np.sum(residual_dense_block_forward(*args[:i], v, *args[i + 1:]) * g)

        # central differences with eps=1e-6: error ~1e-9, unless a ReLU input lies within eps of 0
        assert_gradient_matches(loss, lambda v, grad=grad: grad, value, rtol=1e-6, atol=1e-8)


def test_forward_is_the_backprop_blocks_plus_the_skip(dtype, rng):
    x = rng.standard_normal((7, 5)).astype(dtype)
    kernel1, bias1, kernel2, bias2 = block_params(rng, 5, 3, dtype)
    f = dense_forward(relu_forward(dense_forward(x, kernel1, bias1)), kernel2, bias2)
    # exact: the same compiled loops, and x + F(x) is one rounding in both
    np.testing.assert_array_equal(residual_dense_block_forward(x, kernel1, bias1, kernel2, bias2),
                                  relu_forward(x + f))


# ---------------------------------------------------------------- the identity path
def test_a_zero_residual_branch_is_the_identity_path(rng):
    # W_2 = 0, b_2 = 0: F(x) = 0, so y = relu(x) and ∂L/∂x = δ ⊙ 1[x > 0] exactly
    x = rng.standard_normal((6, 4))
    kernel1, bias1, _, _ = block_params(rng, 4, 5, np.float64)
    zeros = np.zeros((5, 4)), np.zeros(4)
    g = rng.standard_normal((6, 4))
    np.testing.assert_array_equal(residual_dense_block_forward(x, kernel1, bias1, *zeros), relu_forward(x))
    grad_x, grad_kernel1, grad_bias1, *_ = residual_dense_block_backward(x, kernel1, bias1, *zeros, g)
    np.testing.assert_array_equal(grad_x, g * (x > 0))  # exact
    np.testing.assert_array_equal(grad_kernel1, 0.0)  # nothing reaches W_1 through W_2 = 0
    np.testing.assert_array_equal(grad_bias1, 0.0)


def test_gradient_survives_a_deep_stack_where_a_plain_stack_loses_it(rng):
    # 30 blocks with small, random weights: the plain stack relu(F(x)) multiplies δ by 30
    # small Jacobians; the residual stack adds the identity to each of them
    d, h, depth = 8, 8, 30
    x = np.abs(rng.standard_normal((4, d))) + 0.5
    blocks = [[0.2 * p for p in block_params(rng, d, h, np.float64)] for _ in range(depth)]

    def input_gradient(residual):
        inputs, a = [], x
        for kernel1, bias1, kernel2, bias2 in blocks:
            inputs.append(a)
            if residual:
                a = residual_dense_block_forward(a, kernel1, bias1, kernel2, bias2)
            else:
                a = relu_forward(dense_forward(relu_forward(dense_forward(a, kernel1, bias1)), kernel2, bias2))
        delta = np.ones_like(a)  # L = Σ y
        for a_in, (kernel1, bias1, kernel2, bias2) in zip(reversed(inputs), reversed(blocks)):
            if residual:
                delta = residual_dense_block_backward(a_in, kernel1, bias1, kernel2, bias2, delta)[0]
            else:
                delta = plain_block_backward(a_in, kernel1, bias1, kernel2, bias2, delta)
        return np.linalg.norm(delta)

    plain, residual = input_gradient(False), input_gradient(True)
    assert plain < 1e-6 * residual  # the plain stack's gradient has all but vanished
    assert residual > 0.1 * np.sqrt(x.size)  # the residual one is of the order of δ at the output


def plain_block_backward(x, kernel1, bias1, kernel2, bias2, delta):
    """∂L/∂x through relu(F(x)) with the backprop building blocks (no skip connection)."""
    from glossary_dl.backprop import dense_backward, relu_backward

    z1 = dense_forward(x, kernel1, bias1)
    z2 = dense_forward(relu_forward(z1), kernel2, bias2)
    delta = dense_backward(relu_forward(z1), kernel2, relu_backward(z2, delta))[0]
    return dense_backward(x, kernel1, relu_backward(z1, delta))[0]


# ---------------------------------------------------------------- bad input
X = np.ones((2, 3))
W1, B1, W2, B2 = np.ones((3, 4)), np.zeros(4), np.ones((4, 3)), np.zeros(3)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: residual_dense_block_forward(X.astype(int), W1, B1, W2, B2), TypeError, "x must be a float32"),
        (lambda: residual_dense_block_forward(np.ones(3), W1, B1, W2, B2), ValueError, "x must have 2 dimension"),
        (lambda: residual_dense_block_forward(X, np.ones((2, 4)), B1, W2, B2), ValueError,
         r"kernel1 must have shape \(d, h\) with d = x.shape\[1\] = 3"),
        (lambda: residual_dense_block_forward(X, W1, np.zeros(3), W2, B2), ValueError, r"bias1 must have shape \(4,\)"),
        (lambda: residual_dense_block_forward(X, W1, B1, np.ones((4, 2)), B2), ValueError,
         r"kernel2 must have shape \(4, 3\)"),
        (lambda: residual_dense_block_forward(X, W1, B1, W2, np.zeros(4)), ValueError, r"bias2 must have shape \(3,\)"),
        (lambda: residual_dense_block_forward(X, W1.astype(np.float32), B1, W2, B2), TypeError,
         "kernel1 must have the same dtype as x"),
        (lambda: residual_dense_block_forward(X, W1, B1, W2.astype(np.float32), B2), TypeError,
         "kernel2 must have the same dtype as x"),
        (lambda: residual_dense_block_forward(X * np.nan, W1, B1, W2, B2), ValueError, "x must contain only finite"),
        (lambda: residual_dense_block_forward(np.ones((0, 3)), W1, B1, W2, B2), ValueError, "x must not be empty"),
        (lambda: residual_dense_block_backward(X, W1, B1, W2, B2, np.ones((2, 4))), ValueError,
         r"grad_out must have shape \(2, 3\)"),
        (lambda: residual_dense_block_backward(X, W1, B1, W2, B2, X.astype(np.float32)), TypeError,
         "grad_out must have the same dtype"),
        (lambda: residual_dense_block_backward(X, W1, B1, W2, B2, X * np.inf), ValueError,
         "grad_out must contain only finite"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("target", ["x", "kernel1", "bias1", "kernel2", "bias2", "grad_out"])
def test_a_non_finite_value_in_any_argument_is_refused(target, value, dtype, rng):
    """The parameters are not scanned first: finite z_1 and s prove them finite. Here every
    hidden unit is off (b_1 very negative, so h = 0) and the output ReLU too (s < 0): a NaN behind
    either ReLU must still be found, and one in δ (which the masks would zero) is scanned."""
    x = rng.standard_normal((5, 4)).astype(dtype)
    kernel1, _, kernel2, _ = block_params(rng, 4, 3, dtype)
    bias1 = np.full(3, -100.0, dtype)
    bias2 = np.full(4, -100.0, dtype)
    grad_out = rng.standard_normal((5, 4)).astype(dtype)
    arrays = {"x": x, "kernel1": kernel1, "bias1": bias1, "kernel2": kernel2, "bias2": bias2,
              "grad_out": grad_out}
    arrays[target][(1, 2)[: arrays[target].ndim]] = value
    params = [arrays[k] for k in ("x", "kernel1", "bias1", "kernel2", "bias2")]
    with pytest.raises(ValueError, match=f"^{target} must contain only finite"):
        if target != "grad_out":
            residual_dense_block_forward(*params)
        residual_dense_block_backward(*params, grad_out)
