"""The machine a run measured, and its limits: STREAM-triad bandwidth and SGEMM rate.

The workloads' goals are stated against these two numbers, measured in the same run,
so that a result reads as "how close to what this machine can do", not as seconds.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np
from numba import njit, prange

from benchmarks.timing import check_same, interleaved

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("glossary-dl", "numpy", "numba", "torch", "scikit-learn", "threadpoolctl", "mkdocs")


# ---------------------------------------------------------------- description
def describe(threads: int) -> dict:
    import numba

    return {
        "cpu_model": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "threads": threads,
        "numba_threading_layer": _numba_threading_layer(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(not set: the runtimes' default)"),
        "numba_max_threads": numba.config.NUMBA_NUM_THREADS,
        "numpy_blas": _numpy_blas(),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "versions": {name: _version(name) for name in PACKAGES},
        "git_commit": _git_commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _numpy_blas() -> dict:
    from threadpoolctl import threadpool_info

    # threadpoolctl lists every BLAS in the process (torch may bring its own): keep numpy's.
    for pool in threadpool_info():
        if pool.get("user_api") == "blas" and "numpy" in pool.get("filepath", ""):
            return {key: pool.get(key) for key in ("internal_api", "version", "architecture", "threading_layer")}
    return {"internal_api": "unknown"}


def _numba_threading_layer() -> str:
    import numba

    _triad_loop(np.zeros(4), np.zeros(4), np.zeros(4), 1.0)  # the layer is chosen on first parallel run
    return numba.threading_layer()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (src/ modified)" if dirty else "")


# ---------------------------------------------------------------- STREAM triad
@njit(cache=True, parallel=True)
def _triad_loop(a, b, c, s):
    for i in prange(a.size):
        a[i] = b[i] + s * c[i]


def triad(n: int, repeats: int) -> dict:
    """a = b + s·c on float64 arrays; bytes counted as STREAM does, 3 arrays × 8 B per element."""
    import torch

    s = 3.0
    rng = np.random.default_rng(0)
    b, c = rng.random(n), rng.random(n)
    a = {name: np.zeros(n) for name in ("numba", "numpy", "torch")}
    tb, tc, ta = torch.from_numpy(b), torch.from_numpy(c), torch.from_numpy(a["torch"])
    candidates = {
        "numba": lambda: _triad_loop(a["numba"], b, c, s),
        "numpy": lambda: _numpy_triad(a["numpy"], b, c, s),
        "torch": lambda: torch.add(tb, tc, alpha=s, out=ta),
    }
    for run in candidates.values():
        run()
    check = check_same(a, "numba", rtol=1e-15, atol=0.0, what="a = b + s·c")
    timings = interleaved(candidates, repeats)
    nbytes = 3 * 8 * n
    return {
        "n": n,
        "bytes": nbytes,
        "array_mib": 8 * n / 2**20,
        "check": check,
        "timings": timings,
        "gb_per_s": {name: nbytes / t["median_s"] / 1e9 for name, t in timings.items()},
    }


def _numpy_triad(a, b, c, s):
    # Two passes over memory (numpy has no fused multiply-add ufunc); counted as one triad.
    np.multiply(c, s, out=a)
    a += b


# ---------------------------------------------------------------- SGEMM
def sgemm(n: int, repeats: int) -> dict:
    """C = A·B in float32, n × n: 2·n³ floating-point operations."""
    import torch

    rng = np.random.default_rng(1)
    A = rng.standard_normal((n, n), dtype=np.float32)
    B = rng.standard_normal((n, n), dtype=np.float32)
    out = {"numpy": np.empty((n, n), np.float32), "torch": np.empty((n, n), np.float32)}
    tA, tB, tC = torch.from_numpy(A), torch.from_numpy(B), torch.from_numpy(out["torch"])
    candidates = {
        "numpy": lambda: np.matmul(A, B, out=out["numpy"]),
        "torch": lambda: torch.matmul(tA, tB, out=tC),
    }
    for run in candidates.values():
        run()
    # float32 sums of n products in different orders: relative errors grow like √n·2⁻²⁴.
    check = check_same(out, "numpy", rtol=1e-4, atol=1e-3 * np.sqrt(n), what="C = A·B")
    timings = interleaved(candidates, repeats)
    flops = 2 * n**3
    return {
        "n": n,
        "flops": flops,
        "check": check,
        "timings": timings,
        "gflop_per_s": {name: flops / t["median_s"] / 1e9 for name, t in timings.items()},
    }
