"""Decision regions of one fully grown tree and of a random forest on two noisy half-moons."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.trees import DecisionTreeClassifier, RandomForestClassifier


def moons(n, noise, seed):
    """Two interleaving half-circles (the shape of sklearn's make_moons), with Gaussian noise."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, n)
    x = np.where(y == 0, np.cos(angle), 1.0 - np.cos(angle))
    z = np.where(y == 0, np.sin(angle), 0.5 - np.sin(angle))
    return np.stack([x, z], axis=1) + rng.normal(0.0, noise, (n, 2)), y


def make_figure():
    X, y = moons(300, 0.3, seed=0)
    X_test, y_test = moons(2000, 0.3, seed=1)
    models = [
        ("one decision tree (grown until pure)", DecisionTreeClassifier(seed=0)),
        ("random forest, 200 trees", RandomForestClassifier(n_estimators=200, seed=0)),
    ]
    g1, g2 = np.meshgrid(np.linspace(-2.3, 3.0, 300), np.linspace(-1.6, 2.0, 200))
    grid = np.stack([g1.ravel(), g2.ravel()], axis=1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained", sharey=True)
    for ax, (title, model) in zip(axes, models):
        model.fit(X, y)
        proba = model.predict_proba(grid)[:, 1].reshape(g1.shape)
        ax.contourf(g1, g2, proba, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.55)
        ax.contour(g1, g2, proba, levels=[0.5], colors="k", linewidths=1)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", s=10, edgecolors="k", linewidths=0.3)
        ax.set_title(f"{title}\ntrain {model.score(X, y):.0%}, test {model.score(X_test, y_test):.1%}", fontsize=10)
        ax.set_xlabel("$x_1$")
    axes[0].set_ylabel("$x_2$")
    return fig
