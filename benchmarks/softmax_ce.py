"""Softmax cross-entropy, forward and backward: the mean loss and its gradient on the logits.

Ours returns (loss, grad) in one call; NumPy computes the same two arrays with
vectorised expressions; PyTorch runs ``F.cross_entropy`` on a leaf that requires
grad and ``.backward()``, so its time includes the gradient, as ours does.
"""

from __future__ import annotations

import numpy as np

from benchmarks.timing import check_same, interleaved, ratio

TORCH_GOAL = 1.0


def run(n: int, classes: int, repeats: int) -> dict:
    import torch

    from glossary_dl.backprop import softmax_cross_entropy

    rng = np.random.default_rng(0)
    logits = rng.standard_normal((n, classes), dtype=np.float32) * np.float32(3)
    labels = rng.integers(0, classes, n)
    torch_labels = torch.from_numpy(labels)
    candidates = {
        "ours": lambda: softmax_cross_entropy(logits, labels),
        "numpy": lambda: _numpy(logits, labels),
        "torch": lambda: _torch(torch.from_numpy(logits), torch_labels),
    }
    # float32 exponentials and sums in different orders; the loss is a mean of n terms.
    check = check_same({name: run() for name, run in candidates.items()}, "ours",
                       rtol=1e-5, atol=1e-8, what="(loss, ∂loss/∂logits)")
    timings = interleaved(candidates, repeats)
    speedup = ratio(timings["torch"], timings["ours"])
    return {
        "id": "softmax-cross-entropy",
        "title": "Softmax cross-entropy, forward + backward",
        "size": f"logits {n:,} × {classes:,} float32, labels int64",
        "cases": [{
            "name": "softmax_cross_entropy",
            "check": check,
            "timings": timings,
            "metrics": {"speedup_vs_torch": speedup},
            "goals": [{
                "goal": f"≥ {TORCH_GOAL}× PyTorch", "value": speedup, "shown": f"{speedup:.2f}×",
                "met": speedup >= TORCH_GOAL,
                "why_not": (
                    f"ours took {timings['ours']['median_s'] * 1e3:.2f} ms for the loss and the gradient, "
                    f"F.cross_entropy + backward() {timings['torch']['median_s'] * 1e3:.2f} ms, "
                    f"NumPy {timings['numpy']['median_s'] * 1e3:.2f} ms: {speedup:.2f}× PyTorch."
                ),
            }],
        }],
    }


def _numpy(logits, labels):
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = np.mean(np.log(total[:, 0]) - shifted[rows, labels], dtype=np.float64)
    grad = exp / total
    grad[rows, labels] -= 1
    grad /= n
    return logits.dtype.type(loss), grad


def _torch(logits, labels):
    import torch.nn.functional as F

    logits.requires_grad_(True)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    return loss.detach().numpy(), logits.grad.numpy()
