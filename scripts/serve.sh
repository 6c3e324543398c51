#!/usr/bin/env bash
# Build the site (notebooks executed, figures drawn) and serve it on 127.0.0.1.
source "$(dirname "$0")/_env.sh" docs
exec mkdocs serve --strict --dev-addr "127.0.0.1:${PORT:-8000}" "$@"
