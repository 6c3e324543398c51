"""Concentric circles: a hand-made feature r² against a small network on raw coordinates."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.backprop import DenseNetwork
from glossary_dl.optimizers import Adam
from glossary_dl.trees import DecisionTreeClassifier


def circles(n, seed):
    """Inner disc (class 1, radius < 0.5) inside a ring (class 0, radius 0.7 to 1)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    radius = np.where(y == 1, rng.uniform(0.0, 0.5, n), rng.uniform(0.7, 1.0, n))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1), y


def make_figure():
    X, y = circles(400, seed=0)
    r2 = (X**2).sum(axis=1, keepdims=True)  # the engineered feature r² = x1² + x2²
    stump_raw = DecisionTreeClassifier(max_depth=1, seed=0).fit(X, y)
    stump_r2 = DecisionTreeClassifier(max_depth=1, seed=0).fit(r2, y)
    net = DenseNetwork([2, 16, 16, 2], seed=0, dtype=np.float64)
    optimizer = Adam(learning_rate=0.01)
    for _ in range(300):
        _, grads = net.loss_and_gradients(X, y)
        optimizer.apply(net.parameters(), [g for pair in grads for g in pair])

    g1, g2 = np.meshgrid(np.linspace(-1.1, 1.1, 220), np.linspace(-1.1, 1.1, 220))
    grid = np.stack([g1.ravel(), g2.ravel()], axis=1)
    panels = [
        (f"depth-1 tree on $(x_1, x_2)$: {stump_raw.score(X, y):.0%}", stump_raw.predict(grid)),
        (f"depth-1 tree on $r^2$: {stump_r2.score(r2, y):.0%}", stump_r2.predict((grid**2).sum(axis=1, keepdims=True))),
        (f"network 2-16-16-2 on $(x_1, x_2)$: {np.mean(net.predict(X) == y):.0%}", net.predict(grid)),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.7), layout="constrained")
    for ax, (title, regions) in zip(axes, panels):
        ax.contourf(g1, g2, regions.reshape(g1.shape), levels=[-0.5, 0.5, 1.5], colors=["#f4c2b8", "#b8cfe8"])
        ax.scatter(X[:, 0], X[:, 1], c=np.where(y == 1, "tab:blue", "tab:red"), s=6)
        ax.set_title(title + "\ntraining accuracy", fontsize=9)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
    axes[0].set_ylabel("$x_2$")
    return fig
