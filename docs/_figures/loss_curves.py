"""Per-sample loss against the probability given to the true class: MSE vs cross-entropy."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.losses import binary_crossentropy, mean_squared_error


def make_figure():
    # p: predicted probability of the true class (target y = 1), one sample at a time
    p = np.linspace(0.0, 1.0, 401)
    one = np.ones(1)
    mse = [mean_squared_error(one, np.array([x])) for x in p]
    bce = [binary_crossentropy(one, np.array([x])) for x in p]

    figure, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.plot(p, bce, label=r"cross-entropy  $-\ln \tilde y$")
    ax.plot(p, mse, label=r"squared error  $(1 - \hat y)^2$")
    ax.axhline(-np.log(1e-7), color="0.6", linestyle=":", linewidth=1)
    ax.annotate(
        r"clip at $\epsilon = 10^{-7}$: at most $-\ln \epsilon \approx 16.1$",
        xy=(0.0, -np.log(1e-7)),
        xytext=(0.12, 13.0),
        arrowprops={"arrowstyle": "->", "color": "0.4"},
    )
    ax.set_xlabel(r"predicted probability of the true class $\hat y$")
    ax.set_ylabel("per-sample loss")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 17.5)
    ax.legend(loc="upper right", frameon=False)
    ax.set_title("A confident mistake: squared error stays below 1, cross-entropy does not")
    figure.tight_layout()
    return figure
