"""The two slow commands of the project: the strict site build and the full test command.

The build is timed here, once (it takes minutes); the test command's time is read from
``artifacts/test-command.json``, which the test command writes when it finishes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import ROOT

TEST_RECORD = ROOT / "artifacts" / "test-command.json"


def build(skip: bool) -> dict:
    """``mkdocs build --strict`` into a scratch folder, every notebook executed (no notebook cache)."""
    if skip:
        return {"measured": False, "reason": "skipped (--skip-build or --quick)"}
    # Executed notebooks are cached here; a stale cache would hide the execution time.
    shutil.rmtree(ROOT / ".cache" / "mkdocs-jupyter", ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="glossary-bench-site-") as site:
        start = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", site],
            cwd=ROOT, capture_output=True, text=True,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "KERAS_BACKEND": "torch"},
        )
        seconds = time.perf_counter() - start
    if completed.returncode != 0:
        return {"measured": False, "reason": f"the build failed (exit {completed.returncode})",
                "stderr_tail": completed.stderr[-2000:]}
    return {"measured": True, "command": "mkdocs build --strict", "seconds": seconds, "repeats": 1}


def test_command(path: Path = TEST_RECORD) -> dict:
    if not path.is_file():
        return {"measured": False, "reason": "not measured in this run"}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return {"measured": True, "command": "bash scripts/test.sh", "seconds": float(record["seconds"]),
                "finished": str(record["finished"])}
    except (ValueError, KeyError, TypeError):
        return {"measured": False, "reason": f"{path.name} is unreadable"}
