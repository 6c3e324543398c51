"""Forward and backward flow through a two-layer network, with the gradient sizes it produces.

Left: the computation graph of DenseNetwork([n_in, n_hidden, C]): values flow right (forward
pass), the gradients δ flow left (backward pass), each arrow labelled with the rule that
produces it. Right: the size of every gradient, computed by glossary_dl on a toy batch.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from glossary_dl.backprop import DenseNetwork

FORWARD, BACKWARD, PARAM = "#3949ab", "#c62828", "#6d6d6d"


def _box(ax, x, y, text, colour, width=1.25, height=0.6):
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2), width, height,
            boxstyle="round,pad=0.04", facecolor="white", edgecolor=colour, linewidth=1.6,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=10)


def _arrow(ax, start, end, colour, label, label_offset):
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=colour, linewidth=1.4)
    )
    middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + label_offset)
    ax.text(*middle, label, ha="center", va="center", fontsize=8.5, color=colour)


def _graph(ax):
    nodes = ["$x$", "$z_1 = xW_1 + b_1$", "$a_1 = \\mathrm{relu}(z_1)$", "$z_2 = a_1W_2 + b_2$", "$L$"]
    xs = np.arange(len(nodes)) * 2.4
    widths = [0.6, 1.6, 1.6, 1.6, 0.6]
    for x, text, width in zip(xs, nodes, widths):
        _box(ax, x, 0.0, text, "black", width=width)
    forward = ["", "", "", "CE"]
    backward = [
        "",
        "$\\delta_1 = \\partial L/\\partial a_1 \\odot 1[z_1>0]$",
        "$\\partial L/\\partial a_1 = \\delta_2 W_2^\\top$",
        "$\\delta_2 = (\\mathrm{softmax}(z_2) - \\mathrm{onehot}(y))/N$",
    ]
    for k in range(len(nodes) - 1):
        left, right = xs[k] + widths[k] / 2, xs[k + 1] - widths[k + 1] / 2
        _arrow(ax, (left, 0.12), (right, 0.12), FORWARD, forward[k], 0.22)
        if k > 0:
            _arrow(ax, (right, -0.12), (left, -0.12), BACKWARD, "", 0.0)
            ax.text((left + right) / 2, -0.5 - 0.3 * (k % 2), backward[k], ha="center",
                    fontsize=8.5, color=BACKWARD)
    for x, layer in [(xs[1], 1), (xs[3], 2)]:
        _box(ax, x, 1.25, f"$W_{layer}, b_{layer}$", PARAM, width=0.9, height=0.45)
        _arrow(ax, (x - 0.15, 1.02), (x - 0.15, 0.32), FORWARD, "", 0.0)
        _arrow(ax, (x + 0.15, 0.32), (x + 0.15, 1.02), BACKWARD, "", 0.0)
        ax.text(x + 0.25, 0.67, f"$a_{layer - 1}^\\top\\delta_{layer}$,  $\\sum_n \\delta_{layer}$",
                fontsize=8.5, color=BACKWARD, va="center")
    ax.text(xs[0], 1.25, "forward →", color=FORWARD, fontsize=10, ha="center")
    ax.text(xs[0], 0.85, "← backward", color=BACKWARD, fontsize=10, ha="center")
    ax.set_xlim(xs[0] - 0.6, xs[-1] + 0.5)
    ax.set_ylim(-1.2, 1.65)
    ax.axis("off")
    ax.set_title("One training step of DenseNetwork([n_in, n_hidden, C])", fontsize=11)


def _gradient_sizes(ax):
    rng = np.random.default_rng(0)
    net = DenseNetwork([20, 16, 3], seed=0, dtype=np.float64)
    x = rng.standard_normal((64, 20))
    labels = rng.integers(0, 3, 64)
    _, grads = net.loss_and_gradients(x, labels)
    names = ["$W_1$", "$b_1$", "$W_2$", "$b_2$"]
    sizes = [np.sqrt(np.mean(g**2)) for pair in grads for g in pair]
    ax.bar(names, sizes, color=["#9e9e9e", "#9e9e9e", "#424242", "#424242"])
    ax.set_ylabel("RMS of the gradient entries")
    ax.set_title("Gradients from loss_and_gradients\n(64 random samples, seed 0)", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)


def make_figure():
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(12, 3.6), gridspec_kw={"width_ratios": [4.2, 1]}
    )
    _graph(left)
    _gradient_sizes(right)
    figure.tight_layout()
    return figure
