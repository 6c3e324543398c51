# Sourced by scripts/serve.sh and scripts/test.sh: creates (or refreshes) the
# project's virtual environment in .venv with the pinned versions of
# requirements/constraints.txt and installs the package with the given extras, and the site's
# machinery (site_machinery/: the Markdown extensions that mkdocs.yml names), both editable.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
extras=$1
stamp=".venv/.installed-$extras"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# Reinstall only when the pins or the project metadata changed.
want=$(cat requirements/constraints.txt pyproject.toml site_machinery/pyproject.toml | sha256sum | cut -d' ' -f1)
pip_install() {
    # Some machines list local package mirrors that may be absent: pip warns
    # once per package about them; those warnings are noise, errors still show.
    # pip byte-compiles what it installs (its default), once: a machine that sets
    # PYTHONDONTWRITEBYTECODE would otherwise compile every module from source at every import.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "Installing the pinned environment into .venv ($extras) ..."
    pip_install --upgrade "pip==26.0.1"
    pip_install -c requirements/constraints.txt -e ".[$extras]" -e ./site_machinery
    echo "$want" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
