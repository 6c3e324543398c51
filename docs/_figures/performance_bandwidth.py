"""Performance page: the optimizer steps' memory bandwidth against the triad, from the committed results."""

import sys
from pathlib import Path

# The drawing lives with the benchmarks, next to the results it reads.
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
from benchmarks import figures  # noqa: E402


def make_figure():
    return figures.bandwidth(figures.load())
