"""The six activations and their derivatives, each computed with glossary_dl.activations."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl import activations

X = np.linspace(-4.0, 4.0, 801)
ONES = np.ones_like(X)


def softmax_first(x):
    # s_1 of the three scores (x, 0, −1): how the first probability moves with its own score
    scores = np.stack([x, np.zeros_like(x), -np.ones_like(x)])
    return activations.softmax(scores, axis=0)[0]


def softmax_first_grad(x):
    # ∂s_1/∂x_1: the vjp with δ = e_1 is row 1 of the (symmetric) Jacobian
    scores = np.stack([x, np.zeros_like(x), -np.ones_like(x)])
    delta = np.zeros_like(scores)
    delta[0] = 1.0
    return activations.softmax_grad(scores, delta, axis=0)[0]


PANELS = [
    ("ReLU", activations.relu, lambda x: activations.relu_grad(x, ONES)),
    ("leaky ReLU, α = 0.2", activations.leaky_relu, lambda x: activations.leaky_relu_grad(x, ONES)),
    ("GELU (exact)", activations.gelu, lambda x: activations.gelu_grad(x, ONES)),
    ("sigmoid σ", activations.sigmoid, lambda x: activations.sigmoid_grad(x, ONES)),
    ("tanh", activations.tanh, lambda x: activations.tanh_grad(x, ONES)),
    ("softmax: $s_1$ of $(x, 0, -1)$", softmax_first, softmax_first_grad),
]


def make_figure():
    fig, axes = plt.subplots(2, 3, figsize=(8.0, 4.8), sharex=True, layout="constrained")
    for ax, (title, f, derivative) in zip(axes.flat, PANELS):
        ax.axhline(0.0, color="0.8", linewidth=0.8)
        ax.axvline(0.0, color="0.8", linewidth=0.8)
        ax.plot(X, f(X), color="tab:blue", linewidth=1.8, label="$f(x)$")
        ax.plot(X, derivative(X), color="tab:red", linewidth=1.4, linestyle="--", label="$f'(x)$")
        ax.set_title(title, fontsize=10)
        ax.set_ylim(-1.25, 2.25)
        ax.grid(alpha=0.25)
    for ax in axes[1]:
        ax.set_xlabel("$x$")
    axes[0, 0].legend(loc="upper left", fontsize=8)
    return fig
