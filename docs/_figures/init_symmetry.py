"""Hidden units' incoming weights during training: constant start against random start."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.backprop import DenseNetwork
from glossary_dl.initializers import glorot_uniform

STEPS, LEARNING_RATE = 300, 0.5


def data(seed=0):
    """Three Gaussian blobs in the plane, 60 points each."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    labels = np.repeat(np.arange(3), 60)
    return centres[labels] + rng.standard_normal((180, 2)), labels


def trajectories(constant: bool):
    """W_1[0, j] of the four hidden units after each step of gradient descent."""
    x, labels = data()
    net = DenseNetwork([2, 4, 3], seed=0, dtype=np.float64)
    if constant:
        for kernel in net.kernels:
            kernel[...] = 0.3
    else:
        for kernel in net.kernels:
            kernel[...] = glorot_uniform(kernel.shape, seed=1, dtype="float64")
    history = [net.kernels[0][0].copy()]
    for _ in range(STEPS):
        _, grads = net.loss_and_gradients(x, labels)
        for param, grad in zip(net.parameters(), (g for pair in grads for g in pair)):
            param -= LEARNING_RATE * grad
        history.append(net.kernels[0][0].copy())
    return np.array(history)


def make_figure():
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.4), sharey=False, layout="constrained")
    for ax, constant, title in [(axes[0], True, "every weight starts at 0.3"),
                                (axes[1], False, "Glorot uniform start")]:
        history = trajectories(constant)
        for j, style in enumerate(["-", "--", ":", "-."]):
            ax.plot(history[:, j], style, linewidth=1.6, label=f"hidden unit {j + 1}")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("gradient-descent step")
    axes[0].set_ylabel(r"weight from input 1, $W_1[0, j]$")
    axes[1].legend(fontsize=8)
    return fig
