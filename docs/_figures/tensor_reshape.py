"""One row-major sequence, three shapes: reshape keeps it, transpose reorders it."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from glossary_dl.tensors import reshape, transpose

CMAP = plt.get_cmap("viridis")


def draw(ax, values, title):
    values = values.reshape(1, -1) if values.ndim == 1 else values
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            v = values[i, j]
            ax.add_patch(Rectangle((j, rows - 1 - i), 1, 1, facecolor=CMAP(0.15 + 0.8 * v / 11),
                                   edgecolor="white", linewidth=1.2))
            ax.text(j + 0.5, rows - 0.5 - i, f"{v:.0f}", ha="center", va="center", fontsize=9,
                    color="white" if v < 7 else "black")
    ax.set_title(title, fontsize=9)
    ax.set_xlim(-0.1, 12.1)
    ax.set_ylim(-0.1, 4.1)
    ax.set_aspect("equal")
    ax.axis("off")


def make_figure():
    x = reshape(np.arange(12.0), (3, 4))
    panels = [
        (x, "x, shape (3, 4)"),
        (reshape(x, (2, 6)), "reshape(x, (2, 6))"),
        (reshape(x, -1), "reshape(x, -1): same order 0…11"),
        (transpose(x), "transpose(x), (4, 3)"),
        (reshape(transpose(x), -1), "reshape(transpose(x), -1): a new order"),
    ]
    fig, axes = plt.subplots(1, 5, figsize=(13, 2.4), layout="constrained",
                             gridspec_kw={"width_ratios": [4, 6, 12, 3, 12]})
    for ax, (values, title) in zip(axes, panels):
        draw(ax, values, title)
        ax.set_xlim(-0.1, values.shape[-1] + 0.1)
    return fig
