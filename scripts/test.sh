#!/usr/bin/env bash
# Every test: unit, oracle conformance, gradient checks, the docs' code blocks,
# then the strict site build with every notebook executed.
source "$(dirname "$0")/_env.sh" test
export KERAS_BACKEND=torch
# The notebook cache must never hide a notebook that no longer runs.
rm -rf .cache/mkdocs-jupyter
python -m pytest tests docs --codeblocks "$@"
mkdocs build --strict --clean --site-dir site
echo "mkdocs build --strict: ok"
