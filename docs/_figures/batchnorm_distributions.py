"""Three channels of a dense layer's output, before and after batch normalization."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.backprop import dense_forward, relu_forward
from glossary_dl.normalization import BatchNormalization

SEED = 0
COLORS = ["tab:blue", "tab:orange", "tab:green"]


def activations():
    """z = relu(x·W_0)·W_1 + b_1 for a batch of 512: channels with different centres and spreads."""
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((512, 10))
    hidden = relu_forward(dense_forward(x, rng.standard_normal((10, 20)), np.zeros(20)))
    kernel = rng.standard_normal((20, 3)) * np.array([0.2, 1.0, 0.5])
    return dense_forward(hidden, kernel, np.array([3.0, -2.0, 8.0]))


def make_figure():
    z = activations()
    layer = BatchNormalization()  # Keras defaults: γ = 1, β = 0, ε = 1e-3
    y = layer.forward(z, training=True)
    fig, (before, after) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
    for c, color in enumerate(COLORS):
        before.hist(z[:, c], bins=40, alpha=0.55, color=color,
                    label=f"channel {c}: mean {z[:, c].mean():+.1f}, std {z[:, c].std():.1f}")
        after.hist(y[:, c], bins=40, alpha=0.55, color=color,
                   label=f"channel {c}: mean {np.round(y[:, c].mean(), 1) + 0.0:+.1f}, std {y[:, c].std():.2f}")
    before.set_title("before: a dense layer's output $x$")
    after.set_title(r"after: $y = \gamma\,\hat x + \beta$ with $\gamma = 1$, $\beta = 0$")
    for ax in (before, after):
        ax.set_xlabel("value")
        ax.legend(fontsize=7, loc="upper left")
    before.set_ylabel("count in a batch of 512")
    return fig
