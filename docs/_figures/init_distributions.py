"""Histograms of the uniform and truncated-normal Glorot weights, with the untruncated normal."""

import matplotlib.pyplot as plt
import numpy as np

from glossary_dl.initializers import glorot_normal, glorot_uniform

FAN_IN, FAN_OUT = 300, 200


def make_figure():
    s = np.sqrt(2.0 / (FAN_IN + FAN_OUT))
    uniform = glorot_uniform((FAN_IN, FAN_OUT), seed=0, dtype="float64").ravel()
    truncated = glorot_normal((FAN_IN, FAN_OUT), seed=0, dtype="float64").ravel()
    fig, ax = plt.subplots(figsize=(7.0, 3.6), layout="constrained")
    bins = np.linspace(-4 * s, 4 * s, 121)
    ax.hist(uniform, bins=bins, density=True, histtype="step", color="tab:blue", linewidth=1.4,
            label=f"glorot_uniform: U(−r, r), r = √3·s, std {uniform.std():.4f}")
    ax.hist(truncated, bins=bins, density=True, histtype="step", color="tab:red", linewidth=1.4,
            label=f"glorot_normal (Keras, truncated), std {truncated.std():.4f}")
    x = np.linspace(-4 * s, 4 * s, 400)
    ax.plot(x, np.exp(-0.5 * (x / s) ** 2) / (s * np.sqrt(2 * np.pi)), "k--", linewidth=1,
            label=f"untruncated normal (torch xavier_normal_), std {s:.4f}")
    bound = 2 * s / 0.87962566103423978
    ax.axvline(-bound, color="tab:red", linestyle=":", linewidth=1)
    ax.axvline(bound, color="tab:red", linestyle=":", linewidth=1)
    ax.set_xlabel(f"weight value (fan-in {FAN_IN}, fan-out {FAN_OUT}; dotted: ±2σ_raw)")
    ax.set_ylabel("density")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.4)
    ax.legend(fontsize=8, loc="upper left")
    return fig
