"""Cold start: a new Python process imports a module and makes its first call.

A warm-up process fills numba's on-disk cache first, so the timed processes load
compiled code instead of compiling it. Ours runs twice: as a reader who ran
``pip install glossary-dl`` has it (numpy and numba only), and in this project's test
environment, where SciPy is installed too and numba imports ``scipy.linalg`` (looking for a
BLAS) the first time it loads any compiled function. The runtime-only child hides SciPy
from the import system (``sys.modules["scipy"] = None``) so that both run in one venv. Each child reports its own import and first-call
times; the parent measures the whole process, interpreter start-up included. NumPy and
torch children, interleaved with ours, show what the interpreter and those imports cost
on this machine.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from benchmarks.machine import ROOT

GOAL_S = 0.5

_CHILD = """
import json, time
start = time.perf_counter()
{imports}
imported = time.perf_counter()
{call}
called = time.perf_counter()
print(json.dumps({{"import_s": imported - start, "first_call_s": called - imported}}))
"""

_OURS = ("import numpy as np\nimport glossary_dl.losses as losses",
         "losses.mean_squared_error(np.zeros(8), np.ones(8))")
_WITHOUT_SCIPY = 'import sys\nsys.modules["scipy"] = None  # as in a numpy + numba install\n'

CHILDREN = {
    "ours": (_WITHOUT_SCIPY + _OURS[0], _OURS[1]),
    "ours_with_scipy": _OURS,
    "numpy": ("import numpy as np", "np.square(np.ones(8)).mean()"),
    "torch": ("import torch", "torch.square(torch.ones(8)).mean()"),
}
LABELS = {
    "ours": "import glossary_dl.losses; mean_squared_error(...), numpy + numba only (SciPy hidden)",
    "ours_with_scipy": "the same with SciPy installed (the test environment)",
    "numpy": "import numpy; np.square(...).mean()",
    "torch": "import torch; torch.square(...).mean()",
}


def run(repeats: int) -> dict:
    _child("ours")  # fills (or refreshes) numba's cache
    samples = {name: [] for name in CHILDREN}
    for _ in range(repeats):
        for name in CHILDREN:
            samples[name].append(_child(name))
    per_child = {name: _summarise(values) for name, values in samples.items()}
    ours, with_scipy = per_child["ours"], per_child["ours_with_scipy"]
    return {
        "id": "cold-start",
        "title": "Cold start",
        "size": f"a new process, median of {repeats}, after a warm-up process filled numba's cache",
        "cases": [{
            "name": "new process",
            "children": {name: {"code": LABELS[name], **summary} for name, summary in per_child.items()},
            "goals": [{"goal": f"import + first call < {GOAL_S} s (in the process), numpy + numba only",
                       "value": ours["in_process_s"], "shown": f"{ours['in_process_s']:.3f} s",
                       "met": ours["in_process_s"] < GOAL_S,
                       "why_not": _why_not(per_child, "ours")},
                      {"goal": f"import + first call < {GOAL_S} s (in the process), SciPy installed",
                       "value": with_scipy["in_process_s"], "shown": f"{with_scipy['in_process_s']:.3f} s",
                       "met": with_scipy["in_process_s"] < GOAL_S,
                       "why_not": _why_not(per_child, "ours_with_scipy")
                       + " numba imports scipy.linalg on its first compiled call when SciPy is installed."}],
        }],
    }


def _why_not(per_child: dict, name: str) -> str:
    ours, numpy = per_child[name], per_child["numpy"]
    return (f"the import took {ours['import_s']:.3f} s (numpy alone: {numpy['import_s']:.3f} s) and the first "
            f"call {ours['first_call_s']:.3f} s; the whole process {ours['wall_s']:.3f} s.")


def _child(name: str) -> dict:
    imports, call = CHILDREN[name]
    start = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", _CHILD.format(imports=imports, call=call)],
                               cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    return {**json.loads(completed.stdout.strip().splitlines()[-1]), "wall_s": wall}


def _summarise(values: list[dict]) -> dict:
    median = {key: statistics.median(v[key] for v in values) for key in ("import_s", "first_call_s", "wall_s")}
    median["in_process_s"] = statistics.median(v["import_s"] + v["first_call_s"] for v in values)
    return {**median, "repeats": len(values), "samples": values}
