"""Tensors of rank 0 to 3 drawn as grids of cells, each built with glossary_dl.tensors.reshape."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from glossary_dl.tensors import reshape

# (title, shape): a scalar, a vector, a matrix and a rank-3 stack of matrices
CASES = [("rank 0: scalar", ()), ("rank 1: vector", (4,)), ("rank 2: matrix", (3, 4)),
         ("rank 3", (2, 3, 4))]


def draw_matrix(ax, values, x0, y0, color, depth=0):
    """One (rows, cols) grid with its numbers, lower-left corner at (x0, y0)."""
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            ax.add_patch(Rectangle((x0 + j, y0 + rows - 1 - i), 1, 1, facecolor=color,
                                   edgecolor="0.2", linewidth=0.8, zorder=10 - depth))
            ax.text(x0 + j + 0.5, y0 + rows - 0.5 - i, f"{values[i, j]:.0f}", ha="center",
                    va="center", fontsize=8, zorder=11 - depth)


def make_figure():
    fig, axes = plt.subplots(1, 4, figsize=(10, 2.8), layout="constrained",
                             gridspec_kw={"width_ratios": [1.4, 5.8, 5.8, 5.8]})
    colors = ["#c6dbef", "#9ecae1", "#6baed6", "#4292c6"]
    for ax, (title, shape), color in zip(axes, CASES, colors):
        size = int(np.prod(shape, dtype=np.int64))
        x = reshape(np.arange(size, dtype=np.float64), shape)  # entries 0, 1, … in row-major order
        if x.ndim == 3:
            # the second matrix of the stack sits behind, shifted up and right
            for depth in range(x.shape[0] - 1, -1, -1):
                draw_matrix(ax, x[depth], 1.2 * depth, 0.8 * depth, colors[3 - depth], depth)
        else:
            draw_matrix(ax, x.reshape(1, -1) if x.ndim < 2 else x, 0, 0, color)
        ax.set_title(f"{title}\nshape {x.shape}, ndim {x.ndim}", fontsize=9)
        ax.set_xlim(-0.2, 5.6)
        ax.set_ylim(-0.2, 4.6)
        ax.set_aspect("equal")
        ax.axis("off")
    axes[0].set_xlim(-0.2, 1.2)
    return fig
