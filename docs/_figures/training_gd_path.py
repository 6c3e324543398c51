"""Gradient descent on a 2-D bowl: the path over the contours of the loss."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.training import gradient_descent

# f(θ) = ½ θᵀAθ, a bowl four times steeper along θ2 than along θ1; ∇f(θ) = Aθ
A = np.diag([1.0, 4.0])
START = np.array([-4.0, 2.0])
STEPS = 25
RATES = [(0.1, "tab:blue"), (0.4, "tab:red")]  # both below 2/λ_max = 0.5


def make_figure():
    x, y = np.meshgrid(np.linspace(-4.5, 1.0, 300), np.linspace(-2.3, 2.3, 200))
    f = 0.5 * (A[0, 0] * x**2 + A[1, 1] * y**2)
    fig, ax = plt.subplots(figsize=(7.0, 3.8), layout="constrained")
    ax.contour(x, y, f, levels=np.geomspace(0.05, 20, 12), colors="0.75", linewidths=0.8)
    for eta, color in RATES:
        path = gradient_descent(lambda theta: A @ theta, START, eta, STEPS)
        ax.plot(path[:, 0], path[:, 1], "o-", color=color, markersize=3, linewidth=1.2,
                label=f"η = {eta}: f = {0.5 * path[-1] @ A @ path[-1]:.1e} after {STEPS} steps")
    ax.plot(*START, "ks", markersize=6)
    ax.plot(0, 0, "k*", markersize=11)
    ax.set_xlabel(r"$\theta_1$  (curvature 1)")
    ax.set_ylabel(r"$\theta_2$  (curvature 4)")
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=8)
    return fig
