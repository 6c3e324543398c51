"""Mean square of the activations through 10 Dense + ReLU layers, for four weight scales."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.backprop import dense_forward, relu_forward
from glossary_dl.initializers import he_normal

WIDTH, DEPTH, BATCH = 256, 10, 512
HE_STD = np.sqrt(2.0 / WIDTH)
# (label, standard deviation of the weights as a multiple of He's, colour)
SCALES = [
    ("σ = 0.01 (too small)", 0.01 / HE_STD, "tab:blue"),
    ("LeCun / Glorot: Var W = 1/256", np.sqrt(0.5), "tab:orange"),
    ("He: Var W = 2/256", 1.0, "tab:green"),
    ("σ = 0.2 (too large)", 0.2 / HE_STD, "tab:red"),
]


def mean_squares(factor, seed=0):
    """E[a_l²] for l = 0 … DEPTH, with every kernel He-normal times ``factor``."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((BATCH, WIDTH))
    bias = np.zeros(WIDTH)
    values = [np.mean(a**2)]
    for _ in range(DEPTH):
        kernel = factor * he_normal((WIDTH, WIDTH), seed=rng, dtype="float64")
        a = relu_forward(dense_forward(a, kernel, bias))
        values.append(np.mean(a**2))
    return np.array(values)


def make_figure():
    fig, ax = plt.subplots(figsize=(7.0, 3.8), layout="constrained")
    layers = np.arange(DEPTH + 1)
    for label, factor, color in SCALES:
        ax.semilogy(layers, mean_squares(factor), "o-", color=color, markersize=3.5, label=label)
    ax.set_xlabel("layer $l$ (0 = input)")
    ax.set_ylabel(r"mean of $a_l^2$ (log scale)")
    ax.set_xticks(layers)
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(True, which="major", alpha=0.3)
    return fig
