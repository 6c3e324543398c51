#!/usr/bin/env bash
# Every test: the strict site build (notebooks executed), then unit and oracle
# tests, gradient checks, every code block of every page, and the browser
# tests against the site just built.
source "$(dirname "$0")/_env.sh" test
export KERAS_BACKEND=torch NO_MKDOCS_2_WARNING=1

# The browser tests drive Debian's chromium; never a browser downloaded by a tool.
if ! command -v chromium >/dev/null; then
    echo "Installing Debian's chromium for the browser tests ..."
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

# The notebook cache must never hide a notebook that no longer runs.
rm -rf .cache/mkdocs-jupyter
mkdocs build --strict --clean --site-dir site
echo "mkdocs build --strict: ok"

export GLOSSARY_SITE_DIR="$PWD/site"
python -m pytest tests docs --codeblocks "$@"
