"""Cost of a depthwise separable convolution as a fraction of a regular one, against the width."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.convolutions import conv2d_cost, separable_conv2d_cost

CHANNELS = np.unique(np.geomspace(4, 1024, 40).astype(int))  # C_in = C_out
KERNELS = [(3, "tab:blue"), (5, "tab:orange"), (7, "tab:green")]
IMAGE = 32  # a 32×32 image with "same" padding; the ratio does not depend on the image size


def ratios(k):
    """MAC ratio separable / regular, from the two cost functions (no bias: the weights only)."""
    result = []
    for c in CHANNELS:
        _, separable = separable_conv2d_cost((IMAGE, IMAGE, int(c)), k, int(c), padding="same", use_bias=False)
        _, regular = conv2d_cost((IMAGE, IMAGE, int(c)), k, int(c), padding="same", use_bias=False)
        result.append(separable / regular)
    return np.array(result)


def make_figure():
    fig, ax = plt.subplots(figsize=(7.5, 4.0), layout="constrained")
    for k, color in KERNELS:
        ax.plot(CHANNELS, ratios(k), "o", color=color, markersize=3.5,
                label=f"{k}×{k} kernel, counted")
        ax.plot(CHANNELS, 1 / CHANNELS + 1 / k**2, "-", color=color, linewidth=1.0,
                label=rf"$1/C + 1/{k * k}$")
        ax.axhline(1 / k**2, color=color, linestyle=":", linewidth=0.9)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(r"channels $C = C_\mathrm{in} = C_\mathrm{out}$")
    ax.set_ylabel("multiply-accumulates,\nseparable / regular")
    ax.set_title("A separable convolution costs about $1/k^2$ of a regular one once $C \\gg k^2$",
                 fontsize=10)
    ax.grid(True, which="major", color="0.9")
    ax.legend(fontsize=8, ncol=3, loc="upper right")
    return fig
