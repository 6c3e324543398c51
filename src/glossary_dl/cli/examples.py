"""Running a page's examples from the installed package, as a reader would.

Each example runs in its own Python process (the interpreter of this command), in a fresh
temporary folder, so it sees the installed package and nothing of a checkout; its standard output
is compared with the output the page shows.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from glossary_dl.cli.catalogue import Example

TIMEOUT_S = 600


@dataclass(frozen=True)
class Outcome:
    example: Example
    status: str  # "ok", "differs", "failed", "skipped"
    output: str = ""
    note: str = ""


def missing_modules(example: Example) -> list[str]:
    """The modules beyond the package that the example imports and this environment lacks."""
    return [m for m in example.modules if importlib.util.find_spec(m) is None]


def run_example(example: Example) -> Outcome:
    if example.skip:
        return Outcome(example, "skipped", note=f"skipped on the page: {example.skip}")
    if example.syntax != "python":
        return Outcome(example, "skipped", note=f"a {example.syntax} block: run it in a shell")
    missing = missing_modules(example)
    if missing:
        extras = ",".join(example.needs)
        return Outcome(example, "skipped",
                       note=f"needs {', '.join(missing)}: pip install \"glossary-dl[{extras}]\"")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg"}
    env.setdefault("KERAS_BACKEND", "torch")  # the backend the pages' Keras blocks were checked with
    with tempfile.TemporaryDirectory(prefix="glossary-dl-") as folder:
        try:
            done = subprocess.run([sys.executable, "-c", example.code], cwd=folder, env=env,
                                  capture_output=True, text=True, encoding="utf-8", timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return Outcome(example, "failed", note=f"no result after {TIMEOUT_S} s")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        return Outcome(example, "failed", output=done.stdout, note=f"exit status {done.returncode}: {last}")
    if example.expected is None:
        return Outcome(example, "ok", output=done.stdout, note="ran (the page shows no output)")
    status = "ok" if done.stdout == example.expected else "differs"
    return Outcome(example, status, output=done.stdout)
