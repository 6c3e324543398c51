"""The four optimizers' first 60 steps on the same ill-conditioned quadratic valley."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.optimizers import SGD, Adagrad, Adam, RMSprop

# f(θ) = ½ θᵀAθ, curvature 1 along x and 20 along y: a long, narrow valley
A = np.diag([1.0, 20.0])
START = np.array([-4.5, 1.2])
STEPS = 60
RUNS = [
    ("SGD, η = 0.09", SGD(learning_rate=0.09), "tab:blue"),
    ("RMSprop, η = 0.15", RMSprop(learning_rate=0.15), "tab:orange"),
    ("Adagrad, η = 1.5", Adagrad(learning_rate=1.5), "tab:green"),
    ("Adam, η = 0.3", Adam(learning_rate=0.3), "tab:red"),
]


def path(optimizer):
    theta = START.copy()
    points = [theta.copy()]
    for _ in range(STEPS):
        optimizer.apply([theta], [A @ theta])
        points.append(theta.copy())
    return np.array(points)


def make_figure():
    x, y = np.meshgrid(np.linspace(-5, 1.5, 300), np.linspace(-1.6, 1.6, 200))
    f = 0.5 * (A[0, 0] * x**2 + A[1, 1] * y**2)
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    ax.contour(x, y, f, levels=np.geomspace(0.02, 40, 14), colors="0.75", linewidths=0.8)
    for label, optimizer, color in RUNS:
        points = path(optimizer)
        ax.plot(points[:, 0], points[:, 1], "o-", color=color, markersize=2.5, linewidth=1.2, label=label)
    ax.plot(*START, "ks", markersize=6)
    ax.plot(0, 0, "k*", markersize=11)
    ax.set_xlabel(r"$\theta_1$  (curvature 1)")
    ax.set_ylabel(r"$\theta_2$  (curvature 20)")
    title = r"$f(\theta) = \frac{1}{2}(\theta_1^2 + 20\,\theta_2^2)$"
    ax.set_title(f"{STEPS} steps on {title} from the square")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_aspect("equal")
    return fig
