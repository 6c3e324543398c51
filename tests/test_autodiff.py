"""glossary_dl.autodiff against torch.autograd on the same expressions, and finite differences."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gradcheck import numerical_gradient
from hypothesis import given, settings
from hypothesis import strategies as st

from glossary_dl.autodiff import Tensor, dense, softmax_cross_entropy
from glossary_dl.backprop import DenseNetwork

# (rtol, atol) per dtype against torch: float64 agrees to rounding; float32 to a few ulps of
# sums of a few dozen terms (our sums are accumulated in float64, torch's in float32).
TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}
SEEDS = [0, 1]


class Ours:
    """The engine: inputs are leaf Tensors."""

    @staticmethod
    def leaf(array):
        return Tensor(array, requires_grad=True)

    ce = staticmethod(softmax_cross_entropy)
    dense = staticmethod(dense)

    @staticmethod
    def value(t):
        return t.value

    @staticmethod
    def grad(t):
        return t.grad


class Torch:
    """The oracle: the same expressions on torch tensors, differentiated by torch.autograd."""

    @staticmethod
    def leaf(array):
        return torch.from_numpy(np.array(array)).requires_grad_(True)

    @staticmethod
    def ce(logits, labels):
        return F.cross_entropy(logits, torch.from_numpy(labels))

    @staticmethod
    def dense(x, kernel, bias):
        return x @ kernel + bias

    @staticmethod
    def value(t):
        return t.detach().numpy()

    @staticmethod
    def grad(t):
        return t.grad.numpy()


BINARY_OPS = {
    "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y, "/": lambda x, y: x / y,
}
LABELS = np.array([0, 2, 1, 2, 0], dtype=np.int64)

# name → (input shapes, expression of (library, *inputs), gradient argument shape or None)
EXPRESSIONS = {
    "two_layer_mlp_loss": (
        [(5, 4), (4, 6), (6,), (6, 3), (3,)],
        lambda lib, x, w1, b1, w2, b2: lib.ce((x @ w1 + b1).relu() @ w2 + b2, LABELS),
        None,
    ),
    "fused_dense_layers": (
        [(5, 4), (4, 6), (6,), (6, 3), (3,)],
        lambda lib, x, w1, b1, w2, b2: lib.ce(lib.dense(lib.dense(x, w1, b1).relu(), w2, b2), LABELS),
        None,
    ),
    "broadcasting": (
        [(4, 3), (3,), (4, 1), ()],
        lambda lib, a, b, c, s: ((a * b + c) * s - b / (c * c + 1.0)).sum(),
        None,
    ),
    "reuse_and_diamond": (
        [(3, 2)],
        lambda lib, x: ((x * x + x).exp() * x - (x * x + 2.0).log()).mean(),
        None,
    ),
    "reductions_over_axes": (
        [(2, 3, 4)],
        lambda lib, x: (x.sum(axis=(0, 2)).reshape((1, 3)) * x.mean(axis=-1)).sum() + x.mean(axis=0).relu().sum(),
        None,
    ),
    "reshape_transpose_matmul": (
        [(3, 4), (6, 5)],
        lambda lib, a, b: (-(a.reshape((2, 6)) @ b).T).relu().sum(axis=1),
        (5,),
    ),
    "non_scalar_output": (
        [(4, 3), (3, 2)],
        lambda lib, a, b: (a @ b).exp() / (a.sum(axis=1, keepdims=True) * a.sum(axis=1, keepdims=True) + 1.0),
        (4, 2),
    ),
}


def _evaluate(lib, name, arrays, seed_gradient):
    _, expression, _ = EXPRESSIONS[name]
    leaves = [lib.leaf(a) for a in arrays]
    out = expression(lib, *leaves)
    if seed_gradient is None:
        out.backward()
    else:
        out.backward(seed_gradient if lib is Ours else torch.from_numpy(seed_gradient))
    return lib.value(out), [lib.grad(t) for t in leaves]


def _inputs(name, dtype, rng):
    shapes, _, gradient_shape = EXPRESSIONS[name]
    arrays = [np.asarray(rng.standard_normal(s)).astype(dtype) for s in shapes]
    gradient = None if gradient_shape is None else rng.standard_normal(gradient_shape).astype(dtype)
    return arrays, gradient


# the implementations each expression exercises (for the verification record)
VERIFIED = {
    "two_layer_mlp_loss": ("glossary_dl.autodiff.Tensor", "glossary_dl.autodiff.softmax_cross_entropy"),
    "fused_dense_layers": ("glossary_dl.autodiff.Tensor", "glossary_dl.autodiff.dense", "glossary_dl.autodiff.softmax_cross_entropy"),
    "broadcasting": ("glossary_dl.autodiff.Tensor",),
    "reuse_and_diamond": ("glossary_dl.autodiff.Tensor",),
    "reductions_over_axes": ("glossary_dl.autodiff.Tensor",),
    "reshape_transpose_matmul": ("glossary_dl.autodiff.Tensor",),
    "non_scalar_output": ("glossary_dl.autodiff.Tensor",),
}


# ---------------------------------------------------------------- against torch.autograd
@pytest.mark.oracle
@pytest.mark.verifies(oracle="torch", param="name", names=VERIFIED,
                      rtol={"float64": 1e-12, "float32": 1e-5}, atol={"float64": 1e-12, "float32": 1e-6})
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", EXPRESSIONS)
def test_values_and_gradients_match_torch_autograd(name, seed, dtype):
    arrays, gradient = _inputs(name, dtype, np.random.default_rng(seed))
    value, grads = _evaluate(Ours, name, arrays, gradient)
    expected_value, expected_grads = _evaluate(Torch, name, arrays, gradient)
    assert value.dtype == dtype
    np.testing.assert_allclose(value, expected_value, **TOL[dtype])
    for ours, theirs in zip(grads, expected_grads):
        assert ours.dtype == dtype and ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, **TOL[dtype])


@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.autodiff.Tensor", oracle="torch", dtypes=("float64",), rtol=1e-12, atol=1e-12)
@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(1, 3), min_size=0, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.integers(0, 2),
    st.integers(0, 2**16),
)
def test_broadcast_gradients_are_summed_back_like_torch(out_shape, squeeze, dropped, seed):
    # property over random broadcastable pairs: b has some axes of `out_shape` set to 1 and
    # some leading axes dropped; a has the full shape
    rng = np.random.default_rng(seed)
    b_shape = [1 if s else n for n, s in zip(out_shape, squeeze)][min(dropped, len(out_shape)):]
    a, b = np.asarray(rng.standard_normal(out_shape)), np.asarray(rng.standard_normal(b_shape))
    seed_gradient = np.asarray(rng.standard_normal(out_shape))
    for op in BINARY_OPS.values():
        # b + 3 keeps the divisor of / away from 0
        ours_a, ours_b = Tensor(a, requires_grad=True), Tensor(b + 3.0, requires_grad=True)
        theirs_a, theirs_b = Torch.leaf(a), Torch.leaf(b + 3.0)
        op(ours_a, ours_b).backward(seed_gradient)
        op(theirs_a, theirs_b).backward(torch.from_numpy(seed_gradient))
        # float64, sums of at most 27 terms: rounding only
        np.testing.assert_allclose(ours_a.grad, theirs_a.grad.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours_b.grad, theirs_b.grad.numpy(), rtol=1e-12, atol=1e-12)
        assert ours_b.grad.shape == tuple(b_shape)


@pytest.mark.oracle
@pytest.mark.verifies("glossary_dl.autodiff.Tensor", oracle="torch", dtypes=("float64",), rtol=1e-12, atol=1e-12)
def test_transpose_with_axes_matches_torch_permute(rng):
    x = rng.standard_normal((2, 3, 4))
    weights = rng.standard_normal((4, 2, 3))
    ours = Tensor(x, requires_grad=True)
    (ours.transpose((2, 0, 1)) * weights).sum().backward()
    theirs = Torch.leaf(x)
    (theirs.permute(2, 0, 1) * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- finite differences
@pytest.mark.verifies(oracle="finite differences", param="name", names=VERIFIED, dtypes=("float64",),
                      rtol=1e-6, atol=1e-8)
@pytest.mark.parametrize("name", EXPRESSIONS)
def test_gradients_match_finite_differences(name):
    arrays, gradient = _inputs(name, np.float64, np.random.default_rng(7))
    _, grads = _evaluate(Ours, name, arrays, gradient)
    _, expression, _ = EXPRESSIONS[name]
    for k in range(len(arrays)):
        def scalar(a, k=k):
            value = expression(Ours, *[Tensor(a if j == k else arrays[j]) for j in range(len(arrays))]).value
            # a non-scalar output is contracted with the gradient argument: Σ ȳ ⊙ y
            return value if gradient is None else np.sum(gradient * value)

        # central differences, eps = 1e-6: truncation O(eps²) plus rounding ~1e-10
        np.testing.assert_allclose(grads[k], numerical_gradient(scalar, arrays[k]), rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- the engine's own rules
def test_backward_twice_accumulates_like_torch_with_retained_graph(rng):
    x = rng.standard_normal((3, 2))
    ours = Tensor(x, requires_grad=True)
    loss = (ours * ours).exp().sum()
    loss.backward()
    first = ours.grad.copy()
    loss.backward()  # the graph is kept: allowed, and adds the same gradient again
    theirs = Torch.leaf(x)
    torch_loss = (theirs * theirs).exp().sum()
    torch_loss.backward(retain_graph=True)
    torch_loss.backward()
    np.testing.assert_allclose(first, 2 * x * np.exp(x * x), rtol=1e-12)  # d/dx e^{x²} = 2x·e^{x²}
    np.testing.assert_allclose(ours.grad, 2 * first, rtol=1e-12, atol=0)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
    ours.zero_grad()
    assert ours.grad is None
    loss.backward()
    np.testing.assert_array_equal(ours.grad, first)


def test_torch_frees_its_graph_after_backward_unlike_this_engine(rng):
    # the difference stated on the page: torch refuses a second backward without retain_graph
    theirs = Torch.leaf(rng.standard_normal(3))
    torch_loss = (theirs * theirs).exp().sum()
    torch_loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        torch_loss.backward()


def test_a_node_used_twice_receives_the_sum_of_both_paths():
    a = Tensor(2.0, requires_grad=True)
    b = Tensor(3.0, requires_grad=True)
    (a * b + a).log().backward()
    # L = log(ab + a): ∂L/∂a = (b + 1)/(ab + a), ∂L/∂b = a/(ab + a), exact in binary
    assert a.grad == 0.5 and b.grad == 0.25
    x = Tensor(np.array([1.5, -2.0]), requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, -4.0])  # d(x²)/dx = 2x, exact


def test_a_deep_chain_needs_no_recursion():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x
    for _ in range(3000):  # far deeper than Python's recursion limit
        y = y + x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3001.0, 3001.0])  # y = 3001·x


def test_only_leaves_that_require_grad_keep_a_gradient(rng):
    x = Tensor(rng.standard_normal((4, 3)))  # a constant
    w = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    hidden = x @ w
    loss = hidden.relu().sum()
    assert hidden.requires_grad and not x.requires_grad and not hidden.is_leaf
    loss.backward()
    assert x.grad is None and hidden.grad is None and w.grad.shape == (3, 2)


def test_float32_stays_float32_and_python_numbers_adapt():
    x = Tensor(np.array([[1.0, 2.0]], dtype=np.float32), requires_grad=True)
    y = (2.0 * x + 1).exp().mean() / 3
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_stored_value_is_a_private_read_only_copy():
    source = np.array([1.0, 2.0])
    t = Tensor(source, requires_grad=True)
    source[0] = 100.0
    assert t.value[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        t.value[0] = 5.0


def test_softmax_cross_entropy_of_large_logits_is_finite(rng):
    logits = Tensor(np.array([[1e4, -1e4, 0.0], [0.0, 0.0, 1e4]]), requires_grad=True)
    loss = softmax_cross_entropy(logits, [0, 1])
    loss.backward()
    # row 0 is right with certainty (loss 0), row 1 is wrong by 1e4: L = (0 + 1e4)/2
    assert loss.item() == pytest.approx(5e3, rel=1e-12)
    np.testing.assert_allclose(logits.grad, [[0, 0, 0], [0, -0.5, 0.5]], atol=1e-12)


def test_agrees_with_the_explicit_backward_pass_of_dense_network(rng):
    net = DenseNetwork([6, 5, 4], seed=3, dtype=np.float64)
    x = rng.standard_normal((9, 6))
    labels = rng.integers(0, 4, 9)
    loss, grads = net.loss_and_gradients(x, labels)
    params = [Tensor(p, requires_grad=True) for p in net.parameters()]
    w1, b1, w2, b2 = params
    ours = softmax_cross_entropy((Tensor(x) @ w1 + b1).relu() @ w2 + b2, labels)
    ours.backward()
    assert ours.item() == pytest.approx(float(loss), rel=1e-12)
    for t, expected in zip(params, [g for pair in grads for g in pair]):
        np.testing.assert_allclose(t.grad, expected, rtol=1e-12, atol=1e-12)  # float64 rounding


# ---------------------------------------------------------------- the drawing
def test_to_svg_draws_every_tensor_once_and_every_operation(tmp_path):
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(3.0, name="b<&>")
    loss = (a * b + a).log()
    svg = loss.to_svg()
    root = ET.fromstring(svg)  # well-formed XML, special characters escaped
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in root.iter(ns + "text")]
    assert len(root.findall(ns + "rect")) == 5  # a, b, a·b, a·b + a, L: a drawn once
    assert len(root.findall(ns + "ellipse")) == 3  # ×, +, log
    assert len(root.findall(ns + "path")) == 8  # 2 into ×, 2 into +, 1 into log, 3 results out
    assert "a" in texts and "b<&>" in texts and "×" in texts and "log" in texts
    assert loss.draw(tmp_path / "graph.svg") == svg
    assert (tmp_path / "graph.svg").read_text(encoding="utf-8") == svg


# ---------------------------------------------------------------- bad input
def _leaf(shape=(2, 3), dtype=np.float64):
    return Tensor(np.ones(shape, dtype=dtype), requires_grad=True)


BAD_INPUT = [
    (lambda: Tensor(np.array([1, 2])), TypeError, "value must be a float32 or float64 array"),
    (lambda: Tensor("abc"), TypeError, "value must be a numpy array"),
    (lambda: Tensor(np.array([1.0, np.nan])), ValueError, "value must contain only finite"),
    (lambda: Tensor(np.zeros((0, 2))), ValueError, "value must not be empty"),
    (lambda: Tensor([1.0], requires_grad=1), TypeError, "requires_grad must be True or False"),
    (lambda: Tensor([1.0], name=3), TypeError, "name must be a string or None"),
    (lambda: _leaf() + _leaf(dtype=np.float32), TypeError, "operands of \\+ must have the same dtype"),
    (lambda: _leaf() * "x", TypeError, "the other operand of \\* must be a Tensor"),
    (lambda: _leaf() * True, TypeError, "the other operand of \\* must be a Tensor"),
    (lambda: _leaf() + np.array([1, 2, 3]), TypeError, "the other operand of \\+ must be a float32"),
    (lambda: _leaf() - float("inf"), ValueError, "the other operand of - must contain only finite"),
    (lambda: _leaf((2, 3)) + _leaf((2,)), ValueError, "operands of \\+ cannot be broadcast"),
    (lambda: _leaf((2, 3)) * _leaf((4, 3)), ValueError, "operands of \\* cannot be broadcast"),
    (lambda: _leaf((2, 3)) @ _leaf((2, 3)), ValueError, "operands of @ must be matrices"),
    (lambda: _leaf((3,)) @ _leaf((3, 2)), ValueError, "operands of @ must be matrices"),
    (lambda: _leaf() / Tensor(np.array([1.0, 0.0, 2.0])), ValueError, "divisor of / holds zeros"),
    (lambda: (_leaf() * -1.0).log(), ValueError, "log needs positive values"),
    (lambda: (_leaf() * 1000.0).exp(), ValueError, "exp produced NaN or infinite values"),
    (lambda: (_leaf() * 1e200) * 1e200, ValueError, "\\* produced NaN or infinite values"),
    (lambda: _leaf().sum(axis=2), ValueError, "axis 2 is out of range"),
    (lambda: _leaf().mean(axis=(0, 0)), ValueError, "must not repeat an axis"),
    (lambda: _leaf().sum(axis=1.0), TypeError, "axis must be None, an integer"),
    (lambda: _leaf().sum(keepdims="yes"), TypeError, "keepdims must be True or False"),
    (lambda: _leaf().reshape((4, 2)), ValueError, "cannot reshape"),
    (lambda: _leaf().transpose((0, 0)), ValueError, "axes must be a permutation"),
    (lambda: _leaf().item(), ValueError, "item\\(\\) needs a tensor with one element"),
    (lambda: Tensor([1.0, 2.0]).sum().backward(), ValueError, "backward\\(\\) needs a tensor that requires grad"),
    (lambda: (_leaf() * 2.0).backward(), ValueError, "needs a gradient argument"),
    (lambda: (_leaf() * 2.0).backward(np.ones((3, 2))), ValueError, "gradient must have the tensor's shape"),
    (lambda: (_leaf() * 2.0).backward(np.ones((2, 3), np.float32)), TypeError, "gradient must have the dtype"),
    (lambda: (_leaf() * 2.0).backward(np.full((2, 3), np.nan)), ValueError, "gradient must contain only finite"),
    (lambda: _leaf().draw(3), TypeError, "path must be a string"),
    (lambda: dense(_leaf((2, 3)), _leaf((4, 5)), _leaf((5,))), ValueError, "kernel must have shape"),
    (lambda: dense(_leaf((2, 3)), _leaf((3, 5)), _leaf((5,), np.float32)), TypeError, "bias must have the dtype of x"),
    (lambda: dense("x", _leaf((3, 5)), _leaf((5,))), TypeError, "x must be a Tensor or a float array"),
    (lambda: softmax_cross_entropy(_leaf((2, 3)), [0, 3]), ValueError, "labels must be class indices"),
    (lambda: softmax_cross_entropy(_leaf((2, 3)), [0.5, 1]), ValueError, "whole-number class labels"),
    (lambda: softmax_cross_entropy(_leaf((3,)), [0]), ValueError, "logits must have 2 dimension"),
]


@pytest.mark.parametrize("call, error, message", BAD_INPUT)
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_graph_can_be_walked_from_the_output():
    x = Tensor([1.0, 2.0], name="x")
    w = Tensor([3.0, 4.0], requires_grad=True, name="w")
    y = (x * w).sum()
    assert y.op == "sum" and y.parents[0].op == "*"
    assert y.parents[0].parents == (x, w) and x.op is None and x.parents == ()
