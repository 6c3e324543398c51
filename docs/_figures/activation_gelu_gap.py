"""GELU: the exact form minus its tanh approximation, computed with glossary_dl.activations."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl import activations


def make_figure():
    x = np.linspace(-4.0, 4.0, 8001)
    gap = activations.gelu(x) - activations.gelu(x, approximate=True)
    worst = np.argmax(np.abs(gap))
    fig, ax = plt.subplots(figsize=(6.5, 2.6), layout="constrained")
    ax.axhline(0.0, color="0.8", linewidth=0.8)
    ax.plot(x, gap * 1e4, color="tab:purple", linewidth=1.6)
    ax.plot(x[worst], gap[worst] * 1e4, "ko", markersize=4)
    ax.annotate(f"max |gap| = {abs(gap[worst]):.2e} at x = {x[worst]:.2f}", (x[worst], gap[worst] * 1e4),
                xytext=(12, -4), textcoords="offset points", fontsize=9)
    ax.set_xlabel("$x$")
    ax.set_ylabel(r"exact $-$ tanh form  ($\times 10^{-4}$)")
    ax.grid(alpha=0.25)
    return fig
