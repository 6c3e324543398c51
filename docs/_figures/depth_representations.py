"""Two spirals seen by each layer of a trained DenseNetwork: the classes come apart layer by layer."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.backprop import DenseNetwork, dense_forward, relu_forward
from glossary_dl.optimizers import Adam


def spirals(n, seed):
    """Two interleaved spirals of one and a half turns, one per class."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = rng.uniform(0.25, 1.0, n) * 3 * np.pi
    return np.stack([t * np.cos(t + np.pi * y), t * np.sin(t + np.pi * y)], axis=1) / (3 * np.pi), y


def linear_probe_accuracy(a, y):
    """Accuracy of the best straight cut by least squares on ±1 targets (a linear classifier)."""
    design = np.hstack([a, np.ones((a.shape[0], 1))])
    w = np.linalg.lstsq(design, 2.0 * y - 1.0, rcond=None)[0]
    return np.mean((design @ w > 0) == y)


def make_figure():
    X, y = spirals(400, seed=0)
    net = DenseNetwork([2, 16, 16, 16, 2], seed=0, dtype=np.float64)
    optimizer = Adam(learning_rate=0.01)
    for _ in range(300):
        _, grads = net.loss_and_gradients(X, y)
        optimizer.apply(net.parameters(), [g for pair in grads for g in pair])

    representations = [X]  # a_0 = x, then a_l = relu(a_{l−1} W_l + b_l)
    for kernel, bias in zip(net.kernels[:-1], net.biases[:-1]):
        representations.append(relu_forward(dense_forward(representations[-1], kernel, bias)))

    fig, axes = plt.subplots(1, 4, figsize=(11, 3.2), layout="constrained")
    for layer, (ax, a) in enumerate(zip(axes, representations)):
        # the two directions of largest variance of a_l (PCA), to draw a 16-dimensional layer flat
        centred = a - a.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        flat = centred @ vt[:2].T
        ax.scatter(flat[:, 0], flat[:, 1], c=np.where(y == 1, "tab:blue", "tab:red"), s=5)
        name = "input $x$" if layer == 0 else f"hidden layer {layer}"
        ax.set_title(f"{name}\nlinear cut: {linear_probe_accuracy(a, y):.1%} correct", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
