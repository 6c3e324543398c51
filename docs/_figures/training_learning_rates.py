"""The loss of gradient descent step by step, for learning rates from too small to too large."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.training import gradient_descent

# f(θ) = ½ θᵀAθ with curvatures 1 and 4: converges for η < 2/λ_max = 0.5
A = np.diag([1.0, 4.0])
START = np.array([-4.0, 2.0])
STEPS = 30
RATES = [
    (0.02, "too small: slow", "tab:gray"),
    (0.4, "best: 2/(λ_min + λ_max)", "tab:blue"),
    (0.48, "large: oscillates", "tab:orange"),
    (0.52, "too large: diverges", "tab:red"),
]


def make_figure():
    fig, ax = plt.subplots(figsize=(7.0, 3.8), layout="constrained")
    for eta, label, color in RATES:
        path = gradient_descent(lambda theta: A @ theta, START, eta, STEPS)
        loss = 0.5 * np.einsum("ti,ij,tj->t", path, A, path)
        ax.semilogy(loss, "o-", color=color, markersize=2.5, linewidth=1.2, label=f"η = {eta} ({label})")
    ax.set_xlabel("step t")
    ax.set_ylabel(r"loss $f(\theta_t)$")
    ax.set_title(r"$f(\theta) = \frac{1}{2}(\theta_1^2 + 4\theta_2^2)$, so $2/\lambda_{\max} = 0.5$", fontsize=10)
    ax.legend(fontsize=8)
    return fig
