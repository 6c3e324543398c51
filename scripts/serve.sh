#!/usr/bin/env bash
# Build the site (notebooks executed, figures drawn, the package's wheel and sdist made) and
# serve it on 127.0.0.1. Installs only the [docs] extra (and the site's machinery) into .venv.
# The steps apart from the generator (site_machinery/glossary_site): the figures are drawn
# before the build; the built site's stylesheets are shared and purged and it is checked to load
# nothing from another host after it (the MkDocs hook also runs both; a second run is a no-op).
#   bash scripts/serve.sh                  build and serve on http://127.0.0.1:${PORT:-8000}
#   bash scripts/serve.sh --build [ARGS]   the same build, written to disk (mkdocs build ARGS);
#                                          the test command runs it on a clean copy of the checkout
source "$(dirname "$0")/_env.sh" docs
export NO_MKDOCS_2_WARNING=1

# The folder `mkdocs build ARGS` writes to: --site-dir/-d, else mkdocs.yml's default, site/.
site_dir() {
    local dir=site
    while [ $# -gt 0 ]; do
        case "$1" in
            -d|--site-dir) dir=$2; shift ;;
            --site-dir=*) dir=${1#--site-dir=} ;;
        esac
        shift
    done
    echo "$dir"
}
python -m glossary_site figures docs
if [ "${1-}" = "--build" ]; then
    shift
    mkdocs build --strict "$@"
    exec python -m glossary_site check "$(site_dir "$@")"
fi
exec mkdocs serve --strict --dev-addr "127.0.0.1:${PORT:-8000}" "$@"
