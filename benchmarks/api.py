"""Every public numeric function of glossary_dl against its counterpart, at two sizes.

One `Row` per public function (and its gradient or backward as a row of its own): how to build
its inputs at the reader's size (a 32 × 10 batch: what a call costs beyond its arithmetic) and at a
large size (what the loop itself costs), our call, and the counterpart's best call: PyTorch on the
CPU, scikit-learn for the kernels, NumPy where neither has the function. Both results are checked
equal with ``assert_allclose`` before anything is timed, and the two run interleaved, in one
process, on the same threads.

``ratio`` is always the counterpart's time ÷ ours: above 1 we are faster. The same convention
holds in every table and figure of the Performance page.

`COVERED` and `NOT_TIMED` together must name every public name of the package;
``tests/test_benchmarks.py`` fails when one is missing, so a new public function needs a row here
(or a stated reason why no counterpart exists).
"""

from __future__ import annotations

import contextlib
import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from benchmarks.timing import check_same, threads

#: (rows, columns) of the element-wise and row-wise inputs at the two sizes
READER = (32, 10)
LARGE = (4096, 1024)


@dataclass(frozen=True)
class Row:
    """One public function, its inputs at both sizes, our call and the counterpart's."""

    name: str  # "activations.relu": module.function, or module.Class.method
    counterpart: str  # "torch", "sklearn" or "numpy"
    call: str  # the counterpart's call, as the page shows it
    make: Callable  # make(rng, large: bool) -> dict of inputs (numpy arrays and their torch views)
    ours: Callable  # ours(inputs) -> result
    theirs: Callable  # theirs(inputs) -> result, numpy or torch
    rtol: float = 1e-5
    atol: float = 1e-6
    sizes: tuple[str, str] = ("32 × 10", "4096 × 1024")
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------- inputs
def _t(array):
    import torch

    return torch.from_numpy(array)


def _matrix(shape=None):
    def make(rng, large):
        x = rng.standard_normal(shape or (LARGE if large else READER)).astype(np.float32)
        g = rng.standard_normal(x.shape).astype(np.float32)
        return {"x": x, "g": g, "tx": _t(x), "tg": _t(g)}
    return make


def _logits(n_classes_large=1000):
    def make(rng, large):
        n, c = (4096, n_classes_large) if large else READER
        x = rng.standard_normal((n, c)).astype(np.float32)
        labels = rng.integers(0, c, size=n)
        onehot = np.eye(c, dtype=np.float32)[labels]
        binary = rng.integers(0, 2, size=(n, c)).astype(np.float32)
        probs = (1.0 / (1.0 + np.exp(-x))).astype(np.float32)
        return {"x": x, "labels": labels, "onehot": onehot, "binary": binary, "probs": probs,
                "tx": _t(x), "tlabels": _t(labels), "tonehot": _t(onehot), "tbinary": _t(binary),
                "tprobs": _t(probs)}
    return make


def _numpy(result):
    import torch

    if isinstance(result, torch.Tensor):
        return result.detach().numpy()
    if isinstance(result, (tuple, list)):
        return tuple(_numpy(r) for r in result)
    return np.asarray(result)


def _grad_of(function, *tensors, grad=None):
    """Autograd's gradient of ``function`` at ``tensors`` (forward and backward: torch's training path)."""
    leaves = [t.detach().requires_grad_(True) for t in tensors]
    out = function(*leaves)
    out.backward(grad if grad is not None else None)
    return tuple(leaf.grad for leaf in leaves) if len(leaves) > 1 else leaves[0].grad


# ---------------------------------------------------------------- rows
def _activation_rows():
    import torch
    import torch.nn.functional as F
    from glossary_dl import activations as A

    aten = torch.ops.aten
    return [
        Row("activations.relu", "torch", "torch.relu(x)", _matrix(), lambda d: A.relu(d["x"]),
            lambda d: torch.relu(d["tx"]), rtol=0, atol=0),
        Row("activations.relu_grad", "torch", "aten.threshold_backward(g, x, 0)", _matrix(),
            lambda d: A.relu_grad(d["x"], d["g"]), lambda d: aten.threshold_backward(d["tg"], d["tx"], 0),
            rtol=0, atol=0),
        Row("activations.leaky_relu", "torch", "F.leaky_relu(x, 0.2)", _matrix(),
            lambda d: A.leaky_relu(d["x"]), lambda d: F.leaky_relu(d["tx"], 0.2)),
        Row("activations.leaky_relu_grad", "torch", "aten.leaky_relu_backward(g, x, 0.2, False)", _matrix(),
            lambda d: A.leaky_relu_grad(d["x"], d["g"]),
            lambda d: aten.leaky_relu_backward(d["tg"], d["tx"], 0.2, False)),
        Row("activations.sigmoid", "torch", "torch.sigmoid(x)", _matrix(), lambda d: A.sigmoid(d["x"]),
            lambda d: torch.sigmoid(d["tx"])),
        Row("activations.sigmoid_grad", "torch", "aten.sigmoid_backward(g, torch.sigmoid(x))", _matrix(),
            lambda d: A.sigmoid_grad(d["x"], d["g"]),
            lambda d: aten.sigmoid_backward(d["tg"], torch.sigmoid(d["tx"]))),
        Row("activations.tanh", "torch", "torch.tanh(x)", _matrix(), lambda d: A.tanh(d["x"]),
            lambda d: torch.tanh(d["tx"])),
        Row("activations.tanh_grad", "torch", "aten.tanh_backward(g, torch.tanh(x))", _matrix(),
            lambda d: A.tanh_grad(d["x"], d["g"]), lambda d: aten.tanh_backward(d["tg"], torch.tanh(d["tx"]))),
        Row("activations.gelu", "torch", "F.gelu(x)", _matrix(), lambda d: A.gelu(d["x"]),
            lambda d: F.gelu(d["tx"])),
        Row("activations.gelu_grad", "torch", "aten.gelu_backward(g, x)", _matrix(),
            lambda d: A.gelu_grad(d["x"], d["g"]), lambda d: aten.gelu_backward(d["tg"], d["tx"])),
        Row("activations.softmax", "torch", "torch.softmax(x, -1)", _matrix(), lambda d: A.softmax(d["x"]),
            lambda d: torch.softmax(d["tx"], -1)),
        Row("activations.softmax_grad", "torch", "aten._softmax_backward_data(g, softmax(x), -1, float32)",
            _matrix(), lambda d: A.softmax_grad(d["x"], d["g"]),
            lambda d: aten._softmax_backward_data(d["tg"], torch.softmax(d["tx"], -1), -1, torch.float32)),
    ]


def _tensor_rows():
    import torch
    from glossary_dl import tensors as T

    def pair(shape_reader, shape_large, other):
        def make(rng, large):
            x = rng.standard_normal(shape_large if large else shape_reader).astype(np.float32)
            y = rng.standard_normal(other(x.shape)).astype(np.float32)
            return {"x": x, "y": y, "tx": _t(x), "ty": _t(y)}
        return make

    images = _matrix()

    def nhwc(rng, large):
        x = rng.standard_normal((32, 32, 32, 64) if large else (2, 4, 4, 3)).astype(np.float32)
        return {"x": x, "tx": _t(x)}

    def nchw(rng, large):
        d = nhwc(rng, large)
        x = np.ascontiguousarray(d["x"].transpose(0, 3, 1, 2))
        return {"x": x, "tx": _t(x)}

    return [
        Row("tensors.elementwise_relu", "torch", "torch.relu(x)", images, lambda d: T.elementwise_relu(d["x"]),
            lambda d: torch.relu(d["tx"]), rtol=0, atol=0),
        Row("tensors.elementwise_add", "torch", "x + y", pair(READER, LARGE, lambda s: s),
            lambda d: T.elementwise_add(d["x"], d["y"]), lambda d: d["tx"] + d["ty"], rtol=0, atol=0),
        Row("tensors.broadcast_add", "torch", "x + y, y of shape (n,)", pair(READER, LARGE, lambda s: s[-1:]),
            lambda d: T.broadcast_add(d["x"], d["y"]), lambda d: d["tx"] + d["ty"], rtol=0, atol=0),
        Row("tensors.vector_dot", "torch", "torch.dot(x, y)", pair((320,), (1 << 22,), lambda s: s),
            lambda d: T.vector_dot(d["x"], d["y"]), lambda d: torch.dot(d["tx"], d["ty"]), rtol=1e-4, atol=1e-3,
            sizes=("320", "4,194,304")),
        Row("tensors.matrix_vector_dot", "torch", "torch.mv(A, x)", pair(READER, (4096, 4096), lambda s: s[1:]),
            lambda d: T.matrix_vector_dot(d["x"], d["y"]), lambda d: torch.mv(d["tx"], d["ty"]),
            rtol=1e-4, atol=1e-3, sizes=("32 × 10 · 10", "4096 × 4096 · 4096")),
        Row("tensors.matrix_dot", "torch", "torch.mm(A, B)", pair(READER, (1024, 1024), lambda s: s[::-1]),
            lambda d: T.matrix_dot(d["x"], d["y"]), lambda d: torch.mm(d["tx"], d["ty"]), rtol=1e-4, atol=1e-3,
            sizes=("32 × 10 · 10 × 32", "1024 × 1024 · 1024 × 1024")),
        Row("tensors.reshape", "torch", "x.reshape(-1, 16).clone() (ours returns a new array)", images,
            lambda d: T.reshape(d["x"], (-1, 16)), lambda d: d["tx"].reshape(-1, 16).clone(), rtol=0, atol=0),
        Row("tensors.transpose", "torch", "x.t().contiguous()", images, lambda d: T.transpose(d["x"]),
            lambda d: d["tx"].t().contiguous(), rtol=0, atol=0),
        Row("tensors.iter_batches", "torch", "torch.split(x, 128)", images,
            lambda d: np.concatenate([b.sum(axis=0, keepdims=True) for b in T.iter_batches(d["x"], 8)]),
            lambda d: torch.stack([b.sum(0) for b in torch.split(d["tx"], 8)]), rtol=1e-5, atol=1e-5),
        Row("tensors.channels_last_to_first", "torch", "x.permute(0, 3, 1, 2).contiguous()", nhwc,
            lambda d: T.channels_last_to_first(d["x"]), lambda d: d["tx"].permute(0, 3, 1, 2).contiguous(),
            rtol=0, atol=0, sizes=("2 × 4 × 4 × 3", "32 × 32 × 32 × 64")),
        Row("tensors.channels_first_to_last", "torch", "x.permute(0, 2, 3, 1).contiguous()", nchw,
            lambda d: T.channels_first_to_last(d["x"]), lambda d: d["tx"].permute(0, 2, 3, 1).contiguous(),
            rtol=0, atol=0, sizes=("2 × 3 × 4 × 4", "32 × 64 × 32 × 32")),
    ]


def _loss_rows():
    import torch
    import torch.nn.functional as F
    from glossary_dl import losses as L

    sizes = ("32 × 10", "4096 × 1000")
    logits = _logits()
    rows = [
        Row("losses.mean_squared_error", "torch", "F.mse_loss(p, y)", logits,
            lambda d: L.mean_squared_error(d["binary"], d["probs"]),
            lambda d: F.mse_loss(d["tprobs"], d["tbinary"]), sizes=sizes),
        Row("losses.mean_squared_error_grad", "torch", "autograd of F.mse_loss(p, y)",
            logits, lambda d: L.mean_squared_error_grad(d["binary"], d["probs"]),
            lambda d: _grad_of(lambda p: F.mse_loss(p, d["tbinary"]), d["tprobs"]),
            sizes=sizes),
    ]
    # the three cross-entropies, from logits: the form a network trains with
    ce = [
        ("binary_crossentropy", "binary", "tbinary",
         F.binary_cross_entropy_with_logits, "F.binary_cross_entropy_with_logits(x, y)"),
        ("categorical_crossentropy", "onehot", "tonehot",
         F.cross_entropy, "F.cross_entropy(x, onehot)"),
        ("sparse_categorical_crossentropy", "labels", "tlabels",
         F.cross_entropy, "F.cross_entropy(x, labels)"),
    ]
    for name, y, ty, torch_loss, call in ce:
        loss, grad = getattr(L, name), getattr(L, name + "_grad")
        rows += [
            Row(f"losses.{name}", "torch", call, logits,
                (lambda loss, y: lambda d: loss(d[y], d["x"], from_logits=True))(loss, y),
                (lambda tl, ty: lambda d: tl(d["tx"], d[ty]))(torch_loss, ty), sizes=sizes),
            Row(f"losses.{name}_grad", "torch", f"autograd of {call}", logits,
                (lambda grad, y: lambda d: grad(d[y], d["x"], from_logits=True))(grad, y),
                (lambda tl, ty: lambda d: _grad_of(lambda x: tl(x, d[ty]), d["tx"]))(torch_loss, ty),
                sizes=sizes),
        ]
    return rows


def _conv_rows():
    import torch
    import torch.nn.functional as F
    from glossary_dl import convolutions as C

    def make(rng, large):
        n, h, w, c = (32, 32, 32, 64) if large else (2, 6, 6, 3)
        x = rng.standard_normal((n, h, w, c)).astype(np.float32)
        k = (rng.standard_normal((3, 3, c, c)) / math.sqrt(9 * c)).astype(np.float32)
        dk = (rng.standard_normal((3, 3, c, 1)) / 3).astype(np.float32)
        pk = (rng.standard_normal((1, 1, c, c)) / math.sqrt(c)).astype(np.float32)
        # torch's NCHW views of the same memory (channels_last strides, no copy)
        return {"x": x, "k": k, "dk": dk, "pk": pk, "tx": _t(x).permute(0, 3, 1, 2),
                "tk": _t(k).permute(3, 2, 0, 1).contiguous(), "tdk": _t(dk).permute(2, 3, 0, 1).contiguous(),
                "tpk": _t(pk).permute(3, 2, 0, 1).contiguous(), "c": c}

    nhwc = lambda t: t.permute(0, 2, 3, 1)  # noqa: E731
    sizes = ("2 × 6 × 6 × 3, 3 × 3", "32 × 32 × 32 × 64, 3 × 3")
    return [
        Row("convolutions.conv2d", "torch", "F.conv2d(x, w) on channels_last", make,
            lambda d: C.conv2d(d["x"], d["k"]), lambda d: nhwc(F.conv2d(d["tx"], d["tk"])),
            rtol=1e-4, atol=1e-4, sizes=sizes),
        Row("convolutions.depthwise_conv2d", "torch", "F.conv2d(x, w, groups=C) on channels_last", make,
            lambda d: C.depthwise_conv2d(d["x"], d["dk"]),
            lambda d: nhwc(F.conv2d(d["tx"], d["tdk"], groups=d["c"])), rtol=1e-4, atol=1e-4, sizes=sizes),
        Row("convolutions.separable_conv2d", "torch", "depthwise F.conv2d, then a 1 × 1 F.conv2d", make,
            lambda d: C.separable_conv2d(d["x"], d["dk"], d["pk"]),
            lambda d: nhwc(F.conv2d(F.conv2d(d["tx"], d["tdk"], groups=d["c"]), d["tpk"])),
            rtol=1e-4, atol=1e-4, sizes=sizes),
    ]


def _normalization_rows():
    import torch
    from glossary_dl import normalization as N

    def make(rng, large):
        n, c = (32 * 32 * 32, 64) if large else READER
        x = rng.standard_normal((n, c)).astype(np.float32)
        gamma = rng.uniform(0.5, 1.5, c).astype(np.float32)
        beta = rng.standard_normal(c).astype(np.float32)
        g = rng.standard_normal((n, c)).astype(np.float32)
        return {"x": x, "gamma": gamma, "beta": beta, "g": g, "tx": _t(x), "tgamma": _t(gamma),
                "tbeta": _t(beta), "tg": _t(g)}

    aten = torch.ops.aten

    def torch_backward(d):
        _, mean, invstd = aten.native_batch_norm(d["tx"], d["tgamma"], d["tbeta"], None, None, True, 0.0, 1e-3)
        return aten.native_batch_norm_backward(d["tg"], d["tx"], d["tgamma"], None, None, mean, invstd, True,
                                               1e-3, [True, True, True])

    sizes = ("32 × 10", "32,768 × 64")
    return [
        Row("normalization.batch_norm_forward", "torch", "aten.native_batch_norm(x, γ, β, training=True)", make,
            lambda d: N.batch_norm_forward(d["x"], d["gamma"], d["beta"])[0],
            lambda d: aten.native_batch_norm(d["tx"], d["tgamma"], d["tbeta"], None, None, True, 0.0, 1e-3)[0],
            rtol=1e-4, atol=1e-4, sizes=sizes),
        Row("normalization.batch_norm_backward", "torch",
            "aten.native_batch_norm_backward (after the forward that gives its statistics)", make,
            lambda d: N.batch_norm_backward(d["x"], d["gamma"], d["g"]), torch_backward,
            rtol=1e-3, atol=1e-3, sizes=sizes),
    ]


def _kernel_rows():
    from sklearn.metrics import pairwise
    from glossary_dl import kernels as K

    def make(rng, large):
        x = rng.standard_normal((4000, 128) if large else READER).astype(np.float32)
        return {"x": x}

    sizes = ("X: 32 × 10", "X: 4000 × 128")
    rows = []
    for name in ("linear_kernel", "polynomial_kernel", "rbf_kernel", "sigmoid_kernel"):
        rows.append(Row(f"kernels.{name}", "sklearn", f"sklearn.metrics.pairwise.{name}(X)", make,
                        (lambda f: lambda d: f(d["x"]))(getattr(K, name)),
                        (lambda f: lambda d: f(d["x"]))(getattr(pairwise, name)),
                        rtol=1e-4, atol=1e-4, sizes=sizes))
    return rows


def _backprop_rows():
    import torch
    import torch.nn.functional as F
    from glossary_dl import backprop as B
    from glossary_dl import residual as R

    def dense(rng, large):
        n, i, o = (128, 784, 512) if large else (32, 10, 16)
        x = rng.standard_normal((n, i)).astype(np.float32)
        w = (rng.standard_normal((i, o)) / math.sqrt(i)).astype(np.float32)
        b = rng.standard_normal(o).astype(np.float32)
        g = rng.standard_normal((n, o)).astype(np.float32)
        w2 = (rng.standard_normal((o, i)) / math.sqrt(o)).astype(np.float32)
        b2 = rng.standard_normal(i).astype(np.float32)
        gi = rng.standard_normal((n, i)).astype(np.float32)
        return {"x": x, "w": w, "b": b, "g": g, "w2": w2, "b2": b2, "gi": gi, "tx": _t(x), "tw": _t(w),
                "tb": _t(b), "tg": _t(g), "tw2": _t(w2), "tb2": _t(b2), "tgi": _t(gi)}

    def torch_dense_backward(d):
        # the three products autograd runs for x·W + b
        return d["tg"] @ d["tw"].t(), d["tx"].t() @ d["tg"], d["tg"].sum(0)

    def torch_block(x, w1, b1, w2, b2):
        return F.relu(x + F.relu(x @ w1 + b1) @ w2 + b2)

    def torch_block_backward(d):
        return _grad_of(torch_block, d["tx"], d["tw"], d["tb"], d["tw2"], d["tb2"], grad=d["tgi"])

    sizes = ("32 × 10 · 10 × 16", "128 × 784 · 784 × 512")
    block = ("x: 32 × 10, 10 → 16 → 10", "x: 128 × 784, 784 → 512 → 784")
    return [
        Row("backprop.dense_forward", "torch", "F.linear(x, Wᵀ, b)", dense,
            lambda d: B.dense_forward(d["x"], d["w"], d["b"]), lambda d: torch.addmm(d["tb"], d["tx"], d["tw"]),
            rtol=1e-4, atol=1e-4, sizes=sizes),
        Row("backprop.dense_backward", "torch", "δ·Wᵀ, xᵀ·δ, Σδ (autograd's three products)", dense,
            lambda d: B.dense_backward(d["x"], d["w"], d["g"]), torch_dense_backward,
            rtol=1e-4, atol=1e-3, sizes=sizes),
        Row("backprop.relu_forward", "torch", "torch.relu(x)", _matrix(), lambda d: B.relu_forward(d["x"]),
            lambda d: torch.relu(d["tx"]), rtol=0, atol=0),
        Row("backprop.relu_backward", "torch", "aten.threshold_backward(g, x, 0)", _matrix(),
            lambda d: B.relu_backward(d["x"], d["g"]),
            lambda d: torch.ops.aten.threshold_backward(d["tg"], d["tx"], 0), rtol=0, atol=0),
        Row("backprop.softmax_cross_entropy", "torch", "F.cross_entropy(x, labels), then backward", _logits(),
            lambda d: B.softmax_cross_entropy(d["x"], d["labels"]),
            lambda d: (lambda leaf: (lambda loss: (loss.backward(), (loss, leaf.grad))[1])(
                F.cross_entropy(leaf, d["tlabels"])))(d["tx"].detach().requires_grad_(True)),
            rtol=1e-4, atol=1e-6, sizes=("32 × 10", "4096 × 1000")),
        Row("residual.residual_dense_block_forward", "torch", "relu(x + relu(x·W1 + b1)·W2 + b2)", dense,
            lambda d: R.residual_dense_block_forward(d["x"], d["w"], d["b"], d["w2"], d["b2"]),
            lambda d: torch_block(d["tx"], d["tw"], d["tb"], d["tw2"], d["tb2"]), rtol=1e-4, atol=1e-3, sizes=block),
        Row("residual.residual_dense_block_backward", "torch", "autograd of the block, forward and backward", dense,
            lambda d: R.residual_dense_block_backward(d["x"], d["w"], d["b"], d["w2"], d["b2"], d["gi"]),
            torch_block_backward, rtol=1e-4, atol=1e-3, sizes=block),
    ]


def _model_rows():
    """The estimators, timed as a reader uses them: fit on the training set, then the accuracy on
    held-out samples. Their random numbers differ from scikit-learn's (bootstrap draws, the order
    in which features are tried, which breaks exact ties), so the check is the held-out accuracy,
    within a few points, rather than equal numbers; tests/test_trees.py and tests/test_kernels.py
    compare the fitted models themselves."""
    from sklearn import ensemble, svm
    from sklearn import tree as sktree
    from glossary_dl import kernels as K
    from glossary_dl import trees as Tr

    def classes(n_large, d_large, kind):
        def make(rng, large):
            n, d = (n_large, d_large) if large else READER
            n_all = n + max(32, n // 4)
            if kind == "rings":  # two concentric rings: no straight line separates them
                y = rng.integers(0, 2, size=n_all)
                angle = rng.uniform(0, 2 * np.pi, n_all)
                radius = np.where(y == 1, 1.0, 2.0) + 0.25 * rng.standard_normal(n_all)
                X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
            else:  # two overlapping Gaussian classes, means 0 and 0.5 in every feature
                y = rng.integers(0, 2, size=n_all)
                X = rng.standard_normal((n_all, d)) + 0.5 * y[:, None]
            return {"X": X[:n], "y": y[:n], "X_test": X[n:], "y_test": y[n:]}
        return make

    def fit_score(model):
        return lambda d: model().fit(d["X"], d["y"]).score(d["X_test"], d["y_test"])

    tabular = classes(20000, 20, "gaussians")
    sizes = ("X: 32 × 10", "X: 20000 × 20")
    return [
        Row("trees.DecisionTreeClassifier", "sklearn", "DecisionTreeClassifier(max_depth=8).fit(X, y).score(…)",
            tabular, fit_score(lambda: Tr.DecisionTreeClassifier(max_depth=8, seed=0)),
            fit_score(lambda: sktree.DecisionTreeClassifier(max_depth=8, random_state=0)),
            rtol=0, atol=0.1, sizes=sizes),
        Row("trees.RandomForestClassifier", "sklearn",
            "RandomForestClassifier(30, max_depth=8, n_jobs=2).fit(X, y).score(…)",
            tabular, fit_score(lambda: Tr.RandomForestClassifier(30, max_depth=8, seed=0)),
            fit_score(lambda: ensemble.RandomForestClassifier(30, max_depth=8, n_jobs=2, random_state=0)),
            rtol=0, atol=0.1, sizes=sizes),
        Row("trees.GradientBoostingClassifier", "sklearn", "GradientBoostingClassifier(50).fit(X, y).score(…)",
            classes(5000, 20, "gaussians"), fit_score(lambda: Tr.GradientBoostingClassifier(50, seed=0)),
            fit_score(lambda: ensemble.GradientBoostingClassifier(n_estimators=50, random_state=0)),
            rtol=0, atol=0.1, sizes=("X: 32 × 10", "X: 5000 × 20")),
        Row("kernels.KernelSVC", "sklearn", "SVC().fit(X, y).score(…) (libsvm)",
            classes(4000, 2, "rings"), fit_score(lambda: K.KernelSVC()), fit_score(lambda: svm.SVC()),
            rtol=0, atol=0.1, sizes=("X: 32 × 2", "X: 4000 × 2")),
    ]


def rows() -> list[Row]:
    return [*_activation_rows(), *_tensor_rows(), *_loss_rows(), *_conv_rows(), *_normalization_rows(),
            *_kernel_rows(), *_backprop_rows(), *_model_rows()]


#: Public names timed by another workload of the page (the anchor of its section).
TIMED_ELSEWHERE = {
    "optimizers.SGD": "optimizers", "optimizers.RMSprop": "optimizers", "optimizers.Adagrad": "optimizers",
    "optimizers.Adam": "optimizers", "models.Sequential": "chapter2-mlp", "models.History": "chapter2-mlp",
    "layers.Dense": "chapter2-mlp", "backprop.DenseNetwork": "chapter2-mlp",
}

#: Public names with no row, and why (the page lists them).
NOT_TIMED = {
    "convolutions.conv2d_cost": "arithmetic on shapes (a count of multiply-adds), no array work",
    "convolutions.depthwise_conv2d_cost": "arithmetic on shapes, no array work",
    "convolutions.separable_conv2d_cost": "arithmetic on shapes, no array work",
    "datasets.load_digits": "file reading, not a numeric function",
    "datasets.load_mnist": "file reading, not a numeric function",
    "datasets.load_mnist_sample": "file reading (the shipped MNIST test set), not a numeric function",
    "hardware.cuda_backend": "reports which CUDA runs the kernels; no CPU counterpart",
    "hardware.cuda_elementwise_add": "a CUDA kernel (on the simulator without a GPU): teaching code, "
                                      "timed on a GPU only",
    "hardware.cuda_matmul": "a CUDA kernel, as above",
    "hardware.systolic_matmul": "a cycle-by-cycle model of a systolic array: its output is the schedule",
    "calculus.derivative": "calls the user's Python function 2 times per coordinate: its time is that function's",
    "calculus.gradient": "as derivative, 2n calls of the user's function",
    "training.gradient_descent": "calls the user's gradient function each step: its time is that function's",
    "training.minibatch_sgd": "calls the user's gradient function each batch, as above",
    "training.iterate_minibatches": "yields index arrays (a permutation and slices), no arithmetic",
    "initializers.compute_fans": "arithmetic on a shape",
    "initializers.glorot_normal": "random draws: no counterpart gives the same numbers (NumPy's PCG64 is the "
                                   "generator, the loop only scales)",
    "initializers.glorot_uniform": "random draws, as glorot_normal",
    "initializers.he_normal": "random draws, as glorot_normal",
    "initializers.he_uniform": "random draws, as glorot_normal",
    "initializers.lecun_normal": "random draws, as glorot_normal",
    "initializers.lecun_uniform": "random draws, as glorot_normal",
    "autodiff.Tensor": "a teaching autograd: each operation calls the functions timed above, plus a "
                       "Python graph node",
    "autodiff.dense": "backprop.dense_forward/backward inside an autodiff node",
    "autodiff.softmax_cross_entropy": "backprop.softmax_cross_entropy inside an autodiff node",
    "normalization.BatchNormalization": "the layer around batch_norm_forward/backward (timed above)",
}


def public_names() -> set[str]:
    """Every ``module.name`` in the ``__all__`` of every public module of glossary_dl."""
    import importlib

    import glossary_dl

    names = set()
    for module_name in glossary_dl.__all__:
        module = importlib.import_module(f"glossary_dl.{module_name}")
        names |= {f"{module_name}.{name}" for name in module.__all__}
    return names


# ---------------------------------------------------------------- timing
def _median_per_call(run: Callable, budget_s: float, rounds: int) -> list[float]:
    """Seconds per call: calls are batched so that one sample lasts ~budget_s / rounds."""
    once = float("inf")
    for _ in range(3):  # the fastest of three calls: one slow spell must not shrink the batch
        start = time.perf_counter()
        run()
        once = min(once, time.perf_counter() - start)
    once = max(once, 1e-7)
    inner = max(1, int(budget_s / rounds / once))
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(inner):
            run()
        samples.append((time.perf_counter() - start) / inner)
    return samples


def measure_row(row: Row, large: bool, budget_s: float, rounds: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    inputs = row.make(rng, large)
    ours, theirs = (lambda: row.ours(inputs)), (lambda: row.theirs(inputs))
    check = check_same({"ours": _numpy(ours()), row.counterpart: _numpy(theirs())}, row.counterpart,
                       row.rtol, row.atol, row.name)
    for _ in range(2):  # warm-up: caches, torch's allocator, numba's thread pool
        ours(), theirs()
    # interleave: ours, theirs, ours, … so that a busy spell hits both
    samples = {"ours": [], row.counterpart: []}
    for _ in range(rounds):
        samples["ours"] += _median_per_call(ours, budget_s / 2 / rounds, 1)
        samples[row.counterpart] += _median_per_call(theirs, budget_s / 2 / rounds, 1)
    ours_s, theirs_s = statistics.median(samples["ours"]), statistics.median(samples[row.counterpart])
    return {"ours_s": ours_s, "theirs_s": theirs_s, "ratio": theirs_s / ours_s, "check": check}


def run(budget_s: float = 1.0, rounds: int = 5, only: str | None = None, sizes=("reader", "large"),
        passes: int = 1, say=print) -> dict:
    """Measure every row at the given sizes, ``passes`` times over the whole table; ``only`` keeps
    the rows whose name contains it.

    A row's figures are those of its median pass (by ratio), with every pass's ratio beside them: a
    row near 1.0× moved by up to 0.4 between two runs an hour apart, which one pass cannot show.
    """
    import numba

    selected = [row for row in rows() if not only or only in row.name]
    measured = {row.name: {label: [] for label in sizes} for row in selected}
    for done in range(passes):
        if passes > 1:
            say(f"  pass {done + 1} of {passes}")
        for row in selected:
            for label in sizes:
                # the reader's size on one thread for both: ours runs there on the calling thread
                # (PARALLEL_MIN_WORK), and PyTorch's pool, woken for every call under
                # OMP_WAIT_POLICY=PASSIVE, took 60–110 µs of a tanh, softmax or mm of 320 values
                with threads(1) if label == "reader" else contextlib.nullcontext():
                    measured[row.name][label].append(measure_row(row, label == "large", budget_s, rounds))
            say(f"  {row.name:45s} " + "   ".join(
                f"{label} {m['ours_s'] * 1e6:9.1f} µs vs {m['theirs_s'] * 1e6:9.1f} µs ({m['ratio']:.2f}×)"
                for label, m in ((label, measured[row.name][label][-1]) for label in sizes)))
    table = []
    for row in selected:
        entry = {"name": row.name, "counterpart": row.counterpart, "call": row.call,
                 "sizes": {"reader": row.sizes[0], "large": row.sizes[1]}}
        for label in ("reader", "large"):
            entry[label] = _median_pass(measured[row.name][label]) if label in sizes else None
        table.append(entry)
    large = [e["large"]["ratio"] for e in table if e["large"]]
    reader = [e["reader"]["ratio"] for e in table if e["reader"]]
    return {
        "id": "public-api", "title": "Every public function",
        "threads": numba.get_num_threads(),
        "passes": passes,
        "rows": table,
        "geometric_mean": {"large": _geomean(large), "reader": _geomean(reader)},
        "worst": {size: min((e for e in table if e[size]), key=lambda e: e[size]["ratio"])["name"]
                  if size in sizes and table else None for size in ("reader", "large")},
        "timed_elsewhere": TIMED_ELSEWHERE, "not_timed": NOT_TIMED,
    }


def _median_pass(passes: list[dict]) -> dict:
    """The pass with the median ratio (the lower middle one for an even count), and every ratio."""
    middle = sorted(passes, key=lambda m: m["ratio"])[(len(passes) - 1) // 2]
    return {**middle, "pass_ratios": [m["ratio"] for m in passes]}


def _geomean(values: list[float]) -> float | None:
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None
