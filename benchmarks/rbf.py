"""RBF Gram matrix K_ij = exp(−γ‖x_i − x_j‖²) of one float64 data set, γ = 1/d.

Ours against scikit-learn's ``rbf_kernel`` (the goal), NumPy's expansion
‖x‖² + ‖y‖² − 2x·y with one BLAS product, and torch's ``cdist`` squared.
"""

from __future__ import annotations

import numpy as np

from benchmarks.timing import check_same, interleaved, ratio

SKLEARN_GOAL = 1.0


def run(n: int, d: int, repeats: int) -> dict:
    import torch
    from sklearn.metrics.pairwise import rbf_kernel as sklearn_rbf

    from glossary_dl.kernels import rbf_kernel

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    gamma = 1.0 / d
    tX = torch.from_numpy(X)
    candidates = {
        "ours": lambda: rbf_kernel(X),
        "sklearn": lambda: sklearn_rbf(X),
        "numpy": lambda: _numpy(X, gamma),
        "torch": lambda: torch.exp(torch.cdist(tX, tX).square_().mul_(-gamma)).numpy(),
    }
    # The expansion loses digits to cancellation on near points: an absolute tolerance.
    check = check_same({name: run() for name, run in candidates.items()}, "ours",
                       rtol=1e-9, atol=1e-11, what="K")
    timings = interleaved(candidates, repeats)
    speedup = ratio(timings["sklearn"], timings["ours"])
    return {
        "id": "rbf-kernel",
        "title": "RBF Gram matrix",
        "size": f"X {n:,} × {d} float64, K {n:,} × {n:,}",
        "cases": [{
            "name": "rbf_kernel",
            "check": check,
            "timings": timings,
            "metrics": {"speedup_vs_sklearn": speedup, "speedup_vs_torch": ratio(timings["torch"], timings["ours"])},
            "goals": [{
                "goal": f"≥ {SKLEARN_GOAL}× scikit-learn", "value": speedup, "shown": f"{speedup:.2f}×",
                "met": speedup >= SKLEARN_GOAL,
                "why_not": (
                    f"ours took {timings['ours']['median_s'] * 1e3:.0f} ms, scikit-learn's rbf_kernel "
                    f"{timings['sklearn']['median_s'] * 1e3:.0f} ms (one BLAS product X·Xᵀ, then exp), "
                    f"NumPy's expansion {timings['numpy']['median_s'] * 1e3:.0f} ms: {speedup:.2f}×."
                ),
            }],
        }],
    }


def _numpy(X, gamma):
    squares = np.einsum("ij,ij->i", X, X)
    K = X @ X.T
    K *= -2.0
    K += squares[:, None]
    K += squares[None, :]
    np.maximum(K, 0.0, out=K)
    K *= -gamma
    return np.exp(K, out=K)
