"""Plain gradient descent against momentum on an ill-conditioned quadratic, with its contours."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.optimizers import SGD

# f(θ) = ½ θᵀAθ: curvature 1 along θ1, 25 along θ2 (condition number 25)
A = np.diag([1.0, 25.0])
START = np.array([-4.5, 1.0])
STEPS = 40
RUNS = [
    ("plain SGD, η = 0.07", SGD(learning_rate=0.07), "tab:blue"),
    ("momentum μ = 0.7, η = 0.07", SGD(learning_rate=0.07, momentum=0.7), "tab:red"),
]


def trajectory(optimizer):
    theta = START.copy()
    points = [theta.copy()]
    for _ in range(STEPS):
        optimizer.apply([theta], [A @ theta])
        points.append(theta.copy())
    return np.array(points)


def make_figure():
    x, y = np.meshgrid(np.linspace(-5, 1, 300), np.linspace(-1.3, 1.3, 200))
    f = 0.5 * (A[0, 0] * x**2 + A[1, 1] * y**2)
    fig, ax = plt.subplots(figsize=(7.5, 3.8), layout="constrained")
    ax.contour(x, y, f, levels=np.geomspace(0.02, 40, 14), colors="0.75", linewidths=0.8)
    for label, optimizer, color in RUNS:
        points = trajectory(optimizer)
        distance = np.linalg.norm(points[-1])
        ax.plot(points[:, 0], points[:, 1], "o-", color=color, markersize=2.5, linewidth=1.2,
                label=f"{label}: ‖θ‖ = {distance:.1e} after {STEPS} steps")
    ax.plot(*START, "ks", markersize=6)
    ax.plot(0, 0, "k*", markersize=11)
    ax.set_xlabel(r"$\theta_1$  (curvature 1)")
    ax.set_ylabel(r"$\theta_2$  (curvature 25)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_aspect("equal")
    return fig
