#!/usr/bin/env bash
# Line coverage of src/glossary_dl with the compiled loops run as plain Python
# (NUMBA_DISABLE_JIT=1), so the lines inside every @njit _*_loop count.
# Tests marked slow (pure-Python loops are ~100x slower) and the oracle-free
# browser/site/docs tests are left out; the hostile-input cases run with fewer
# examples (they test the Python boundary, which the module tests cover too).
# Plain-Python loops make NumPy scalars warn on overflow/NaN where the compiled
# loops are silent, so RuntimeWarning is ignored in this run only (the normal
# run keeps warnings as errors).
# Usage: bash scripts/coverage.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
export KERAS_BACKEND=torch NUMBA_DISABLE_JIT=1 HOSTILE_MAX_EXAMPLES=${HOSTILE_MAX_EXAMPLES:-10}
start=$(date +%s)
status=0
"$PY" -m pytest -q -p no:cacheprovider tests \
    --ignore=tests/test_site_browser.py --ignore=tests/test_site_links.py \
    --deselect tests/test_hostile.py::test_verification_record_is_current \
    -m "not slow" \
    -W "ignore::RuntimeWarning" \
    --cov=glossary_dl --cov-report=term-missing:skip-covered --cov-fail-under="${COVERAGE_MIN:-95}" "$@" || status=$?
echo "coverage run: $(( $(date +%s) - start )) s"
exit "$status"
