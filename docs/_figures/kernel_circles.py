"""Two concentric rings: a linear SVM cannot separate them, an RBF-kernel SVM can.

Both classifiers are glossary_dl.kernels.KernelSVC; the filled contours show the sign of the
decision function f(x), the line is f(x) = 0, ringed points are support vectors.
"""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.kernels import KernelSVC


def make_rings(n_per_ring=150, factor=0.4, noise=0.08, seed=0):
    """Points on a circle of radius 1 (class 0) and of radius ``factor`` (class 1), plus noise."""
    rng = np.random.default_rng(seed)
    angles = rng.uniform(0.0, 2.0 * np.pi, size=2 * n_per_ring)
    radii = np.repeat([1.0, factor], n_per_ring)
    X = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    X += noise * rng.standard_normal(X.shape)
    y = np.repeat([0, 1], n_per_ring)
    return X, y


def make_figure():
    X, y = make_rings()
    grid = np.linspace(-1.5, 1.5, 201)
    gx, gy = np.meshgrid(grid, grid)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.4), sharey=True)
    for ax, kernel in zip(axes, ["linear", "rbf"]):
        model = KernelSVC(kernel=kernel, C=1.0).fit(X, y)
        f = model.decision_function(points).reshape(gx.shape)
        ax.contourf(gx, gy, f, levels=[f.min() - 1, 0, f.max() + 1], colors=["#dbe4f7", "#f7e1d7"])
        ax.contour(gx, gy, f, levels=[0.0], colors="black", linewidths=1.5)
        ax.contour(gx, gy, f, levels=[-1.0, 1.0], colors="grey", linewidths=0.8, linestyles="--")
        ax.scatter(*X[y == 0].T, s=10, color="#3458a4", label="outer ring (class 0)")
        ax.scatter(*X[y == 1].T, s=10, color="#c0502d", label="inner ring (class 1)")
        sv = model.support_vectors_
        ax.scatter(*sv.T, s=40, facecolors="none", edgecolors="black", linewidths=0.6, label="support vectors")
        ax.set_title(f'kernel="{kernel}": training accuracy {model.score(X, y):.2f}', fontsize=10)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
    axes[0].set_ylabel("$x_2$")
    axes[1].legend(loc="lower right", fontsize=8)
    fig.suptitle("Decision function $f(x)=0$ (solid) and $f(x)=\\pm 1$ (dashed)")
    fig.tight_layout()
    return fig
