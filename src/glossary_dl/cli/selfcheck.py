"""A self-test that runs from the installed package: finite differences and, when present, oracles.

The test suite (not shipped) checks every gradient by central differences and compares with
PyTorch, Keras and scikit-learn over many shapes and dtypes. This module keeps a compact set of
the same checks that a reader can run on their own machine (``glossary-dl verify``): one case per
gradient, in float64, with the suite's tolerances, and the oracle comparisons where those
libraries are importable.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Callable

import numpy as np

# central differences: error O(eps²) plus rounding |f|·1e-16/eps; the suite's tolerances
EPS, RTOL, ATOL = 1e-6, 1e-6, 1e-8


def numerical_gradient(f, x: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Central differences of the scalar function ``f`` at ``x``.

    ``(f(x + eps·e_i) − f(x − eps·e_i)) / (2·eps)`` for every element i; the error is O(eps²)
    plus rounding of order ``|f|·1e-16/eps``.
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


@dataclass(frozen=True)
class Check:
    """One comparison: ``run(rng)`` returns (ours, reference, rtol, atol)."""

    name: str
    covers: tuple[str, ...]  # the implementations (dotted names) it checks
    run: Callable
    needs: str = ""  # the module it needs beyond numpy ("" for the finite-difference checks)

    def applies_to(self, implementations: tuple[str, ...] | None) -> bool:
        return implementations is None or bool(set(self.covers) & set(implementations))

    def skip_reason(self) -> str:
        if self.needs and importlib.util.find_spec(self.needs) is None:
            return f"{self.needs} is not installed (pip install \"glossary-dl[oracles]\")"
        return ""

    def error(self, seed: int = 0) -> tuple[bool, float, float]:
        """Whether ours matches the reference, the worst relative gap, and the tolerance (rtol)."""
        ours, reference, rtol, atol = self.run(np.random.default_rng(seed))
        ours, reference = np.asarray(ours, np.float64), np.asarray(reference, np.float64)
        gap = np.abs(ours - reference)
        ok = ours.shape == reference.shape and bool(np.all(gap <= atol + rtol * np.abs(reference)))
        return ok, float(np.max(gap / np.maximum(np.abs(reference), atol / rtol), initial=0.0)), rtol


def _fd(f, grad, x):
    return grad(x), numerical_gradient(f, x), RTOL, ATOL


# ---------------------------------------------------------------- finite differences
def _loss_case(name: str, from_logits: bool) -> Callable:
    def run(rng):
        from glossary_dl import losses

        loss = getattr(losses, name)
        grad = getattr(losses, name + "_grad")
        shape = (4, 3)
        if name == "sparse_categorical_crossentropy":
            y_true = rng.integers(0, 3, size=4)
        elif name == "binary_crossentropy":
            y_true = rng.uniform(0.0, 1.0, size=shape)
        else:
            y_true = rng.dirichlet(np.ones(3), size=4)
        # probabilities kept ≥ 0.02 inside the clip, so no difference step crosses it
        y_pred = (3.0 * rng.normal(size=shape) if from_logits or name == "mean_squared_error"
                  else rng.uniform(0.02, 0.98, size=shape))
        kwargs = {} if name == "mean_squared_error" else {"from_logits": from_logits}
        return _fd(lambda p: loss(y_true, p, **kwargs), lambda p: grad(y_true, p, **kwargs), y_pred)
    return run


def _activation_case(name: str) -> Callable:
    def run(rng):
        from glossary_dl import activations

        f, vjp = getattr(activations, name), getattr(activations, name + "_grad")
        # |x| ≥ 0.05 keeps the ReLU kinks far from every difference step
        x = rng.choice([-1.0, 1.0], size=(3, 4)) * rng.uniform(0.05, 4.0, size=(3, 4))
        delta = rng.normal(size=(3, 4))  # the vjp with δ is the gradient of Σ δ ⊙ f(x)
        return _fd(lambda v: np.sum(delta * f(v)), lambda v: vjp(v, delta), x)
    return run


def _dense_backward(rng):
    from glossary_dl import backprop

    x, kernel, delta = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    bias = np.zeros(2)
    _, grad_kernel, _ = backprop.dense_backward(x, kernel, delta)
    return _fd(lambda w: np.sum(delta * backprop.dense_forward(x, w, bias)), lambda w: grad_kernel, kernel)


def _relu_backward(rng):
    from glossary_dl import backprop

    x = rng.choice([-1.0, 1.0], size=(3, 4)) * rng.uniform(0.05, 4.0, size=(3, 4))
    delta = rng.normal(size=(3, 4))
    return _fd(lambda v: np.sum(delta * backprop.relu_forward(v)), lambda v: backprop.relu_backward(v, delta), x)


def _softmax_cross_entropy(rng):
    from glossary_dl import backprop

    logits, labels = rng.normal(size=(4, 3)), rng.integers(0, 3, size=4)
    return _fd(lambda z: backprop.softmax_cross_entropy(z, labels)[0],
               lambda z: backprop.softmax_cross_entropy(z, labels)[1], logits)


def _batch_norm_backward(rng):
    from glossary_dl import normalization

    x, gamma, beta, delta = (rng.normal(size=(5, 3)), rng.uniform(0.5, 2.0, size=3),
                             rng.normal(size=3), rng.normal(size=(5, 3)))
    # batch statistics from v itself, so the difference quotient sees them move too
    return _fd(lambda v: np.sum(delta * _first(normalization.batch_norm_forward(v, gamma, beta))),
               lambda v: normalization.batch_norm_backward(v, gamma, delta)[0], x)


def _first(value):
    return value[0] if isinstance(value, tuple) else value


def _residual_backward(rng):
    from glossary_dl import residual

    x, delta = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    k1, b1, k2, b2 = rng.normal(size=(4, 4)), rng.normal(size=4), rng.normal(size=(4, 4)), rng.normal(size=4)
    return _fd(lambda v: np.sum(delta * _first(residual.residual_dense_block_forward(v, k1, b1, k2, b2))),
               lambda v: residual.residual_dense_block_backward(v, k1, b1, k2, b2, delta)[0], x)


LOSSES = ("mean_squared_error", "binary_crossentropy", "categorical_crossentropy",
          "sparse_categorical_crossentropy")
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "softmax", "gelu")

GRADIENT_CHECKS = [
    *(Check(f"{name} gradient{' (logits)' if logits else ''}",
            (f"glossary_dl.losses.{name}", f"glossary_dl.losses.{name}_grad"), _loss_case(name, logits))
      for name in LOSSES for logits in ((False,) if name == "mean_squared_error" else (False, True))),
    *(Check(f"{name} vector-Jacobian product",
            (f"glossary_dl.activations.{name}", f"glossary_dl.activations.{name}_grad"), _activation_case(name))
      for name in ACTIVATIONS),
    Check("dense layer backward (kernel)", ("glossary_dl.backprop.dense_backward", "glossary_dl.backprop.DenseNetwork"),
          _dense_backward),
    Check("ReLU backward", ("glossary_dl.backprop.relu_backward",), _relu_backward),
    Check("softmax cross-entropy gradient", ("glossary_dl.backprop.softmax_cross_entropy",), _softmax_cross_entropy),
    Check("batch normalization backward", ("glossary_dl.normalization.batch_norm_backward",
                                           "glossary_dl.normalization.BatchNormalization"), _batch_norm_backward),
    Check("residual block backward", ("glossary_dl.residual.residual_dense_block_backward",), _residual_backward),
]


# ---------------------------------------------------------------- oracles
def _torch_activation(name: str) -> Callable:
    def run(rng):
        import torch

        from glossary_dl import activations

        x = rng.normal(size=(4, 5)) * 3.0
        theirs = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                  "softmax": lambda t: torch.softmax(t, dim=-1), "gelu": torch.nn.functional.gelu,
                  "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, 0.2)}[name]
        return getattr(activations, name)(x), theirs(torch.from_numpy(x)).numpy(), 1e-12, 1e-14
    return run


def _torch_bce(rng):
    import torch

    from glossary_dl import losses

    y_true, logits = rng.uniform(0.0, 1.0, size=(4, 3)), rng.normal(size=(4, 3)) * 3.0
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(torch.from_numpy(logits), torch.from_numpy(y_true))
    return losses.binary_crossentropy(y_true, logits, from_logits=True), theirs.item(), 1e-12, 1e-14


def _torch_sgd(nesterov: bool) -> Callable:
    def run(rng):
        import torch

        from glossary_dl.optimizers import SGD

        theta, grads = rng.normal(size=4), [rng.normal(size=4) for _ in range(5)]
        ours, optimizer = theta.copy(), SGD(learning_rate=0.1, momentum=0.9, nesterov=nesterov)
        theirs = torch.tensor(theta, requires_grad=True)
        reference = torch.optim.SGD([theirs], lr=0.1, momentum=0.9, nesterov=nesterov)
        for g in grads:  # Keras' velocity m and PyTorch's buffer b: the same steps, m = -η·b
            optimizer.apply([ours], [g.copy()])
            theirs.grad = torch.from_numpy(g.copy())
            reference.step()
        return ours, theirs.detach().numpy(), 1e-12, 1e-14
    return run


def _keras_activation(name: str) -> Callable:
    def run(rng):
        import os

        # the backend the test suite checks with, unless the reader chose one
        os.environ.setdefault("KERAS_BACKEND", "torch")
        import keras

        from glossary_dl import activations

        x = rng.normal(size=(4, 5)) * 3.0
        y = getattr(keras.activations, name)(x)
        y = y.detach() if hasattr(y, "detach") else y  # the torch backend's tensor
        theirs = y.numpy() if hasattr(y, "numpy") else np.asarray(y)
        return getattr(activations, name)(x), theirs, 1e-12, 1e-14
    return run


def _sklearn_rbf(rng):
    from sklearn.metrics.pairwise import rbf_kernel as theirs

    from glossary_dl import kernels

    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    return kernels.rbf_kernel(X, Y, gamma=0.5), theirs(X, Y, gamma=0.5), 1e-12, 1e-14


ORACLE_CHECKS = [
    *(Check(f"{name} against PyTorch", (f"glossary_dl.activations.{name}",), _torch_activation(name), needs="torch")
      for name in ACTIVATIONS),
    Check("binary cross-entropy (logits) against PyTorch", ("glossary_dl.losses.binary_crossentropy",),
          _torch_bce, needs="torch"),
    *(Check(f"SGD with {kind} momentum, 5 steps, against PyTorch", ("glossary_dl.optimizers.SGD",),
            _torch_sgd(kind == "Nesterov"), needs="torch") for kind in ("classical", "Nesterov")),
    *(Check(f"{name} against Keras", (f"glossary_dl.activations.{name}",), _keras_activation(name), needs="keras")
      for name in ("relu", "sigmoid", "tanh", "softmax")),
    Check("RBF kernel against scikit-learn", ("glossary_dl.kernels.rbf_kernel",), _sklearn_rbf, needs="sklearn"),
]
