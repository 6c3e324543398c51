"""Run every benchmark on this machine; write the results file and the Performance page.

    bash scripts/bench.sh                 # full run: benchmarks/results/latest.json, docs/performance.md
    bash scripts/bench.sh --quick         # smoke run, tiny sizes, into a temporary folder
    bash scripts/bench.sh --render        # rewrite the page from the committed results (after editing notes)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import api, chapter2_mlp, coldstart, machine, optimizers, rbf, report, site, softmax_ce
from benchmarks.timing import threads

ROOT = machine.ROOT
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
PAGE = ROOT / "docs" / "performance.md"
COMMAND = "bash scripts/bench.sh"
SCHEMA = 1

# Sizes and repetitions. The full sizes are the project's stated workloads; the triad's
# arrays (256 MiB each) are far larger than any L3 cache, so it measures memory.
FULL = {
    "triad_n": 2**25, "triad_repeats": 10, "sgemm_n": 4096, "sgemm_repeats": 5,
    "optimizer_n": 10_000_000, "optimizer_repeats": 15,
    "softmax_shape": (4096, 1000), "softmax_repeats": 15,
    "rbf_shape": (4000, 128), "rbf_repeats": 7,
    "mlp_samples": 60_000, "mlp_repeats": 5,
    "cold_repeats": 7,
    "api_budget_s": 1.0, "api_rounds": 5, "api_sizes": ("reader", "large"), "api_passes": 3,
}
QUICK = {
    "triad_n": 2**20, "triad_repeats": 2, "sgemm_n": 256, "sgemm_repeats": 2,
    "optimizer_n": 100_000, "optimizer_repeats": 2,
    "softmax_shape": (256, 100), "softmax_repeats": 2,
    "rbf_shape": (300, 16), "rbf_repeats": 2,
    "mlp_samples": 512, "mlp_repeats": 1,
    "cold_repeats": 2,
    "api_budget_s": 0.01, "api_rounds": 2, "api_sizes": ("reader",), "api_passes": 2,
}


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=COMMAND, description="Run every benchmark of glossary-dl on this machine.")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, 1-2 repetitions, no site build; writes into a temporary folder")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for results.json and performance.md (default: the committed files; "
                             "a new temporary folder with --quick)")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="threads for numba, torch and numpy's BLAS (default: every usable core)")
    parser.add_argument("--skip-build", action="store_true", help="do not time `mkdocs build --strict`")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: rewrite docs/performance.md from the committed results and notes")
    return parser.parse_args(argv)


def main(argv=None) -> dict | None:
    args = parse(argv)
    if args.render:
        write_page(json.loads(RESULTS.read_text(encoding="utf-8")), PAGE)
        print(f"rewrote {PAGE.relative_to(ROOT)} from {RESULTS.relative_to(ROOT)}")
        return None
    results_path, page_path = _outputs(args)
    results = measure(args, QUICK if args.quick else FULL)
    results["site"] = {"build": {"measured": False, "reason": "pending: timed after the benchmarks"},
                       "test_command": site.test_command()}
    _write(results, results_path, page_path)
    # Timed last, against the page just written, so the build can never see half a result.
    results["site"]["build"] = site.build(skip=args.quick or args.skip_build)
    _write(results, results_path, page_path)
    print(f"results: {results_path}\npage:    {page_path}")
    return results


def _outputs(args) -> tuple[Path, Path]:
    if args.out is None:
        if not args.quick:
            return RESULTS, PAGE
        args.out = Path(tempfile.mkdtemp(prefix="glossary-bench-"))
    out = args.out.resolve()
    if args.quick and out in (RESULTS.parent.resolve(), PAGE.parent.resolve()):
        sys.exit("--quick never writes over the committed results or page; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    return out / "results.json", out / "performance.md"


def measure(args, sizes: dict) -> dict:
    started = time.perf_counter()
    with threads(args.threads):
        results = {
            "schema": SCHEMA,
            "mode": "quick" if args.quick else "full",
            "command": COMMAND + (" --quick" if args.quick else ""),
            "sizes": {key: list(v) if isinstance(v, tuple) else v for key, v in sizes.items()},
            "machine": machine.describe(args.threads),
        }
        limits = _limits(sizes)
        results["limits"] = limits
        results["workloads"] = _workloads(sizes, limits)
        _say("every public function")
        results["api"] = api.run(sizes["api_budget_s"], sizes["api_rounds"], sizes=sizes["api_sizes"],
                                 passes=sizes["api_passes"], say=_say)
    results["elapsed_s"] = time.perf_counter() - started
    return results


def _limits(sizes: dict) -> dict:
    _say("machine limits: STREAM triad")
    triad = machine.triad(sizes["triad_n"], sizes["triad_repeats"])
    _say(f"  triad {triad['gb_per_s']['numba']:.1f} GB/s; SGEMM {sizes['sgemm_n']}²")
    gemm = machine.sgemm(sizes["sgemm_n"], sizes["sgemm_repeats"])
    _say(f"  SGEMM {gemm['gflop_per_s']['numpy']:.0f} GFLOP/s")
    return {"triad": triad, "sgemm": gemm}


def _workloads(sizes: dict, limits: dict) -> list[dict]:
    triad = limits["triad"]["gb_per_s"]["numba"]
    rate = limits["sgemm"]["gflop_per_s"]["numpy"]
    steps = [
        ("optimizer steps", lambda: optimizers.run(sizes["optimizer_n"], sizes["optimizer_repeats"], triad)),
        ("softmax cross-entropy", lambda: softmax_ce.run(*sizes["softmax_shape"], sizes["softmax_repeats"])),
        ("RBF Gram matrix", lambda: rbf.run(*sizes["rbf_shape"], sizes["rbf_repeats"])),
        ("chapter-2 MLP epoch", lambda: chapter2_mlp.run(sizes["mlp_samples"], sizes["mlp_repeats"], rate)),
        ("cold start", lambda: coldstart.run(sizes["cold_repeats"])),
    ]
    workloads = []
    for label, step in steps:
        _say(label)
        workload = step()
        for case in workload["cases"]:
            verdicts = ", ".join(f"{g['goal']}: {g['shown']} ({'met' if g['met'] else 'not met'})"
                                 for g in case["goals"])
            _say(f"  {case['name']}: {verdicts}")
        workloads.append(workload)
    return workloads


def _write(results: dict, results_path: Path, page_path: Path) -> None:
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_page(results, page_path)


def write_page(results: dict, page_path: Path) -> None:
    page_path.write_text(report.render(results, report.load_notes()), encoding="utf-8")


def _say(text: str) -> None:
    print(text, flush=True)
