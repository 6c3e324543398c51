"""Broadcasting (3, 1) + (4,) → (3, 4): the stretched copies that are never made, drawn faded."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from glossary_dl.tensors import broadcast_add

X = np.array([[0.0], [10.0], [20.0]])  # shape (3, 1): a column
Y = np.array([0.0, 1.0, 2.0, 3.0])  # shape (4,): a row


def grid(ax, values, x0, real_rows, real_cols, color, title):
    """Draw a (3, 4) grid; cells outside [0, real_rows) × [0, real_cols) are repeats, drawn faded."""
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            real = i < real_rows and j < real_cols
            ax.add_patch(Rectangle((x0 + j, rows - 1 - i), 1, 1, facecolor=color,
                                   alpha=1.0 if real else 0.25, edgecolor="0.2",
                                   linestyle="-" if real else ":", linewidth=0.8))
            ax.text(x0 + j + 0.5, rows - 0.5 - i, f"{values[i, j]:.0f}", ha="center", va="center",
                    fontsize=9, color="black" if real else "0.45")
    ax.text(x0 + cols / 2, rows + 0.35, title, ha="center", va="bottom", fontsize=9)


def make_figure():
    out = broadcast_add(X, Y)
    shape = out.shape
    fig, ax = plt.subplots(figsize=(9, 2.6), layout="constrained")
    grid(ax, np.broadcast_to(X, shape), 0, 3, 1, "#fdd0a2", "x, shape (3, 1)\ncolumn repeated 4 times")
    ax.text(4.75, 1.5, "+", fontsize=18, ha="center", va="center")
    grid(ax, np.broadcast_to(Y, shape), 5.5, 1, 4, "#c7e9c0", "y, shape (4,) → (1, 4)\nrow repeated 3 times")
    ax.text(10.25, 1.5, "=", fontsize=18, ha="center", va="center")
    grid(ax, out, 11, 3, 4, "#9ecae1", f"broadcast_add(x, y)\nshape {shape}")
    ax.set_xlim(-0.2, 15.2)
    ax.set_ylim(-0.2, 4.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig
