"""Optimizer step: one in-place update of N float32 parameters held in one array.

Ours (`glossary_dl.optimizers`), NumPy (in-place ufuncs with one scratch array), and
`torch.optim` with ``fused=True`` where torch offers it on the CPU, else ``foreach=True``.
The step is memory-bound, so the goal is stated as a fraction of the measured triad
bandwidth, counting each array read once and each array written once.
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks.timing import check_same, interleaved, ratio

# arrays read + arrays written per element: θ, g and the state in; θ and the state out
TRAFFIC = {"SGD(momentum=0.9)": 5, "RMSprop()": 5, "Adagrad()": 5, "Adam()": 7}
BANDWIDTH_GOAL = 0.85
TORCH_GOAL = 1.2
# torch puts ε outside the square root (RMSprop, Adagrad) or applies the bias correction
# differently (Adam); with |g| ≥ 0.5 both forms agree to float32 rounding.
RTOL, ATOL = 2e-6, 1e-6


def _spec(name: str):
    """Ours, the NumPy step and the torch optimizer class with the same hyper-parameters."""
    import torch

    from glossary_dl import optimizers

    return {
        "SGD(momentum=0.9)": (lambda: optimizers.SGD(learning_rate=0.01, momentum=0.9), _NumpySGD,
                              torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}),
        "RMSprop()": (optimizers.RMSprop, _NumpyRMSprop, torch.optim.RMSprop,
                      {"lr": 1e-3, "alpha": 0.9, "eps": 1e-7}),
        "Adagrad()": (optimizers.Adagrad, _NumpyAdagrad, torch.optim.Adagrad,
                      {"lr": 1e-3, "initial_accumulator_value": 0.1, "eps": 1e-7}),
        "Adam()": (optimizers.Adam, _NumpyAdam, torch.optim.Adam,
                   {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7}),
    }[name]


def run(n: int, repeats: int, triad_gb_per_s: float) -> dict:
    rng = np.random.default_rng(0)
    theta0 = rng.standard_normal(n, dtype=np.float32)
    # |g| in [0.5, 1.5]: away from 0, where the ε conventions of the frameworks differ
    g = (rng.uniform(0.5, 1.5, n) * rng.choice([-1.0, 1.0], n)).astype(np.float32)
    cases = [_case(name, theta0, g, repeats, triad_gb_per_s) for name in TRAFFIC]
    return {
        "id": "optimizers",
        "title": "Optimizer step",
        "size": f"{n:,} float32 parameters in one array",
        "cases": cases,
    }


def _case(name: str, theta0, g, repeats: int, triad_gb_per_s: float) -> dict:
    import torch

    make_ours, numpy_cls, torch_cls, torch_kwargs = _spec(name)
    ours, ours_theta = make_ours(), theta0.copy()
    numpy_step = numpy_cls(theta0.copy())
    torch_param = torch.nn.Parameter(torch.from_numpy(theta0.copy()))
    torch_param.grad = torch.from_numpy(g.copy())
    torch_opt, variant = _torch_optimizer(torch_cls, torch_param, torch_kwargs)
    candidates = {
        "ours": lambda: ours.apply([ours_theta], [g]),
        "numpy": lambda: numpy_step(g),
        "torch": torch_opt.step,
    }
    for step in candidates.values():
        step()
    check = check_same(
        {"ours": ours_theta, "numpy": numpy_step.theta, "torch": torch_param.detach().numpy()},
        "ours", RTOL, ATOL, "θ after the first step",
    )
    timings = interleaved(candidates, repeats)
    traffic = TRAFFIC[name] * 4 * theta0.size
    bandwidth = traffic / timings["ours"]["median_s"] / 1e9
    speedup = ratio(timings["torch"], timings["ours"])
    torch_label = f"{torch_cls.__name__}({variant})"
    # foreach is not the fused single pass the others get: the page says so wherever the ratio shows
    slower_path = variant.startswith("foreach")
    if slower_path:
        torch_label += ", a slower path: this torch has no fused CPU kernel for it"
    return {
        "name": name,
        "torch_variant": f"torch.optim.{torch_cls.__name__}({variant})",
        "torch_slower_path": slower_path,
        "bytes_per_step": traffic,
        "check": check,
        "timings": timings,
        "metrics": {
            "bandwidth_gb_per_s": {k: traffic / t["median_s"] / 1e9 for k, t in timings.items()},
            "bandwidth_fraction_of_triad": bandwidth / triad_gb_per_s,
            "speedup_vs_torch": speedup,
        },
        "goals": [_bandwidth_goal(name, traffic, timings, triad_gb_per_s),
                  _torch_goal(torch_label, timings, speedup)],
    }


def _bandwidth_goal(name: str, traffic: int, timings: dict, triad_gb_per_s: float) -> dict:
    gbs = {k: traffic / t["median_s"] / 1e9 for k, t in timings.items()}
    fraction = gbs["ours"] / triad_gb_per_s
    return {
        "goal": f"bandwidth ≥ {BANDWIDTH_GOAL:.0%} of the triad's",
        "value": fraction,
        "shown": f"{gbs['ours']:.1f} GB/s = {fraction:.0%} of {triad_gb_per_s:.1f} GB/s",
        "met": fraction >= BANDWIDTH_GOAL,
        "why_not": (
            f"{name} moves {TRAFFIC[name]} × 4 B × N = {traffic / 1e6:.0f} MB per step; ours took "
            f"{timings['ours']['median_s'] * 1e3:.1f} ms ({gbs['ours']:.1f} GB/s), where the triad "
            f"streams {triad_gb_per_s:.1f} GB/s and the same traffic would take "
            f"{traffic / triad_gb_per_s / 1e6:.1f} ms; NumPy reached {gbs['numpy']:.1f} GB/s, "
            f"torch {gbs['torch']:.1f} GB/s."
        ),
    }


def _torch_goal(torch_label: str, timings: dict, speedup: float) -> dict:
    return {
        "goal": f"≥ {TORCH_GOAL}× faster than {torch_label}",
        "value": speedup,
        "shown": f"{speedup:.2f}×",
        "met": speedup >= TORCH_GOAL,
        "why_not": (
            f"{torch_label} took {timings['torch']['median_s'] * 1e3:.1f} ms per step, ours "
            f"{timings['ours']['median_s'] * 1e3:.1f} ms: {speedup:.2f}×, short of {TORCH_GOAL}×."
        ),
    }


def _torch_optimizer(cls, param, kwargs):
    """``fused=True`` where this torch build runs it on the CPU, else ``foreach=True``."""
    import torch

    # Tried on a throwaway parameter: some builds accept the flag and fail only at step().
    probe = torch.nn.Parameter(torch.zeros(1))
    probe.grad = torch.zeros(1)
    try:
        cls([probe], **kwargs, fused=True).step()
    except (TypeError, RuntimeError, ValueError):
        return cls([param], **kwargs, foreach=True), "foreach=True"
    return cls([param], **kwargs, fused=True), "fused=True"


# ---------------------------------------------------------------- NumPy steps
# Keras' update rules with in-place ufuncs and one scratch array: no allocation per step.
class _NumpyStep:
    def __init__(self, theta):
        self.theta = theta
        self.tmp = np.empty_like(theta)


class _NumpySGD(_NumpyStep):
    lr, mu = np.float32(0.01), np.float32(0.9)

    def __init__(self, theta):
        super().__init__(theta)
        self.m = np.zeros_like(theta)

    def __call__(self, g):
        # m ← μ·m − η·g ;  θ ← θ + m
        np.multiply(g, self.lr, out=self.tmp)
        self.m *= self.mu
        self.m -= self.tmp
        self.theta += self.m


class _NumpyRMSprop(_NumpyStep):
    lr, rho, eps = np.float32(1e-3), np.float32(0.9), np.float32(1e-7)

    def __init__(self, theta):
        super().__init__(theta)
        self.v = np.zeros_like(theta)

    def __call__(self, g):
        # v ← ρ·v + (1 − ρ)·g² ;  θ ← θ − η·g / √(v + ε)
        tmp = self.tmp
        self.v *= self.rho
        np.multiply(g, g, out=tmp)
        tmp *= np.float32(1) - self.rho
        self.v += tmp
        np.add(self.v, self.eps, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= self.lr
        self.theta -= tmp


class _NumpyAdagrad(_NumpyStep):
    lr, eps = np.float32(1e-3), np.float32(1e-7)

    def __init__(self, theta):
        super().__init__(theta)
        self.G = np.full_like(theta, 0.1)

    def __call__(self, g):
        # G ← G + g² ;  θ ← θ − η·g / √(G + ε)
        tmp = self.tmp
        np.multiply(g, g, out=tmp)
        self.G += tmp
        np.add(self.G, self.eps, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= self.lr
        self.theta -= tmp


class _NumpyAdam(_NumpyStep):
    lr, beta_1, beta_2, eps = 1e-3, np.float32(0.9), np.float32(0.999), np.float32(1e-7)

    def __init__(self, theta):
        super().__init__(theta)
        self.m, self.v, self.t = np.zeros_like(theta), np.zeros_like(theta), 0

    def __call__(self, g):
        # m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g² ;  θ ← θ − α_t·m / (√v + ε)
        tmp = self.tmp
        self.t += 1
        self.m *= self.beta_1
        np.multiply(g, np.float32(1) - self.beta_1, out=tmp)
        self.m += tmp
        self.v *= self.beta_2
        np.multiply(g, g, out=tmp)
        tmp *= np.float32(1) - self.beta_2
        self.v += tmp
        alpha = self.lr * math.sqrt(1 - 0.999**self.t) / (1 - 0.9**self.t)
        np.sqrt(self.v, out=tmp)
        tmp += self.eps
        np.divide(self.m, tmp, out=tmp)
        tmp *= np.float32(alpha)
        self.theta -= tmp
