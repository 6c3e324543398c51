#!/usr/bin/env bash
# Every test: the README's first command's strict site build (notebooks executed), unit and
# oracle tests, gradient checks, the reader's path (the site's wheel in a fresh environment runs
# every code block of every page), and the browser tests against the site just built.
#
# The site is built as a newcomer builds it: `bash scripts/serve.sh --build` on a clean copy of
# the checkout (tracked files and untracked ones git does not ignore), in the fresh .venv that
# command makes there with the [docs] extra alone, so a dependency that the main job misses
# fails here. The build and the tests that do not need the site run side by side (one core
# each on a 2-core machine); the tests that use the site run in a second pytest process, which
# waits for the build (tests/conftest.py: site_dir), beside the rest. The command fails when any
# of the three fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# The build and two pytest processes share the cores: threads that wait for work sleep instead
# of spinning (OpenMP, used by numba's threading layer and by PyTorch), else a waiting thread
# takes a core from a working process. The Keras MNIST test took 134 s spinning, 41 s sleeping,
# beside two busy processes on 2 cores.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

# First, before anything else: the README's first command, as a newcomer runs it. A clean copy
# (no .venv, no notebook cache, no built package that could hide a missing step) builds the site
# with `bash scripts/serve.sh --build`, which makes its own .venv with the [docs] extra alone.
# It runs beside everything below; the site tests wait for it.
mkdir -p artifacts
build_log="$PWD/artifacts/mkdocs-build.log"
build_dir=$(mktemp -d)
clean="$build_dir/checkout"
mkdir "$clean"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
    [ -e "$file" ] && printf '%s\0' "$file"
done | xargs -0 cp --parents -t "$clean"
export GLOSSARY_SITE_DIR="$PWD/site"
export GLOSSARY_SITE_BUILD_STATUS="$build_dir/status" GLOSSARY_SITE_BUILD_LOG="$build_log"
# The exit status is written, then moved into place: site_dir never reads half of it.
( start=$(date +%s); status=0
  (cd "$clean" && env -u VIRTUAL_ENV bash scripts/serve.sh --build --clean --site-dir "$GLOSSARY_SITE_DIR") \
      >"$build_log" 2>&1 || status=$?
  echo "$(( $(date +%s) - start ))" >"$build_dir/seconds"
  echo "$status" >"$build_dir/status.tmp"; mv "$build_dir/status.tmp" "$build_dir/status" ) &
build_pid=$!
trap 'kill "$build_pid" 2>/dev/null || true; rm -rf "$build_dir"' EXIT
echo "bash scripts/serve.sh --build: started on a clean copy, in its own fresh .venv ([docs] alone; log: artifacts/mkdocs-build.log)"

source scripts/_env.sh test
export KERAS_BACKEND=torch NO_MKDOCS_2_WARNING=1
command_start=$(date +%s.%N)  # after the install: what the Performance page reports

# The browser tests drive Debian's chromium; never a browser downloaded by a tool.
if ! command -v chromium >/dev/null; then
    echo "Installing Debian's chromium for the browser tests ..."
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

test_status=0
if [ $# -eq 0 ]; then
    # The whole run, as two processes side by side (one core each): the tests of the built site,
    # which wait for the build above, and every other test. The site's tests write to a log
    # that is shown when both have ended. Each lists its slowest tests, to see where time goes.
    site_tests_log="$PWD/artifacts/site-tests.log"
    # The browser tests end before the others: the convolution and autodiff tests run after them in
    # this process (a session of their own, marked after_site by tests/conftest.py), so that both
    # processes end about together rather than one core waiting at the end.
    ( status=0
      python -m pytest tests -m built_site -p no:cacheprovider --durations=15 || status=$?
      python -m pytest tests -m after_site -p no:cacheprovider --durations=5 || status=$?
      exit "$status" ) >"$site_tests_log" 2>&1 &
    site_tests_pid=$!
    trap 'kill "$build_pid" "$site_tests_pid" 2>/dev/null || true; rm -rf "$build_dir"' EXIT
    echo "tests of the built site: started beside the others (log: artifacts/site-tests.log)"
    python -m pytest tests -m "not built_site and not after_site" --durations=15 || test_status=$?
    site_tests_status=0
    wait "$site_tests_pid" || site_tests_status=$?
    echo "---------------------------------------------------------------- tests of the built site"
    cat "$site_tests_log"
    [ "$site_tests_status" -eq 0 ] || test_status=$site_tests_status
else
    python -m pytest tests "$@" || test_status=$?
fi

wait "$build_pid" || true
build_status=$(cat "$build_dir/status" 2>/dev/null || echo "?")
if [ "$build_status" = "0" ]; then
    echo "site build (README's first command, fresh [docs] environment): ok, $(cat "$build_dir/seconds") s"
else
    cat "$build_log"
    echo "site build (README's first command, fresh [docs] environment): FAILED (exit status $build_status)"
    [ "$test_status" -ne 0 ] || test_status=1
fi
# The Performance page reports this wall time (after the install; benchmarks/site.py reads it).
if [ "$test_status" -eq 0 ] && [ $# -eq 0 ]; then  # a whole run only
    python - "$command_start" <<'PY'
import datetime, json, sys, time
seconds = time.time() - float(sys.argv[1])
finished = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
with open("artifacts/test-command.json", "w") as record:
    json.dump({"seconds": round(seconds, 1), "finished": finished}, record)
print(f"test command: {seconds:.0f} s (artifacts/test-command.json)")
PY
fi
exit "$test_status"
