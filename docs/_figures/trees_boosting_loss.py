"""Training and test log-loss of gradient boosting, stage by stage, for two learning rates."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.trees import GradientBoostingClassifier


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
    fig, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
    stages = np.arange(1, 201)
    for learning_rate, color in [(1.0, "tab:red"), (0.1, "tab:blue")]:
        model = GradientBoostingClassifier(n_estimators=200, learning_rate=learning_rate, max_depth=3, seed=0)
        model.fit(X, y)
        test_loss = model.staged_loss(X_test, y_test)
        best = int(np.argmin(test_loss))
        ax.plot(stages, model.train_loss_, "--", color=color, label=f"η = {learning_rate}: training")
        ax.plot(stages, test_loss, "-", color=color,
                label=f"η = {learning_rate}: test (lowest {test_loss[best]:.3f} at stage {best + 1})")
    ax.set_xlabel("stage $t$ (number of trees)")
    ax.set_ylabel("mean log-loss")
    ax.set_ylim(0, 0.75)
    ax.legend(fontsize=8)
    return fig
