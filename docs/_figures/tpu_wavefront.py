"""The wavefront of an output-stationary systolic array: which PEs work at each cycle."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from glossary_dl.hardware import systolic_matmul

# C = AB with A 4 × 3 and B 3 × 5: a 4 × 5 grid of processing elements, k = 3 products each
N, K, M = 4, 3, 5


def make_figure():
    A = np.arange(1, N * K + 1).reshape(N, K)
    B = np.arange(1, K * M + 1).reshape(K, M)
    C, trace = systolic_matmul(A, B, return_trace=True)
    assert np.array_equal(C, A @ B)
    cycles = trace.shape[0]  # N + M + K − 2 = 10
    colors = ListedColormap(["#eeeeee", "#9ecae1", "#4292c6", "#08519c"])
    fig, axes = plt.subplots(2, (cycles + 1) // 2, figsize=(10, 4.4), layout="constrained")
    for c, ax in enumerate(axes.flat):
        if c >= cycles:
            ax.axis("off")
            continue
        # −1 (idle) → colour 0; term s → colour s + 1
        ax.imshow(trace[c] + 1, cmap=colors, vmin=0, vmax=K, aspect="equal")
        for i in range(N):
            for j in range(M):
                if trace[c, i, j] >= 0:
                    ax.text(j, i, str(trace[c, i, j]), ha="center", va="center", fontsize=8,
                            color="white" if trace[c, i, j] > 0 else "black")
        busy = int((trace[c] >= 0).sum())
        ax.set_title(f"cycle {c}: {busy} busy", fontsize=9)
        ax.set_xticks(np.arange(-0.5, M, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, N, 1), minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    fig.suptitle(
        f"Output-stationary systolic array computing C = AB, A {N}×{K}, B {K}×{M}: "
        f"{cycles} = n + m + k − 2 cycles\n"
        "the number in PE (i, j) is the term s of A[i, s]·B[s, j] it accumulates in that cycle",
        fontsize=9.5,
    )
    return fig
