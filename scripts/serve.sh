#!/usr/bin/env bash
# Build the site (notebooks executed, figures drawn, the package's wheel and sdist made) and
# serve it on 127.0.0.1. Installs only the [docs] extra into .venv.
#   bash scripts/serve.sh                  build and serve on http://127.0.0.1:${PORT:-8000}
#   bash scripts/serve.sh --build [ARGS]   the same build, written to disk (mkdocs build ARGS);
#                                          the test command runs it on a clean copy of the checkout
source "$(dirname "$0")/_env.sh" docs
export NO_MKDOCS_2_WARNING=1
if [ "${1-}" = "--build" ]; then
    shift
    exec mkdocs build --strict "$@"
fi
exec mkdocs serve --strict --dev-addr "127.0.0.1:${PORT:-8000}" "$@"
