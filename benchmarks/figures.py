"""Figures of the Performance page, drawn from a results file (``docs/_figures/performance_*.py``)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.report import NAMES

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
COLORS = {"numpy": "#4c72b0", "torch": "#dd8452", "sklearn": "#55a868", "products": "#8172b3", "numba": "#937860"}
# Where the goal puts "ours vs this one", as every ratio of the page: the other's time ÷ ours. The
# MLP's goals (≤ 0.5× torch's time, ≤ 1.5× the products' time) are ≥ 2 and ≥ 0.67 in this form.
GOAL_MARKS = {
    ("optimizers", "torch"): 1.2, ("softmax-cross-entropy", "torch"): 1.0, ("rbf-kernel", "sklearn"): 1.0,
    ("chapter2-mlp", "torch"): 2.0, ("chapter2-mlp", "products"): 1 / 1.5,
}
SHORT = {"chapter2-mlp": "MLP epoch", "softmax-cross-entropy": "softmax CE", "rbf-kernel": "RBF Gram"}


def load(path: Path = RESULTS) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def speed(results: dict):
    """Horizontal bars: other's median ÷ ours (> 1: ours is faster), log scale, goals as ticks."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter

    rows = list(_speed_rows(results))
    figure, axis = plt.subplots(figsize=(7.5, 0.32 * len(rows) + 1.2))
    for y, (label, other, value, goal) in enumerate(rows):
        axis.barh(y, value, color=COLORS.get(other, "grey"), height=0.7)
        axis.text(value * 1.04, y, f"{value:.2f}×", va="center", fontsize=7)
        if goal is not None:
            axis.plot([goal, goal], [y - 0.42, y + 0.42], color="black", linewidth=2)
    axis.set_yticks(range(len(rows)), [label for label, *_ in rows], fontsize=8)
    axis.invert_yaxis()
    axis.set_xscale("log")
    axis.axvline(1.0, color="grey", linewidth=0.8, linestyle=":")
    low, high = min(min(r[2] for r in rows), 0.4) / 1.5, max(max(r[2] for r in rows), 2.5) * 2.0
    axis.set_xlim(low, high)
    # Round ratios as plain numbers: matplotlib's log-axis minor labels (2×10⁻¹ …) overlap.
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500) if low <= t <= high]
    axis.xaxis.set_major_locator(FixedLocator(ticks))
    axis.xaxis.set_major_formatter(FixedFormatter([f"{t:g}×" for t in ticks]))
    axis.xaxis.set_minor_formatter(NullFormatter())
    axis.set_xlabel("other's median time ÷ ours  (> 1: ours is faster; black tick: the goal)")
    axis.set_title(_title(results), fontsize=9)
    figure.tight_layout()
    return figure


def _speed_rows(results: dict):
    for workload in results["workloads"]:
        for case in workload["cases"]:
            timings = case.get("timings")
            if not timings or "ours" not in timings:
                continue
            name = case["name"] if len(workload["cases"]) > 1 else SHORT.get(workload["id"], workload["title"])
            for other, t in timings.items():
                if other != "ours":
                    value = t["median_s"] / timings["ours"]["median_s"]
                    label = "its products alone" if other == "products" else NAMES[other]
                    if other == "torch" and case.get("torch_slower_path"):
                        label += " foreach (no fused kernel)"
                    yield f"{name} vs {label}", other, value, GOAL_MARKS.get((workload["id"], other))


def bandwidth(results: dict):
    """Optimizer steps' effective GB/s per implementation, with the triad and 85 % of it as lines."""
    import matplotlib.pyplot as plt
    import numpy as np

    triad = results["limits"]["triad"]["gb_per_s"]
    cases = next(w for w in results["workloads"] if w["id"] == "optimizers")["cases"]
    names = list(cases[0]["metrics"]["bandwidth_gb_per_s"])
    figure, axis = plt.subplots(figsize=(7.5, 3.4))
    width = 0.8 / len(names)
    x = np.arange(len(cases))
    for i, name in enumerate(names):
        values = [c["metrics"]["bandwidth_gb_per_s"][name] for c in cases]
        axis.bar(x + (i - (len(names) - 1) / 2) * width, values, width, label=NAMES[name],
                 color=COLORS.get(name, "#c44e52"))
    axis.axhline(triad["numba"], color="black", linewidth=1, label=f"triad, numba {triad['numba']:.1f} GB/s")
    axis.axhline(0.85 * triad["numba"], color="black", linewidth=1, linestyle="--", label="goal: 85 % of the triad")
    axis.set_xticks(x, [c["name"] for c in cases], fontsize=8)
    axis.set_ylabel("GB/s (arrays read + written × 4 B × N)")
    axis.legend(fontsize=7, loc="upper right", ncols=2)
    axis.set_ylim(0, max(triad["numba"], *(v for c in cases for v in c["metrics"]["bandwidth_gb_per_s"].values())) * 1.35)
    axis.set_title(_title(results), fontsize=9)
    figure.tight_layout()
    return figure


def _title(results: dict) -> str:
    m = results["machine"]
    return f"{m['cpu_model']}, {m['threads']} thread(s), {m['date'][:10]}" + (" — quick mode" if results["mode"] == "quick" else "")
