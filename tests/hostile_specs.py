"""The table behind ``tests/test_hostile.py``: how to call every public name with valid input.

One ``Spec`` per public function or method. ``build(rng, dtype)`` returns a clean, valid set of
keyword arguments (small random shapes); ``call(**kwargs)`` runs it; ``arrays`` names the float
array arguments that the hostile test corrupts one at a time, ``labels`` the integer label
arrays. ``reference`` is a float64 NumPy re-statement of the math where one is a line or two.
``nonfinite`` states the policy for NaN/inf in the float arrays: ``"refuse"`` (ValueError naming
the argument), ``"propagate"`` (a result, as the frameworks give) or ``None`` (either).
``hyper`` maps each real or integer hyper-parameter to a valid value: the cross-family test
feeds it NaN, inf, a bool and a string. ``seeded`` names a seed argument: two calls with the
same seed must give the same bytes.

A new module adds one ``Spec`` per public name (``test_every_public_name_has_a_spec`` fails
until it does).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from glossary_dl import (
    activations,
    autodiff,
    backprop,
    calculus,
    convolutions,
    datasets,
    hardware,
    initializers,
    kernels,
    layers,
    losses,
    models,
    normalization,
    optimizers,
    residual,
    tensors,
    training,
    trees,
)


@dataclass(frozen=True)
class Spec:
    name: str  # "glossary_dl.<module>.<name>" or "glossary_dl.<module>.<Class>.<method>"
    build: Callable[[np.random.Generator, type], dict]
    call: Callable[..., Any]
    arrays: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    reference: Callable[..., Any] | None = None
    nonfinite: str | None = None
    # argument name -> the names an error message may use for it
    aliases: dict = field(default_factory=dict)
    hyper: dict = field(default_factory=dict)
    seeded: str | None = None
    max_examples: int = 200
    # a NaN in the result is allowed for finite but extreme input (documented overflow)
    extreme_nan_ok: bool = False
    # float32 |x| ~ 1e30: a variance (x²) overflows float32, as in Keras and torch float32
    float32_overflow_ok: bool = False
    # classifiers take any hashable class labels (as scikit-learn does): only NaN is refused
    any_labels: bool = False


def _dims(rng, k=2, low=1, high=4):
    return [int(d) for d in rng.integers(low, high + 1, size=k)]


def _x(rng, dtype, *shape):
    return rng.standard_normal(shape).astype(dtype)


def _prob(rng, dtype, *shape):
    return rng.uniform(0.05, 0.95, size=shape).astype(dtype)


def _onehot(rng, dtype, n, c):
    return np.eye(c, dtype=dtype)[rng.integers(0, c, size=n)]


SPECS: list[Spec] = []


def spec(**kwargs):
    SPECS.append(Spec(**kwargs))


def _ref_softmax(x, axis=-1):
    z = x - x.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


# ------------------------------------------------------------------ activations
_ACT = {
    "relu": (lambda x: np.maximum(x, 0.0), {}),
    "sigmoid": (lambda x: 0.5 * (1.0 + np.tanh(0.5 * x)), {}),
    "tanh": (lambda x: np.tanh(x), {}),
    "gelu": (None, {}),
    "leaky_relu": (lambda x, negative_slope=0.2: np.where(x > 0, x, negative_slope * x), {"negative_slope": 0.2}),
}
for _n, (_ref, _hyper) in _ACT.items():
    _f = getattr(activations, _n)
    _g = getattr(activations, _n + "_grad")
    spec(
        name=f"glossary_dl.activations.{_n}",
        build=lambda rng, dt: {"x": _x(rng, dt, *_dims(rng))},
        call=_f, arrays=("x",), reference=_ref, nonfinite="refuse", hyper=dict(_hyper),
    )
    spec(
        name=f"glossary_dl.activations.{_n}_grad",
        build=lambda rng, dt: (lambda s: {"x": _x(rng, dt, *s), "grad_out": _x(rng, dt, *s)})(_dims(rng)),
        call=_g, arrays=("x", "grad_out"), nonfinite="refuse", hyper=dict(_hyper),
    )
spec(
    name="glossary_dl.activations.softmax",
    build=lambda rng, dt: {"x": _x(rng, dt, *_dims(rng))},
    call=activations.softmax, arrays=("x",), reference=_ref_softmax, nonfinite="refuse",
)
spec(
    name="glossary_dl.activations.softmax_grad",
    build=lambda rng, dt: (lambda s: {"x": _x(rng, dt, *s), "grad_out": _x(rng, dt, *s)})(_dims(rng)),
    call=activations.softmax_grad, arrays=("x", "grad_out"), nonfinite="refuse",
)

# ------------------------------------------------------------------ losses
for _n in ("mean_squared_error", "mean_squared_error_grad"):
    spec(
        name=f"glossary_dl.losses.{_n}",
        build=lambda rng, dt: (lambda s: {"y_true": _x(rng, dt, *s), "y_pred": _x(rng, dt, *s)})(_dims(rng)),
        call=getattr(losses, _n), arrays=("y_true", "y_pred"), nonfinite="refuse",
        reference=(lambda y_true, y_pred: ((y_true - y_pred) ** 2).mean())
        if _n == "mean_squared_error" else
        (lambda y_true, y_pred: 2.0 * (y_pred - y_true) / y_true.shape[-1] / max(1, y_true.size // y_true.shape[-1])),
    )
for _n in ("binary_crossentropy", "binary_crossentropy_grad"):
    for _logits in (False, True):
        spec(
            name=f"glossary_dl.losses.{_n}" + ("[from_logits]" if _logits else ""),
            build=(lambda lg: lambda rng, dt: (lambda s: {
                "y_true": rng.integers(0, 2, size=s).astype(dt),
                "y_pred": _x(rng, dt, *s) if lg else _prob(rng, dt, *s)})(_dims(rng)))(_logits),
            call=(lambda f, lg: lambda y_true, y_pred: f(y_true, y_pred, from_logits=lg))(getattr(losses, _n), _logits),
            arrays=("y_true", "y_pred"), nonfinite="refuse",
        )
for _n in ("categorical_crossentropy", "categorical_crossentropy_grad"):
    for _logits in (False, True):
        spec(
            name=f"glossary_dl.losses.{_n}" + ("[from_logits]" if _logits else ""),
            build=(lambda lg: lambda rng, dt: (lambda n, c: {
                "y_true": _onehot(rng, dt, n, c),
                "y_pred": _x(rng, dt, n, c) if lg else _prob(rng, dt, n, c)})(*_dims(rng, 2, 1, 4)))(_logits),
            call=(lambda f, lg: lambda y_true, y_pred: f(y_true, y_pred, from_logits=lg))(getattr(losses, _n), _logits),
            arrays=("y_true", "y_pred"), nonfinite="refuse",
        )
for _n in ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy_grad"):
    for _logits in (False, True):
        spec(
            name=f"glossary_dl.losses.{_n}" + ("[from_logits]" if _logits else ""),
            build=(lambda lg: lambda rng, dt: (lambda n, c: {
                "y_true": rng.integers(0, c, size=n),
                "y_pred": _x(rng, dt, n, c) if lg else _prob(rng, dt, n, c)})(*_dims(rng, 2, 1, 4)))(_logits),
            call=(lambda f, lg: lambda y_true, y_pred: f(y_true, y_pred, from_logits=lg))(getattr(losses, _n), _logits),
            arrays=("y_pred",), labels=("y_true",), nonfinite="refuse",
        )

# ------------------------------------------------------------------ kernels
def _gamma(X, gamma):
    return 1.0 / X.shape[1] if gamma is None else gamma


_KREF = {
    "linear_kernel": lambda X, Y: X @ Y.T,
    "polynomial_kernel": lambda X, Y: (X @ Y.T / X.shape[1] + 1.0) ** 3,
    "rbf_kernel": lambda X, Y: np.exp(-((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1) / X.shape[1]),
    "sigmoid_kernel": lambda X, Y: np.tanh(X @ Y.T / X.shape[1] + 1.0),
}
_KHYPER = {
    "linear_kernel": {},
    "polynomial_kernel": {"degree": 3, "gamma": 0.5, "coef0": 1.0},
    "rbf_kernel": {"gamma": 0.5},
    "sigmoid_kernel": {"gamma": 0.5, "coef0": 1.0},
}
for _n, _ref in _KREF.items():
    spec(
        name=f"glossary_dl.kernels.{_n}",
        build=lambda rng, dt: (lambda n, m, d: {"X": _x(rng, dt, n, d), "Y": _x(rng, dt, m, d)})(*_dims(rng, 3)),
        call=getattr(kernels, _n), arrays=("X", "Y"), reference=_ref, nonfinite="refuse",
        hyper=_KHYPER[_n], extreme_nan_ok=False,
    )


def _svc_data(rng, dt):
    n = int(rng.integers(4, 9))
    X = _x(rng, dt, n, 2)
    y = np.arange(n) % 2
    return X, y


def _svc_fitted(dt):
    X, y = _svc_data(np.random.default_rng(0), dt)
    return kernels.KernelSVC(C=1.0).fit(X, y)


_svc_cache = functools.lru_cache(maxsize=None)(_svc_fitted)

spec(
    name="glossary_dl.kernels.KernelSVC.fit",
    build=lambda rng, dt: dict(zip(("X", "y"), _svc_data(rng, dt))),
    call=lambda X, y: kernels.KernelSVC().fit(X, y).decision_function(np.zeros((1, 2))),
    arrays=("X",), labels=("y",), nonfinite="refuse", any_labels=True,
    hyper={"C": 1.0, "tol": 1e-3, "coef0": 0.0}, max_examples=200,
)
for _m in ("decision_function", "predict"):
    spec(
        name=f"glossary_dl.kernels.KernelSVC.{_m}",
        build=lambda rng, dt: {"X": _x(rng, dt, int(rng.integers(1, 5)), 2), "dt": dt},
        call=(lambda m: lambda X, dt: getattr(_svc_cache(dt), m)(X))(_m),
        arrays=("X",), nonfinite="refuse",
    )
spec(
    name="glossary_dl.kernels.KernelSVC.score",
    build=lambda rng, dt: (lambda n: {"X": _x(rng, dt, n, 2), "y": np.arange(n) % 2, "dt": dt})(int(rng.integers(1, 5))),
    call=lambda X, y, dt: _svc_cache(dt).score(X, y),
    arrays=("X",), labels=("y",), nonfinite="refuse", any_labels=True,
)

# ------------------------------------------------------------------ backprop
def _dense(rng, dt):
    n, d, k = _dims(rng, 3)
    return {"x": _x(rng, dt, n, d), "kernel": _x(rng, dt, d, k), "bias": _x(rng, dt, k)}


spec(
    name="glossary_dl.backprop.dense_forward", build=_dense, call=backprop.dense_forward,
    arrays=("x", "kernel", "bias"), reference=lambda x, kernel, bias: x @ kernel + bias,
)
spec(
    name="glossary_dl.backprop.dense_backward",
    build=lambda rng, dt: (lambda a: {"x": a["x"], "kernel": a["kernel"],
                                      "grad_out": _x(rng, dt, a["x"].shape[0], a["kernel"].shape[1])})(_dense(rng, dt)),
    call=backprop.dense_backward, arrays=("x", "kernel", "grad_out"),
    reference=lambda x, kernel, grad_out: (grad_out @ kernel.T, x.T @ grad_out, grad_out.sum(0)),
)
spec(
    name="glossary_dl.backprop.relu_forward",
    build=lambda rng, dt: {"x": _x(rng, dt, *_dims(rng))},
    call=backprop.relu_forward, arrays=("x",), reference=lambda x: np.maximum(x, 0.0),
)
spec(
    name="glossary_dl.backprop.relu_backward",
    build=lambda rng, dt: (lambda s: {"x": _x(rng, dt, *s), "grad_out": _x(rng, dt, *s)})(_dims(rng)),
    call=backprop.relu_backward, arrays=("x", "grad_out"),
    reference=lambda x, grad_out: np.where(x > 0, grad_out, 0.0),
)
spec(
    name="glossary_dl.backprop.softmax_cross_entropy",
    build=lambda rng, dt: (lambda n, c: {"logits": _x(rng, dt, n, c), "labels": rng.integers(0, c, size=n)})(
        *_dims(rng, 2, 1, 4)),
    call=backprop.softmax_cross_entropy, arrays=("logits",), labels=("labels",), nonfinite="refuse",
)


def _net(dt):
    return backprop.DenseNetwork([3, 4, 2], seed=0, dtype=dt)


spec(
    name="glossary_dl.backprop.DenseNetwork",
    build=lambda rng, dt: {"seed": int(rng.integers(0, 100)), "dt": dt},
    call=lambda seed, dt: backprop.DenseNetwork([3, 4, 2], seed=seed, dtype=dt).parameters(),
    seeded="seed",
)
for _m in ("forward", "predict"):
    spec(
        name=f"glossary_dl.backprop.DenseNetwork.{_m}",
        build=lambda rng, dt: {"x": _x(rng, dt, int(rng.integers(1, 4)), 3), "dt": dt},
        call=(lambda m: lambda x, dt: getattr(_net(dt), m)(x))(_m), arrays=("x",),
    )
spec(
    name="glossary_dl.backprop.DenseNetwork.loss_and_gradients",
    build=lambda rng, dt: (lambda n: {"x": _x(rng, dt, n, 3), "labels": rng.integers(0, 2, size=n), "dt": dt})(
        int(rng.integers(1, 4))),
    call=lambda x, labels, dt: _net(dt).loss_and_gradients(x, labels), arrays=("x",), labels=("labels",),
)
spec(
    name="glossary_dl.backprop.DenseNetwork.parameters",
    build=lambda rng, dt: {"dt": dt}, call=lambda dt: _net(dt).parameters(),
)

# ------------------------------------------------------------------ calculus
spec(
    name="glossary_dl.calculus.derivative",
    build=lambda rng, dt: {"x": dt(rng.standard_normal())},
    call=lambda x: calculus.derivative(np.sin, x), arrays=(),
    hyper={"h": 1e-5},
)
spec(
    name="glossary_dl.calculus.gradient",
    build=lambda rng, dt: {"x": _x(rng, dt, *_dims(rng))},
    call=lambda x: calculus.gradient(lambda v: float(np.sum(v * v)), x), arrays=("x",),
    aliases={"x": ("f",)},  # a huge x makes f(x) overflow: the error names f
    hyper={"h": 1e-5},  # no reference: a finite difference is an approximation (tests/test_calculus.py)
)

# ------------------------------------------------------------------ convolutions
def _conv(rng, dt, depthwise=False, separable=False):
    n, h, w, c = (int(rng.integers(1, 3)), int(rng.integers(3, 6)), int(rng.integers(3, 6)), int(rng.integers(1, 3)))
    k, o = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    args = {"x": _x(rng, dt, n, h, w, c)}
    if depthwise or separable:
        args["depthwise_kernel"] = _x(rng, dt, k, k, c, o)
    if separable:
        args["pointwise_kernel"] = _x(rng, dt, 1, 1, c * o, 2)
        args["bias"] = _x(rng, dt, 2)
    elif depthwise:
        args["bias"] = _x(rng, dt, c * o)
    else:
        args["kernel"] = _x(rng, dt, k, k, c, o)
        args["bias"] = _x(rng, dt, o)
    return args


spec(
    name="glossary_dl.convolutions.conv2d", build=_conv,
    call=lambda x, kernel, bias: convolutions.conv2d(x, kernel, bias, padding="same"),
    arrays=("x", "kernel", "bias"),
)
spec(
    name="glossary_dl.convolutions.depthwise_conv2d", build=functools.partial(_conv, depthwise=True),
    call=lambda x, depthwise_kernel, bias: convolutions.depthwise_conv2d(x, depthwise_kernel, bias),
    arrays=("x", "depthwise_kernel", "bias"),
)
spec(
    name="glossary_dl.convolutions.separable_conv2d", build=functools.partial(_conv, separable=True),
    call=lambda x, depthwise_kernel, pointwise_kernel, bias: convolutions.separable_conv2d(
        x, depthwise_kernel, pointwise_kernel, bias, strides=2),
    arrays=("x", "depthwise_kernel", "pointwise_kernel", "bias"),
)
spec(
    name="glossary_dl.convolutions.conv2d_cost", build=lambda rng, dt: {},
    call=lambda: convolutions.conv2d_cost((8, 8, 3), 3, 4),
)
spec(
    name="glossary_dl.convolutions.depthwise_conv2d_cost", build=lambda rng, dt: {},
    call=lambda: convolutions.depthwise_conv2d_cost((8, 8, 3), 3),
)
spec(
    name="glossary_dl.convolutions.separable_conv2d_cost", build=lambda rng, dt: {},
    call=lambda: convolutions.separable_conv2d_cost((8, 8, 3), 3, 4),
)

# ------------------------------------------------------------------ hardware
spec(name="glossary_dl.hardware.cuda_backend", build=lambda rng, dt: {}, call=hardware.cuda_backend)
spec(
    name="glossary_dl.hardware.cuda_elementwise_add",
    build=lambda rng, dt: (lambda s: {"x": _x(rng, dt, *s), "y": _x(rng, dt, *s)})(_dims(rng)),
    call=lambda x, y: hardware.cuda_elementwise_add(x, y, threads_per_block=32),
    arrays=("x", "y"), reference=lambda x, y: x + y, max_examples=200,
)
spec(
    name="glossary_dl.hardware.cuda_matmul",
    build=lambda rng, dt: (lambda n, k, m: {"A": _x(rng, dt, n, k), "B": _x(rng, dt, k, m)})(*_dims(rng, 3)),
    call=lambda A, B: hardware.cuda_matmul(A, B, tile=4),
    arrays=("A", "B"), reference=lambda A, B: A @ B, max_examples=200,
)
spec(
    name="glossary_dl.hardware.systolic_matmul",
    build=lambda rng, dt: (lambda n, k, m: {"A": _x(rng, dt, n, k), "B": _x(rng, dt, k, m)})(*_dims(rng, 3)),
    call=hardware.systolic_matmul, arrays=("A", "B"), reference=lambda A, B: A @ B,
)

# ------------------------------------------------------------------ initializers
for _n in ("glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform"):
    spec(
        name=f"glossary_dl.initializers.{_n}",
        build=lambda rng, dt: {"shape": tuple(_dims(rng)), "seed": int(rng.integers(0, 1000)),
                               "dtype": np.dtype(dt).name},
        call=getattr(initializers, _n), seeded="seed",
    )
spec(
    name="glossary_dl.initializers.compute_fans",
    build=lambda rng, dt: {"shape": tuple(_dims(rng, int(rng.integers(1, 5))))},
    call=initializers.compute_fans,
)

# ------------------------------------------------------------------ normalization
def _bn(rng, dt):
    n, c = _dims(rng, 2, 2, 4)
    return {"x": _x(rng, dt, n, c), "gamma": _x(rng, dt, c), "beta": _x(rng, dt, c)}


spec(
    name="glossary_dl.normalization.batch_norm_forward", build=_bn,
    call=normalization.batch_norm_forward, arrays=("x", "gamma", "beta"), nonfinite="refuse",
    float32_overflow_ok=True,
    reference=lambda x, gamma, beta: (lambda ax: (x - x.mean(ax)) / np.sqrt(x.var(ax) + 1e-3) * gamma + beta)(
        tuple(range(x.ndim - 1))),
    hyper={"epsilon": 1e-3},
)
spec(
    name="glossary_dl.normalization.batch_norm_backward",
    build=lambda rng, dt: (lambda a: {"x": a["x"], "gamma": a["gamma"], "grad_out": _x(rng, dt, *a["x"].shape)})(
        _bn(rng, dt)),
    call=normalization.batch_norm_backward, arrays=("x", "gamma", "grad_out"), nonfinite="refuse",
    hyper={"epsilon": 1e-3},
)
spec(
    name="glossary_dl.normalization.BatchNormalization",
    build=lambda rng, dt: {}, call=lambda: repr(normalization.BatchNormalization()),
    hyper={"momentum": 0.99, "epsilon": 1e-3},
)
spec(
    name="glossary_dl.normalization.BatchNormalization.build",
    build=lambda rng, dt: {"n": int(rng.integers(1, 5)), "dt": dt},
    call=lambda n, dt: normalization.BatchNormalization().build(n, dtype=dt),
)
for _training in (True, False):
    spec(
        name="glossary_dl.normalization.BatchNormalization.forward" + ("[training]" if _training else ""),
        build=lambda rng, dt: {"x": _x(rng, dt, int(rng.integers(2, 5)), 3)},
        call=(lambda tr: lambda x: normalization.BatchNormalization().forward(x, training=tr))(_training),
        arrays=("x",), nonfinite="refuse",
    )


def _bn_backward(x, grad_out):
    layer = normalization.BatchNormalization()
    layer.forward(x, training=True)
    return layer.backward(grad_out)


spec(
    name="glossary_dl.normalization.BatchNormalization.backward",
    build=lambda rng, dt: (lambda n: {"x": _x(rng, dt, n, 3), "grad_out": _x(rng, dt, n, 3)})(int(rng.integers(2, 5))),
    call=_bn_backward, arrays=("grad_out",), nonfinite="refuse",
)

# ------------------------------------------------------------------ optimizers
_OPT_HYPER = {
    "SGD": {"learning_rate": 0.01, "momentum": 0.9},
    "RMSprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7},
    "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}
for _n, _h in _OPT_HYPER.items():
    spec(
        name=f"glossary_dl.optimizers.{_n}", build=lambda rng, dt: {},
        call=getattr(optimizers, _n), hyper=_h,
    )

    def _apply(theta, g, _cls=getattr(optimizers, _n)):
        opt = _cls()
        opt.apply([theta], [g])
        opt.apply([theta], [g])
        return theta.copy(), opt.slots(0)

    spec(
        name=f"glossary_dl.optimizers.{_n}.apply",
        build=lambda rng, dt: (lambda s: {"theta": _x(rng, dt, *s), "g": _x(rng, dt, *s)})(_dims(rng)),
        call=_apply, arrays=("theta", "g"), nonfinite="propagate",
        aliases={"theta": ("params[0]", "params"), "g": ("grads[0]", "grads")},
        extreme_nan_ok=True,
    )

# ------------------------------------------------------------------ residual
def _res(rng, dt):
    n, d, h = _dims(rng, 3)
    return {"x": _x(rng, dt, n, d), "kernel1": _x(rng, dt, d, h), "bias1": _x(rng, dt, h),
            "kernel2": _x(rng, dt, h, d), "bias2": _x(rng, dt, d)}


spec(
    name="glossary_dl.residual.residual_dense_block_forward", build=_res,
    call=residual.residual_dense_block_forward, arrays=("x", "kernel1", "bias1", "kernel2", "bias2"),
    reference=lambda x, kernel1, bias1, kernel2, bias2: np.maximum(
        x + np.maximum(x @ kernel1 + bias1, 0) @ kernel2 + bias2, 0),
)
spec(
    name="glossary_dl.residual.residual_dense_block_backward",
    build=lambda rng, dt: (lambda a: {**a, "grad_out": _x(rng, dt, *a["x"].shape)})(_res(rng, dt)),
    call=residual.residual_dense_block_backward,
    arrays=("x", "kernel1", "bias1", "kernel2", "bias2", "grad_out"),
)

# ------------------------------------------------------------------ tensors
_one = lambda rng, dt: {"x": _x(rng, dt, *_dims(rng, int(rng.integers(1, 4))))}  # noqa: E731
_two_same = lambda rng, dt: (lambda s: {"x": _x(rng, dt, *s), "y": _x(rng, dt, *s)})(_dims(rng))  # noqa: E731
spec(name="glossary_dl.tensors.elementwise_relu", build=_one, call=tensors.elementwise_relu, arrays=("x",),
     reference=lambda x: np.maximum(x, 0.0))
spec(name="glossary_dl.tensors.elementwise_add", build=_two_same, call=tensors.elementwise_add, arrays=("x", "y"),
     reference=lambda x, y: x + y)
spec(name="glossary_dl.tensors.broadcast_add",
     build=lambda rng, dt: (lambda n, d: {"x": _x(rng, dt, n, d), "y": _x(rng, dt, d)})(*_dims(rng)),
     call=tensors.broadcast_add, arrays=("x", "y"), reference=lambda x, y: x + y)
spec(name="glossary_dl.tensors.vector_dot",
     build=lambda rng, dt: (lambda d: {"x": _x(rng, dt, d), "y": _x(rng, dt, d)})(int(rng.integers(1, 6))),
     call=tensors.vector_dot, arrays=("x", "y"), reference=lambda x, y: x @ y)
spec(name="glossary_dl.tensors.matrix_vector_dot",
     build=lambda rng, dt: (lambda n, k: {"A": _x(rng, dt, n, k), "x": _x(rng, dt, k)})(*_dims(rng)),
     call=tensors.matrix_vector_dot, arrays=("A", "x"), reference=lambda A, x: A @ x)
spec(name="glossary_dl.tensors.matrix_dot",
     build=lambda rng, dt: (lambda n, k, m: {"A": _x(rng, dt, n, k), "B": _x(rng, dt, k, m)})(*_dims(rng, 3)),
     call=tensors.matrix_dot, arrays=("A", "B"), reference=lambda A, B: A @ B)
spec(name="glossary_dl.tensors.reshape", build=_one, call=lambda x: tensors.reshape(x, (-1,)), arrays=("x",),
     reference=lambda x: x.reshape(-1))
spec(name="glossary_dl.tensors.transpose", build=_one, call=tensors.transpose, arrays=("x",),
     reference=lambda x: x.T)
spec(name="glossary_dl.tensors.iter_batches", build=_one,
     call=lambda x: list(tensors.iter_batches(x, 2)), arrays=("x",))
spec(name="glossary_dl.tensors.channels_last_to_first",
     build=lambda rng, dt: {"images": _x(rng, dt, *_dims(rng, 4))},
     call=tensors.channels_last_to_first, arrays=("images",),
     reference=lambda images: np.moveaxis(images, -1, images.ndim - 3))
spec(name="glossary_dl.tensors.channels_first_to_last",
     build=lambda rng, dt: {"images": _x(rng, dt, *_dims(rng, 4))},
     call=tensors.channels_first_to_last, arrays=("images",),
     reference=lambda images: np.moveaxis(images, images.ndim - 3, -1))

# ------------------------------------------------------------------ training
spec(
    name="glossary_dl.training.gradient_descent",
    build=lambda rng, dt: {"x0": _x(rng, dt, *_dims(rng))},
    call=lambda x0: training.gradient_descent(lambda v: 2.0 * v, x0, 0.1, 3), arrays=("x0",),
    hyper={"learning_rate": 0.1, "steps": 3},
)
spec(
    name="glossary_dl.training.iterate_minibatches",
    build=lambda rng, dt: {"n_samples": int(rng.integers(1, 20)), "seed": int(rng.integers(0, 100))},
    call=lambda n_samples, seed: list(training.iterate_minibatches(n_samples, 3, seed=seed)),
    seeded="seed", hyper={"n_samples": 10, "batch_size": 3},
)


def _minibatch(x, labels, seed):
    net = backprop.DenseNetwork([3, 4, 2], seed=0, dtype=x.dtype if isinstance(x, np.ndarray) and x.dtype.kind == "f"
                                else np.float64)
    out = training.minibatch_sgd(net, x, labels, batch_size=2, epochs=1, seed=seed)
    return out, net.parameters()


spec(
    name="glossary_dl.training.minibatch_sgd",
    build=lambda rng, dt: (lambda n: {"x": _x(rng, dt, n, 3), "labels": rng.integers(0, 2, size=n),
                                      "seed": int(rng.integers(0, 100))})(int(rng.integers(2, 6))),
    call=_minibatch, arrays=("x",), labels=("labels",), seeded="seed",
    extreme_nan_ok=True,  # inputs of 1e300 overflow the logits: the loss is NaN, as in the frameworks
    hyper={"batch_size": 2, "epochs": 1},
)

# ------------------------------------------------------------------ trees
_TREES = {
    "DecisionTreeClassifier": dict(max_depth=3),
    "RandomForestClassifier": dict(n_estimators=3, max_depth=3),
    "GradientBoostingClassifier": dict(n_estimators=3, max_depth=2),
}
_TREE_HYPER = {
    "DecisionTreeClassifier": {"max_depth": 3, "min_samples_split": 2},
    "RandomForestClassifier": {"n_estimators": 3, "max_depth": 3},
    "GradientBoostingClassifier": {"n_estimators": 3, "learning_rate": 0.1, "max_depth": 2},
}


def _tree_data(rng, dt):
    n = int(rng.integers(4, 10))
    return {"X": _x(rng, dt, n, 2), "y": np.arange(n) % 2}


@functools.lru_cache(maxsize=None)
def _tree_fitted(cls_name, dt):
    d = _tree_data(np.random.default_rng(0), dt)
    return getattr(trees, cls_name)(seed=0, **_TREES[cls_name]).fit(d["X"], d["y"])


for _n, _kw in _TREES.items():
    _cls = getattr(trees, _n)
    spec(
        name=f"glossary_dl.trees.{_n}.fit", build=_tree_data,
        call=(lambda c, kw: lambda X, y: c(seed=0, **kw).fit(X, y).predict_proba(np.zeros((1, 2))))(_cls, _kw),
        arrays=("X",), labels=("y",), nonfinite="refuse", any_labels=True, hyper=_TREE_HYPER[_n],
    )
    spec(
        name=f"glossary_dl.trees.{_n}",
        build=lambda rng, dt: {**_tree_data(rng, dt), "seed": int(rng.integers(0, 100))},
        call=(lambda c, kw: lambda X, y, seed: c(seed=seed, **kw).fit(X, y).predict_proba(X))(_cls, _kw),
        seeded="seed",
    )
    _methods = [m for m in ("predict_proba", "apply", "decision_function") if hasattr(_cls, m)]
    for _m in _methods:
        spec(
            name=f"glossary_dl.trees.{_n}.{_m}",
            build=lambda rng, dt: {"X": _x(rng, dt, int(rng.integers(1, 5)), 2), "dt": dt},
            call=(lambda c, m: lambda X, dt: getattr(_tree_fitted(c, dt), m)(X))(_n, _m),
            arrays=("X",), nonfinite="refuse",
        )
spec(
    name="glossary_dl.trees.GradientBoostingClassifier.staged_loss",
    build=lambda rng, dt: {**_tree_data(rng, dt), "dt": dt},
    call=lambda X, y, dt: _tree_fitted("GradientBoostingClassifier", dt).staged_loss(X, y),
    arrays=("X",), labels=("y",), nonfinite="refuse", any_labels=True,
)


def public_callables():
    """Every public function, class and public method of every module in glossary_dl.__all__."""
    import importlib
    import inspect

    import glossary_dl

    names = []
    for module_name in glossary_dl.__all__:
        module = importlib.import_module(f"glossary_dl.{module_name}")
        for name in module.__all__:
            obj = getattr(module, name)
            dotted = f"glossary_dl.{module_name}.{name}"
            names.append(dotted)
            if inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(value):
                        names.append(f"{dotted}.{attr}")
                for base in obj.__mro__[1:]:
                    if base.__module__ == module.__name__:
                        for attr, value in vars(base).items():
                            if not attr.startswith("_") and inspect.isfunction(value) and attr not in vars(obj):
                                names.append(f"{dotted}.{attr}")
    return sorted(set(names))


def spec_base(name: str) -> str:
    return name.split("[")[0]


# ------------------------------------------------------------------ names added after the first table
spec(
    name="glossary_dl.kernels.KernelSVC", build=lambda rng, dt: {},
    call=lambda: kernels.KernelSVC(C=0.5).get_params() if hasattr(kernels.KernelSVC, "get_params") else 0.0,
    # scikit-learn style: the constructor stores, fit() validates (the .fit spec checks them)
)
for _n in _OPT_HYPER:
    spec(
        name=f"glossary_dl.optimizers.{_n}.slots", build=lambda rng, dt: {"theta": _x(rng, dt, 3)},
        call=(lambda c: lambda theta: (lambda o: (o.apply([theta], [theta.copy()]), o.slots(0))[1])(c()))(
            getattr(optimizers, _n)),
        arrays=("theta",), nonfinite="propagate", extreme_nan_ok=True,
        aliases={"theta": ("params[0]", "grads[0]", "params", "grads")},
    )
for _n in _TREES:
    for _m in ("predict", "score"):
        if not hasattr(getattr(trees, _n), _m):
            continue
        spec(
            name=f"glossary_dl.trees.{_n}.{_m}",
            build=lambda rng, dt: {**_tree_data(rng, dt), "dt": dt},
            call=(lambda c, m: lambda X, y, dt: getattr(_tree_fitted(c, dt), m)(X) if m == "predict"
                  else getattr(_tree_fitted(c, dt), m)(X, y))(_n, _m),
            arrays=("X",), labels=("y",) if _m == "score" else (), nonfinite="refuse", any_labels=True,
        )


# ------------------------------------------------------------------ autodiff
def _grad_of(op):
    """(value of op(t), dL/dt with L = sum of op(t)) for a leaf t made from x."""

    def call(x):
        t = autodiff.Tensor(x, requires_grad=True)
        out = op(t)
        (out.sum() if out.ndim else out).backward()
        return out.value, t.grad

    return call


_TENSOR_OPS = {
    "exp": (lambda t: t.exp(), lambda x: (np.exp(x), np.exp(x))),
    "log": (lambda t: t.log(), lambda x: (np.log(x), 1.0 / x)),
    "relu": (lambda t: t.relu(), lambda x: (np.maximum(x, 0.0), (x > 0).astype(x.dtype))),
    "sum": (lambda t: t.sum(axis=0), lambda x: (x.sum(0), np.ones_like(x))),
    "mean": (lambda t: t.mean(), lambda x: (x.mean(), np.full_like(x, 1.0 / x.size))),
    "reshape": (lambda t: t.reshape(-1), lambda x: (x.reshape(-1), np.ones_like(x))),
    "transpose": (lambda t: t.transpose(), lambda x: (x.T, np.ones_like(x))),
}
for _n, (_op, _ref) in _TENSOR_OPS.items():
    spec(
        name=f"glossary_dl.autodiff.Tensor.{_n}",
        build=(lambda n: lambda rng, dt: {"x": (_prob if n == "log" else _x)(rng, dt, *_dims(rng))})(_n),
        call=_grad_of(_op), arrays=("x",), reference=_ref,
        # Tensor(value) names its argument "value"; a graph op that overflows names itself
        aliases={"x": ("value", _n)},
    )
spec(
    name="glossary_dl.autodiff.Tensor",
    build=lambda rng, dt: {"x": _x(rng, dt, *_dims(rng))},
    call=lambda x: autodiff.Tensor(x, requires_grad=True, name="t").value,
    arrays=("x",), reference=lambda x: x, aliases={"x": ("value",)},
)


def _tensor_backward(x, gradient):
    t = autodiff.Tensor(x, requires_grad=True)
    y = t * t
    y.backward(gradient)
    return t.grad


spec(
    name="glossary_dl.autodiff.Tensor.backward",
    build=lambda rng, dt: (lambda s: {"x": _x(rng, dt, *s), "gradient": _x(rng, dt, *s)})(_dims(rng)),
    call=_tensor_backward, arrays=("x", "gradient"),
    reference=lambda x, gradient: 2.0 * x * gradient,
    aliases={"x": ("value", "*", "tensor"), "gradient": ("gradient",)},
)
spec(
    name="glossary_dl.autodiff.Tensor.item",
    build=lambda rng, dt: {"x": _x(rng, dt, 1, 1)},
    call=lambda x: autodiff.Tensor(x).item(), arrays=("x",), reference=lambda x: float(x.reshape(-1)[0]),
    aliases={"x": ("value", "item")},
)


def _tensor_zero_grad(x):
    t = autodiff.Tensor(x, requires_grad=True)
    t.sum().backward()
    t.zero_grad()
    return t.value, t.grad is None


spec(
    name="glossary_dl.autodiff.Tensor.zero_grad",
    build=lambda rng, dt: {"x": _x(rng, dt, *_dims(rng))},
    call=_tensor_zero_grad, arrays=("x",), aliases={"x": ("value",)},
)


def _tensor_svg(dt):
    t = autodiff.Tensor(np.ones((2, 2), dtype=dt), requires_grad=True, name="w")
    return (t @ t).sum().to_svg().startswith("<svg")


def _tensor_draw(dt):
    import os
    import tempfile

    t = autodiff.Tensor(np.ones((2, 2), dtype=dt), requires_grad=True, name="w")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "graph.svg")
        t.relu().sum().draw(path)
        return os.path.getsize(path) > 0


spec(name="glossary_dl.autodiff.Tensor.to_svg", build=lambda rng, dt: {"dt": dt}, call=_tensor_svg)
spec(name="glossary_dl.autodiff.Tensor.draw", build=lambda rng, dt: {"dt": dt}, call=_tensor_draw)
spec(
    name="glossary_dl.autodiff.dense", build=_dense,
    call=lambda x, kernel, bias: autodiff.dense(x, kernel, bias).value,
    arrays=("x", "kernel", "bias"), reference=lambda x, kernel, bias: x @ kernel + bias,
    aliases={"x": ("value",), "kernel": ("value",), "bias": ("value",)},
)
spec(
    name="glossary_dl.autodiff.softmax_cross_entropy",
    build=lambda rng, dt: (lambda n, c: {"logits": _x(rng, dt, n, c), "labels": rng.integers(0, c, size=n)})(
        *_dims(rng, 2, 1, 4)),
    call=lambda logits, labels: autodiff.softmax_cross_entropy(logits, labels).value,
    arrays=("logits",), labels=("labels",), nonfinite="refuse", aliases={"logits": ("value",)},
)

# ------------------------------------------------------------------ datasets
spec(name="glossary_dl.datasets.load_digits", build=lambda rng, dt: {}, call=datasets.load_digits)


def _mnist_npz(n_train, n_test, seed):
    """A tiny valid mnist.npz in a temporary folder (nothing is downloaded)."""
    import os
    import tempfile

    rng = np.random.default_rng(seed)
    folder = tempfile.mkdtemp(prefix="hostile-mnist-")
    path = os.path.join(folder, "mnist.npz")
    np.savez(path, **{f"x_{p}": rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
                      for p, n in (("train", n_train), ("test", n_test))},
             **{f"y_{p}": rng.integers(0, 10, size=n, dtype=np.uint8) for p, n in (("train", n_train), ("test", n_test))})
    return path


def _load_mnist(path):
    import shutil
    from pathlib import Path

    try:
        return datasets.load_mnist(Path(path))
    finally:
        shutil.rmtree(Path(path).parent, ignore_errors=True)


spec(
    name="glossary_dl.datasets.load_mnist",
    build=lambda rng, dt: {"path": _mnist_npz(int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(0, 99)))},
    call=_load_mnist,  # the path argument's types and values: tests/test_datasets.py
)
spec(
    name="glossary_dl.datasets.load_mnist_sample",
    build=lambda rng, dt: {"train_size": int(rng.integers(1, 10_000))},
    call=datasets.load_mnist_sample,  # train_size's types and values: tests/test_datasets.py
    max_examples=5,  # each call reads the shipped 1.6 MB files
)

# ------------------------------------------------------------------ layers
_DT_NAME = {np.float64: "float64", np.float32: "float32"}


def _layer(dt, units=3, seed=0, activation="relu"):
    return layers.Dense(units, activation=activation, seed=seed, dtype=_DT_NAME[dt])


spec(
    name="glossary_dl.layers.Dense",
    build=lambda rng, dt: {"x": _x(rng, dt, int(rng.integers(1, 4)), 2), "seed": int(rng.integers(0, 100)), "dt": dt},
    call=lambda x, seed, dt: (lambda layer: (layer(x), layer.get_weights()))(_layer(dt, seed=seed)),
    arrays=("x",), nonfinite="refuse", seeded="seed", hyper={"units": 3},
)
spec(
    name="glossary_dl.layers.Dense.build",
    build=lambda rng, dt: {"n": int(rng.integers(1, 5)), "dt": dt},
    call=lambda n, dt: (lambda layer: (layer.build(n), layer.get_weights())[1])(_layer(dt)),
)
spec(
    name="glossary_dl.layers.Dense.get_weights",
    build=lambda rng, dt: {"dt": dt},
    call=lambda dt: (lambda layer: (layer.get_weights(), layer.build(2), layer.get_weights()))(_layer(dt)),
)


def _set_weights(kernel, bias, dt):
    layer = _layer(dt, units=3)
    layer.build(2)
    layer.set_weights([kernel, bias])
    return layer.get_weights()


spec(
    name="glossary_dl.layers.Dense.set_weights",
    build=lambda rng, dt: {"kernel": _x(rng, dt, 2, 3), "bias": _x(rng, dt, 3), "dt": dt},
    call=_set_weights, arrays=("kernel", "bias"), reference=lambda kernel, bias, dt: [kernel, bias],
    aliases={"kernel": ("weights[0]", "weights"), "bias": ("weights[1]", "weights")},
)

# ------------------------------------------------------------------ models
spec(name="glossary_dl.models.History", build=lambda rng, dt: {}, call=lambda: repr(models.History()))


def _model(dt, seed=0, compiled=True):
    model = models.Sequential([layers.Dense(4, activation="relu", dtype=_DT_NAME[dt]),
                               layers.Dense(2, activation="softmax", dtype=_DT_NAME[dt])], seed=seed)
    if compiled:
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _xy(rng, dt):
    n = int(rng.integers(2, 6))
    return {"x": _x(rng, dt, n, 3), "y": rng.integers(0, 2, size=n), "dt": dt}


def _fit(x, y, dt, seed=0):
    model = _model(dt, seed=seed)
    # one SGD step over the whole batch: with x ~ 1e300 a second step would meet weights grown to
    # ~1e298 and fit() stops with its documented FloatingPointError ("training has diverged"),
    # which is about training stability, not input validation (see the report of this table)
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return history.history, model.get_weights()


spec(
    name="glossary_dl.models.Sequential",
    build=lambda rng, dt: {**_xy(rng, dt), "seed": int(rng.integers(0, 100))},
    call=_fit, arrays=("x",), labels=("y",), nonfinite="refuse", seeded="seed",
)
spec(
    name="glossary_dl.models.Sequential.fit", build=_xy, call=_fit,
    arrays=("x",), labels=("y",), nonfinite="refuse",
)
for _m in ("evaluate", "train_on_batch"):
    spec(
        name=f"glossary_dl.models.Sequential.{_m}", build=_xy,
        call=(lambda m: lambda x, y, dt: getattr(_model(dt), m)(x, y, **({"verbose": 0} if m == "evaluate" else {})))(_m),
        arrays=("x",), labels=("y",), nonfinite="refuse",
    )
spec(
    name="glossary_dl.models.Sequential.predict",
    build=lambda rng, dt: {"x": _x(rng, dt, int(rng.integers(1, 5)), 3), "dt": dt},
    call=lambda x, dt: _model(dt).predict(x), arrays=("x",), nonfinite="refuse",
)
spec(
    name="glossary_dl.models.Sequential.add",
    build=lambda rng, dt: {"dt": dt},
    call=lambda dt: (lambda m: (m.add(layers.Dense(2, dtype=_DT_NAME[dt])), m.build(3), m.get_weights())[2])(
        models.Sequential(seed=0)),
)
spec(
    name="glossary_dl.models.Sequential.compile",
    build=lambda rng, dt: {"dt": dt}, call=lambda dt: repr(_model(dt)),
)
spec(
    name="glossary_dl.models.Sequential.build",
    build=lambda rng, dt: {"n": int(rng.integers(1, 5)), "dt": dt},
    call=lambda n, dt: (lambda m: (m.build(n), m.get_weights())[1])(_model(dt, compiled=False)),
)
spec(
    name="glossary_dl.models.Sequential.get_weights",
    build=lambda rng, dt: {"dt": dt},
    call=lambda dt: (lambda m: (m.build(3), m.get_weights())[1])(_model(dt, compiled=False)),
)


def _model_set_weights(kernel, bias, dt):
    model = _model(dt, compiled=False)
    model.build(3)
    weights = model.get_weights()
    model.set_weights([kernel, bias, *weights[2:]])
    return model.get_weights()[:2]


spec(
    name="glossary_dl.models.Sequential.set_weights",
    build=lambda rng, dt: {"kernel": _x(rng, dt, 3, 4), "bias": _x(rng, dt, 4), "dt": dt},
    call=_model_set_weights, arrays=("kernel", "bias"), reference=lambda kernel, bias, dt: [kernel, bias],
    aliases={"kernel": ("weights[0]", "weights"), "bias": ("weights[1]", "weights")},
)
