"""glossary_dl.backprop against torch.autograd, Keras and finite differences."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gradcheck import assert_gradient_matches

from glossary_dl.backprop import (
    DenseNetwork,
    dense_backward,
    dense_forward,
    relu_backward,
    relu_forward,
    softmax_cross_entropy,
)

# (rtol, atol) per dtype for a comparison with torch: float64 agrees to rounding, float32
# to a few ulps of the sums of up to a few dozen terms.
TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}
DENSE_SHAPES = [(1, 1, 1), (5, 3, 4), (17, 8, 6)]  # (N, n_in, n_out)
ARCHITECTURES = [[4, 3], [6, 5, 3], [8, 7, 6, 4]]


def tensor(array, requires_grad=False):
    return torch.from_numpy(np.array(array)).requires_grad_(requires_grad)


# ---------------------------------------------------------------- dense layer
@pytest.mark.oracle
@pytest.mark.parametrize("shape", DENSE_SHAPES, ids=str)
@pytest.mark.verifies("glossary_dl.backprop.dense_forward", oracle="torch", rtol={"float64": 1e-12, "float32": 1e-5})
def test_dense_forward_matches_torch(shape, dtype, rng):
    n, n_in, n_out = shape
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in [(n, n_in), (n_in, n_out), (n_out,)])
    z = dense_forward(x, w, b)
    expected = (tensor(x) @ tensor(w) + tensor(b)).numpy()
    assert z.dtype == dtype
    np.testing.assert_allclose(z, expected, **TOL[dtype])


@pytest.mark.oracle
@pytest.mark.parametrize("shape", DENSE_SHAPES, ids=str)
@pytest.mark.verifies("glossary_dl.backprop.dense_backward", oracle="torch", rtol={"float64": 1e-12, "float32": 1e-5})
def test_dense_backward_matches_torch_autograd(shape, dtype, rng):
    n, n_in, n_out = shape
    x, w, b, delta = (
        rng.standard_normal(s).astype(dtype) for s in [(n, n_in), (n_in, n_out), (n_out,), (n, n_out)]
    )
    tx, tw, tb = tensor(x, True), tensor(w, True), tensor(b, True)
    (tx @ tw + tb).backward(tensor(delta))
    grad_x, grad_kernel, grad_bias = dense_backward(x, w, delta)
    for ours, theirs in [(grad_x, tx.grad), (grad_kernel, tw.grad), (grad_bias, tb.grad)]:
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours, theirs.numpy(), **TOL[dtype])


@pytest.mark.verifies("glossary_dl.backprop.dense_backward", oracle="finite differences", dtypes=("float64",), rtol=1e-6, atol=1e-8)
def test_dense_backward_matches_finite_differences(rng):
    # L = Σ z ⊙ G has ∂L/∂z = G, so dense_backward(x, W, G) is its exact gradient.
    x, w, b, g = (rng.standard_normal(s) for s in [(4, 3), (3, 5), (5,), (4, 5)])
    grad_x, grad_kernel, grad_bias = dense_backward(x, w, g)
    # central differences of a linear function: only rounding error, ~1e-10
    assert_gradient_matches(lambda v: np.sum(dense_forward(v, w, b) * g), lambda v: grad_x, x)
    assert_gradient_matches(lambda v: np.sum(dense_forward(x, v, b) * g), lambda v: grad_kernel, w)
    assert_gradient_matches(lambda v: np.sum(dense_forward(x, w, v) * g), lambda v: grad_bias, b)


# ---------------------------------------------------------------- ReLU
@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.backprop.relu_forward", "glossary_dl.backprop.relu_backward", oracle="torch", rtol={"float64": 1e-12, "float32": 1e-5})
def test_relu_matches_torch_including_the_kink(dtype, rng):
    x = rng.standard_normal((6, 7)).astype(dtype)
    x[0, :3] = 0.0  # the derivative at exactly 0 is a convention: torch uses 0
    x[1, 0] = -0.0
    grad_out = rng.standard_normal(x.shape).astype(dtype)
    tx = tensor(x, True)
    a = torch.relu(tx)
    a.backward(tensor(grad_out))
    ours = relu_forward(x)
    assert ours.dtype == dtype
    np.testing.assert_array_equal(ours, a.detach().numpy())  # exact: a max, no arithmetic
    np.testing.assert_array_equal(relu_backward(x, grad_out), tx.grad.numpy())
    assert np.all(relu_backward(x, grad_out)[0, :3] == 0.0)


def test_relu_keeps_any_shape(rng):
    x = rng.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(relu_forward(x), np.maximum(x, 0.0))  # exact
    np.testing.assert_array_equal(relu_backward(x, np.ones_like(x)), (x > 0).astype(float))


@pytest.mark.verifies("glossary_dl.backprop.relu_backward", oracle="finite differences", dtypes=("float64",), rtol=1e-6, atol=1e-8)
def test_relu_backward_matches_finite_differences(rng):
    x = rng.standard_normal(12)
    x[np.abs(x) < 1e-3] = 0.5  # stay away from the kink, where the derivative does not exist
    g = rng.standard_normal(12)
    assert_gradient_matches(lambda v: np.sum(relu_forward(v) * g), lambda v: relu_backward(v, g), x)


# ---------------------------------------------------------------- softmax cross-entropy
@pytest.mark.oracle
@pytest.mark.parametrize("n, n_classes", [(1, 2), (7, 3), (32, 10)])
@pytest.mark.verifies("glossary_dl.backprop.softmax_cross_entropy", oracle="torch", rtol={"float64": 1e-12, "float32": 1e-5})
def test_softmax_cross_entropy_matches_torch(n, n_classes, dtype, rng):
    logits = (3 * rng.standard_normal((n, n_classes))).astype(dtype)
    labels = rng.integers(0, n_classes, n)
    tz = tensor(logits, True)
    expected = F.cross_entropy(tz, torch.from_numpy(labels))  # reduction="mean"
    expected.backward()
    loss, grad = softmax_cross_entropy(logits, labels)
    assert loss.dtype == dtype and grad.dtype == dtype
    np.testing.assert_allclose(loss, expected.item(), **TOL[dtype])
    np.testing.assert_allclose(grad, tz.grad.numpy(), **TOL[dtype])


@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.backprop.softmax_cross_entropy", oracle="keras", dtypes=("float32",), rtol=1e-5)
def test_softmax_cross_entropy_is_keras_sparse_crossentropy_batch_mean(rng):
    import keras

    logits = (3 * rng.standard_normal((16, 5))).astype(np.float32)
    labels = rng.integers(0, 5, 16)
    per_sample = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    # on the torch backend the result is a torch tensor (keras.ops.convert_to_numpy would warn)
    expected = float(per_sample.detach().numpy().mean())
    loss, _ = softmax_cross_entropy(logits, labels)
    # Keras computes in float32 on the torch backend: float32 tolerance
    np.testing.assert_allclose(loss, expected, rtol=1e-5)


@pytest.mark.verifies("glossary_dl.backprop.softmax_cross_entropy", oracle="finite differences", dtypes=("float64",), rtol=1e-6, atol=1e-8)
def test_softmax_cross_entropy_gradient_matches_finite_differences(rng):
    logits = rng.standard_normal((5, 4))
    labels = rng.integers(0, 4, 5)
    assert_gradient_matches(
        lambda z: softmax_cross_entropy(z, labels)[0],
        lambda z: softmax_cross_entropy(z, labels)[1],
        logits,
    )


@pytest.mark.oracle
def test_huge_logits_give_a_finite_loss_and_gradient(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, 0.0, 1e4]], dtype=dtype)
    labels = np.array([1, 2, 0])
    loss, grad = softmax_cross_entropy(logits, labels)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    # by hand: ℓ = [2e4, log 2, 1e4], δ = (softmax − onehot)/3
    np.testing.assert_allclose(loss, (2e4 + np.log(2.0) + 1e4) / 3, rtol=1e-6)
    expected_grad = np.array([[1, -1, 0], [0, 0.5, -0.5], [-1, 0, 1]]) / 3
    np.testing.assert_allclose(grad, expected_grad, atol=1e-7)
    tz = tensor(logits, True)
    F.cross_entropy(tz, torch.from_numpy(labels)).backward()
    np.testing.assert_allclose(grad, tz.grad.numpy(), **TOL[dtype])


def test_softmax_cross_entropy_family_properties(rng):
    # L ≥ 0, each row of δ sums to 0 (softmax sums to 1), and adding a constant to a row of
    # logits changes nothing (softmax is shift invariant)
    logits = rng.standard_normal((9, 6))
    labels = rng.integers(0, 6, 9)
    loss, grad = softmax_cross_entropy(logits, labels)
    shifted_loss, shifted_grad = softmax_cross_entropy(logits + rng.standard_normal((9, 1)) * 50, labels)
    assert loss >= 0.0
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-16)
    np.testing.assert_allclose(shifted_loss, loss, rtol=1e-12)
    np.testing.assert_allclose(shifted_grad, grad, rtol=1e-10, atol=1e-16)


# ---------------------------------------------------------------- the network
def torch_copy(net):
    """The same network in torch: nn.Linear holds W transposed, shape (out, in)."""
    torch_dtype = torch.float64 if net.dtype == np.float64 else torch.float32
    layers = []
    for kernel, bias in zip(net.kernels, net.biases):
        linear = torch.nn.Linear(*kernel.shape, dtype=torch_dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(kernel.T.copy()))
            linear.bias.copy_(torch.from_numpy(bias))
        layers += [linear, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


@pytest.mark.oracle
@pytest.mark.parametrize("sizes", ARCHITECTURES, ids=str)
@pytest.mark.verifies("glossary_dl.backprop.DenseNetwork", oracle="torch", rtol={"float64": 1e-12, "float32": 1e-5})
def test_network_loss_and_gradients_match_torch(sizes, dtype, rng):
    seed = int(rng.integers(1000))
    net = DenseNetwork(sizes, seed=seed, dtype=dtype)
    for bias in net.biases:  # nonzero biases, so their role in the forward pass is checked too
        bias[:] = 0.1 * rng.standard_normal(bias.shape)
    x = rng.standard_normal((11, sizes[0])).astype(dtype)
    labels = rng.integers(0, sizes[-1], 11)
    model = torch_copy(net)
    logits = model(torch.from_numpy(x))
    expected = F.cross_entropy(logits, torch.from_numpy(labels))
    expected.backward()

    loss, grads = net.loss_and_gradients(x, labels)
    assert loss.dtype == dtype
    np.testing.assert_allclose(net.forward(x), logits.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(loss, expected.item(), **TOL[dtype])
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    assert len(grads) == len(linears) == len(sizes) - 1
    for (grad_kernel, grad_bias), linear in zip(grads, linears):
        assert grad_kernel.dtype == dtype and grad_bias.dtype == dtype
        np.testing.assert_allclose(grad_kernel, linear.weight.grad.numpy().T, **TOL[dtype])
        np.testing.assert_allclose(grad_bias, linear.bias.grad.numpy(), **TOL[dtype])
    np.testing.assert_array_equal(net.predict(x), logits.argmax(dim=1).numpy())


@pytest.mark.parametrize("sizes", [[5, 4, 3], [4, 6, 5, 3]], ids=str)
@pytest.mark.verifies("glossary_dl.backprop.DenseNetwork", oracle="finite differences", dtypes=("float64",), rtol=1e-6, atol=1e-8)
def test_network_gradients_match_finite_differences(sizes, rng):
    net = DenseNetwork(sizes, seed=int(rng.integers(1000)), dtype=np.float64)
    for bias in net.biases:
        bias[:] = 0.1 * rng.standard_normal(bias.shape)
    x = rng.standard_normal((7, sizes[0]))
    labels = rng.integers(0, sizes[-1], 7)
    _, grads = net.loss_and_gradients(x, labels)
    for param, grad in zip(net.parameters(), [g for pair in grads for g in pair]):
        original = param.copy()

        def loss_at(value, param=param):
            param[...] = value
            return net.loss_and_gradients(x, labels)[0]

        # central differences with eps=1e-6: error ~1e-10 unless a ReLU input crosses 0 within eps
        assert_gradient_matches(loss_at, lambda value, grad=grad: grad, original, rtol=1e-6, atol=1e-8)
        param[...] = original


def test_same_seed_gives_bit_identical_weights():
    a, b = DenseNetwork([6, 5, 3], seed=7), DenseNetwork([6, 5, 3], seed=7)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)  # exact
    c = DenseNetwork([6, 5, 3], seed=8)
    assert not np.array_equal(a.kernels[0], c.kernels[0])
    d = DenseNetwork([6, 5, 3], seed=7, dtype=np.float64)
    np.testing.assert_array_equal(a.kernels[0], d.kernels[0].astype(np.float32))


def test_defaults_are_keras_like():
    net = DenseNetwork([784, 512, 10], seed=0)
    assert net.dtype == np.float32 and all(p.dtype == np.float32 for p in net.parameters())
    assert [p.shape for p in net.parameters()] == [(784, 512), (512,), (512, 10), (10,)]
    assert all(np.all(b == 0.0) for b in net.biases)


@pytest.mark.oracle
def test_glorot_uniform_init_matches_keras_dense_and_differs_from_torch_linear():
    import keras

    n_in, n_out = 784, 512
    limit = np.sqrt(6.0 / (n_in + n_out))
    ours = DenseNetwork([n_in, n_out], seed=0).kernels[0]
    layer = keras.layers.Dense(n_out)
    layer.build((None, n_in))
    theirs = layer.kernel.value.detach().numpy()  # a torch Parameter on the torch backend
    assert theirs.shape == ours.shape == (n_in, n_out)  # Keras kernels are (in, out)
    assert np.all(layer.bias.value.detach().numpy() == 0.0)
    for w in (ours, theirs):
        # U(−r, r): every draw within r rounded to float32 (an unseeded float32 draw can round just
        # past the float64 r), the extremes near r (401k draws), variance r²/3 within 1%
        assert np.abs(w).max() <= np.float32(limit) and np.abs(w).max() > 0.999 * limit
        np.testing.assert_allclose(w.var(), limit**2 / 3, rtol=1e-2)
    linear = torch.nn.Linear(n_in, n_out)
    weight = linear.weight.detach().numpy()
    assert weight.shape == (n_out, n_in)  # torch stores (out, in)
    bound = 1.0 / np.sqrt(n_in)  # kaiming_uniform(a=√5) reduces to U(±1/√fan_in)
    assert np.abs(weight).max() <= np.float32(bound) and np.abs(weight).max() > 0.999 * bound
    assert np.any(linear.bias.detach().numpy() != 0.0)  # torch biases are random too


def test_parameters_are_the_live_arrays(rng):
    net = DenseNetwork([3, 4, 2], seed=0, dtype=np.float64)
    params = net.parameters()
    assert params[0] is net.kernels[0] and params[3] is net.biases[1]
    x = rng.standard_normal((5, 3))
    before = net.forward(x)
    params[3] += 1.0  # every logit moves by 1
    np.testing.assert_allclose(net.forward(x), before + 1.0, atol=1e-14)  # one rounding of b + 1


def test_float64_input_to_a_float32_network_is_cast(rng):
    net = DenseNetwork([3, 2], seed=0)
    x = rng.standard_normal((4, 3))
    assert net.forward(x).dtype == np.float32
    np.testing.assert_array_equal(net.forward(x), net.forward(x.astype(np.float32)))


def test_huge_weights_give_a_finite_loss_and_gradients(rng):
    net = DenseNetwork([4, 5, 3], seed=0, dtype=np.float64)
    net.kernels[1] *= 1e5  # logits of order 1e4 to 1e5
    x = rng.standard_normal((6, 4))
    loss, grads = net.loss_and_gradients(x, rng.integers(0, 3, 6))
    assert abs(net.forward(x)).max() > 1e3
    assert np.isfinite(loss) and all(np.all(np.isfinite(g)) for pair in grads for g in pair)


def test_gradient_descent_separates_a_toy_dataset():
    rng = np.random.default_rng(0)
    centres = np.array([[3.0, 0.0], [-3.0, 3.0], [-3.0, -3.0]])
    labels = np.repeat(np.arange(3), 20)
    x = centres[labels] + 0.5 * rng.standard_normal((60, 2))
    net = DenseNetwork([2, 8, 3], seed=0, dtype=np.float64)
    first_loss, _ = net.loss_and_gradients(x, labels)
    for _ in range(300):
        loss, grads = net.loss_and_gradients(x, labels)
        for param, grad in zip(net.parameters(), [g for pair in grads for g in pair]):
            param -= 0.1 * grad  # θ ← θ − η·g
    assert loss < 0.05 * first_loss
    assert np.mean(net.predict(x) == labels) == 1.0


# ---------------------------------------------------------------- bad input
X = np.ones((2, 3))
W = np.ones((3, 4))
B = np.zeros(4)
G = np.ones((2, 4))
NAN_X = np.array([[1.0, np.nan, 0.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: dense_forward(X.astype(int), W, B), TypeError, "x must be a float32 or float64"),
        (lambda: dense_forward("x", W, B), TypeError, "x must be a numpy array"),
        (lambda: dense_forward(np.ones(3), W, B), ValueError, "x must have 2 dimension"),
        (lambda: dense_forward(X, np.ones((2, 4)), B), ValueError, r"n_in = x.shape\[1\] = 3"),
        (lambda: dense_forward(X, W.astype(np.float32), B), TypeError, "kernel must have the same dtype as x"),
        (lambda: dense_forward(X, W, np.zeros(3)), ValueError, r"bias must have shape \(4,\)"),
        (lambda: dense_forward(X, W, np.zeros((1, 4))), ValueError, "bias must have 1 dimension"),
        (lambda: dense_forward(X, W, B.astype(np.float32)), TypeError, "bias must have the same dtype"),
        (lambda: dense_forward(NAN_X, W, B), ValueError, "x must contain only finite"),
        (lambda: dense_forward(np.ones((0, 3)), W, B), ValueError, "x must not be empty"),
        (lambda: dense_backward(X, W, np.ones((3, 4))), ValueError, r"grad_out must have shape \(2, 4\)"),
        (lambda: dense_backward(X, W, G.astype(np.float32)), TypeError, "grad_out must have the same dtype"),
        (lambda: dense_backward(X, W, G * np.inf), ValueError, "grad_out must contain only finite"),
        (lambda: dense_backward(X, np.ones(3), G), ValueError, "kernel must have 2 dimension"),
        (lambda: relu_forward(np.array([1, 2])), TypeError, "x must be a float32 or float64"),
        (lambda: relu_forward(np.array([np.inf])), ValueError, "x must contain only finite"),
        (lambda: relu_backward(X, np.ones((3, 2))), ValueError, r"grad_out must have shape \(2, 3\)"),
        (lambda: relu_backward(X, np.ones(6)), ValueError, "grad_out must have 2 dimension"),
        (lambda: relu_backward(X, X.astype(np.float32)), TypeError, "grad_out must have the same dtype"),
        (lambda: softmax_cross_entropy(np.ones(3), [0]), ValueError, "logits must have 2 dimension"),
        (lambda: softmax_cross_entropy(X, [0, 3]), ValueError, r"labels must be class indices in \[0, 3\)"),
        (lambda: softmax_cross_entropy(X, [0, -1]), ValueError, "labels must be class indices"),
        (lambda: softmax_cross_entropy(X, [0]), ValueError, r"labels must have shape \(2,\)"),
        (lambda: softmax_cross_entropy(X, [0.5, 1.0]), ValueError, "whole-number class labels"),
        (lambda: softmax_cross_entropy(X, ["a", "b"]), TypeError, "labels must be an integer array"),
        (lambda: softmax_cross_entropy(X, [[0, 1]]), ValueError, "labels must have 1 dimension"),
        (lambda: softmax_cross_entropy(NAN_X, [0, 1]), ValueError, "logits must contain only finite"),
        (lambda: DenseNetwork([3]), ValueError, "at least an input and an output"),
        (lambda: DenseNetwork(3), TypeError, "layer_sizes must be a sequence of integers"),
        (lambda: DenseNetwork("34"), TypeError, "layer_sizes must be a sequence of integers"),
        (lambda: DenseNetwork([3, 2.5]), TypeError, "layer_sizes must hold integers"),
        (lambda: DenseNetwork([3, 0]), ValueError, "widths >= 1"),
        (lambda: DenseNetwork([3, 2], seed=-1), ValueError, "seed must be >= 0"),
        (lambda: DenseNetwork([3, 2], seed=1.5), TypeError, "seed must be an integer"),
        (lambda: DenseNetwork([3, 2], dtype=np.int32), TypeError, "dtype must be float32 or float64"),
        (lambda: DenseNetwork([3, 2], dtype="nonsense"), TypeError, "dtype must be float32 or float64"),
        (lambda: DenseNetwork([3, 2]).forward(np.ones((2, 4))), ValueError, r"x must have shape \(N, 3\)"),
        (lambda: DenseNetwork([3, 2]).forward(np.ones((2, 3), dtype=np.uint8)), TypeError, "x must be a float"),
        (lambda: DenseNetwork([3, 2]).predict(NAN_X), ValueError, "x must contain only finite"),
        (lambda: DenseNetwork([3, 2]).loss_and_gradients(X, [0, 2]), ValueError, r"in \[0, 2\)"),
        (lambda: DenseNetwork([3, 2]).loss_and_gradients(X, [0, 1, 1]), ValueError, "labels must have shape"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


def assert_reassociated_sums_agree(ours, theirs, abs_sum, terms, dtype):
    """Two sums of the same ``terms`` products, added in different orders.

    The fast loops may reassociate (fastmath, and the vector width the CPU offers), so the bits
    differ from machine to machine; each order's rounding error is below k·ε·Σ|aᵢbᵢ|, so the two
    agree within twice that. A wrong term or a missing one is far outside the bound.
    """
    bound = 2 * terms * np.finfo(dtype).eps * abs_sum
    assert np.all(np.abs(ours.astype(np.float64) - theirs.astype(np.float64)) <= bound)


@pytest.mark.parametrize("n_out", [10, 64], ids=["short-depth", "tiled"])
@pytest.mark.parametrize("with_grad_x", [True, False])
def test_keras_layout_backward_equals_the_pages_loop(n_out, with_grad_x, dtype, rng):
    # dense_backward runs the three sums on W as given (n_in, n_out); the page's loop runs them on
    # Wᵀ, as the layers store it: the same products, in an order that may differ by reassociation
    from glossary_dl.backprop import _dense_backward_keras_loop, _dense_backward_loop

    x = rng.standard_normal((70, 50)).astype(dtype)
    kernel = rng.standard_normal((50, n_out)).astype(dtype)
    delta = rng.standard_normal((70, n_out)).astype(dtype)
    grads = [np.empty((70, 50) if with_grad_x else (0, 0), dtype), np.empty((50, n_out), dtype), np.empty(n_out, dtype)]
    _dense_backward_keras_loop(x, kernel, delta, *grads, with_grad_x)
    page = [np.empty_like(grads[0]), np.empty((n_out, 50), dtype), np.empty(n_out, dtype)]
    _dense_backward_loop(x, np.ascontiguousarray(kernel.T), delta, *page, with_grad_x)
    abs_x, abs_kernel, abs_delta = (np.abs(a).astype(np.float64) for a in (x, kernel, delta))
    if with_grad_x:
        assert_reassociated_sums_agree(grads[0], page[0], abs_delta @ abs_kernel.T, n_out, dtype)
    assert_reassociated_sums_agree(grads[1], page[1].T, abs_x.T @ abs_delta, 70, dtype)
    assert_reassociated_sums_agree(grads[2], page[2], abs_delta.sum(axis=0), 70, dtype)
    # and a wrong kernel lies outside the bound: the check can fail
    wrong = [np.empty_like(g) for g in grads]
    _dense_backward_keras_loop(x, kernel, 1.001 * delta, *wrong, with_grad_x)
    with pytest.raises(AssertionError):
        assert_reassociated_sums_agree(wrong[1], page[1].T, abs_x.T @ abs_delta, 70, dtype)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("target", ["x", "kernel", "bias", "grad_out"])
def test_dense_refuses_a_non_finite_value_in_any_argument(target, value, dtype, rng):
    """The inputs are not scanned first: a finite result proves them finite. Each bad value sits
    where it meets zeros (a zero column of x under an inf of W, a zero row of δ over one of x), the
    place where a mask or a product with 0 could hide it."""
    x = rng.standard_normal((5, 4)).astype(dtype)
    kernel = rng.standard_normal((4, 3)).astype(dtype)
    bias = rng.standard_normal(3).astype(dtype)
    grad_out = rng.standard_normal((5, 3)).astype(dtype)
    x[:, 2] = 0.0
    grad_out[1] = 0.0
    arrays = {"x": x, "kernel": kernel, "bias": bias, "grad_out": grad_out}
    arrays[target][(1, 2)[: arrays[target].ndim]] = value
    with pytest.raises(ValueError, match=f"^{target} must contain only finite"):
        if target != "grad_out":
            dense_forward(x, kernel, bias)
        if target != "bias":
            dense_backward(x, kernel, grad_out)
