#!/usr/bin/env bash
# Every benchmark on this machine: writes benchmarks/results/latest.json and
# docs/performance.md (see benchmarks/run.py; --quick for a smoke run into a
# temporary folder, --render to rewrite the page from the committed results).
source "$(dirname "$0")/_env.sh" test
export KERAS_BACKEND=torch NO_MKDOCS_2_WARNING=1
# numba's and torch's thread pools take turns on the same cores: a pool that spins after its call
# (OpenMP's default) slows the other library's next call, whichever it is
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
exec python -m benchmarks "$@"
