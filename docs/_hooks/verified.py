"""mkdocs hook: the "Verified" box, rendered from the test suite's own record.

``docs/_registry/verification.json`` is written from the ``verifies`` markers of the tests
(``tests/verification_record.py``) and checked against them by the test suite, so the box never
claims a check that does not exist. On each term page, for each implementation of the page's
registry terms, the box lists the oracle (library and installed version), the number of cases,
the dtypes, the tolerance, the tests, and whether a finite-difference gradient check exists.

- ``<!-- glossary:verified -->`` renders the box for the implementations of the term whose
  section it sits in (or the page's term);
- a term page with implementations and no marker gets the box right under its
  ``## How it is verified`` heading;
- an implementation on a page without a record fails the build.

Listed before ``glossary.py`` in ``mkdocs.yml``'s ``hooks``, so the marker is gone before
that hook rejects unknown markers.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).parent))
from registry import Term, load_terms  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent
RECORD = DOCS / "_registry" / "verification.json"
MARKER = re.compile(r"<!--\s*glossary:verified\s*-->")
HOW = re.compile(r"^## How it is verified[^\n]*\n", re.M)
LIBRARY = {"torch": "PyTorch", "keras": "Keras", "sklearn": "scikit-learn", "numpy": "NumPy", "numba": "numba"}

# Modules still being written may be exempted while their tests gain markers, e.g.
# GLOSSARY_VERIFIED_PENDING=activations,tensors : their box says "no record yet" (it claims nothing).
PENDING = {m for m in os.environ.get("GLOSSARY_VERIFIED_PENDING", "").split(",") if m}

_terms: list[Term] = []
_record: dict = {}


def on_config(config):
    global _terms, _record
    _terms = load_terms()
    try:
        _record = json.loads(RECORD.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise PluginError(f"{RECORD} is missing: run the tests with GLOSSARY_WRITE_VERIFICATION=1") from error
    return config


def checks_for(dotted: str, record: dict) -> list[dict]:
    """The record's checks of an implementation (a class also collects its methods' checks)."""
    return [c for name, checks in sorted(record.items())
            if name == dotted or name.startswith(dotted + ".") for c in checks]


def _tolerance(check: dict) -> str:
    parts = []
    for key in ("rtol", "atol"):
        for dtype, value in sorted((check.get(key) or {}).items(), reverse=True):
            parts.append(f"{key} {value:g}" + ("" if dtype == "all" else f" ({dtype})"))
    return ", ".join(parts) or "exact (see test)"


def box_markdown(implementations, record: dict, src: str) -> str:
    rows = []
    for dotted in implementations:
        checks = checks_for(dotted, record)
        if not checks and dotted.split(".")[1] in PENDING:
            rows.append(f"    | `{dotted.removeprefix('glossary_dl.')}` | **no record yet** | 0 | — | — | — | — |")
            continue
        if not checks:
            raise PluginError(
                f"{src}: {dotted} has no verification record: add a @pytest.mark.verifies test "
                "and regenerate docs/_registry/verification.json"
            )
        short = dotted.removeprefix("glossary_dl.")
        gradient = "yes" if any(c["oracle"] == "finite differences" for c in checks) else "no"
        for c in checks:
            if c["oracle"] == "finite differences":
                oracle = "finite differences (central, ε = 1e-6)"
            else:
                oracle = f"{LIBRARY.get(c['oracle'], c['oracle'])} {c['version']}"
            tests = ", ".join(f"`{t.split('::')[1]}`" for t in c["tests"])
            rows.append(
                f"    | `{short}` | {oracle} | {c['cases']} | {', '.join(c['dtypes']) or '—'} "
                f"| {_tolerance(c)} | {gradient} | {tests} |"
            )
    if not rows:
        return ""
    return (
        '!!! success "Verified"\n'
        "    Generated from the test suite's record (`docs/_registry/verification.json`), not typed by hand.\n\n"
        "    | implementation | oracle | cases | dtypes | tolerance | gradient FD-checked | tests |\n"
        "    | --- | --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n\n"
    )


def _owner(markdown: str, position: int, on_page: list[Term]) -> list[Term]:
    before = markdown[:position]
    heading = before.rfind("\n#")
    section = before[heading:] if heading >= 0 else before
    anchored = [t for t in on_page if t.anchor and re.search(r"\{\s*#" + re.escape(t.anchor) + r"\b", section)]
    return anchored or on_page


def render(markdown: str, src: str, terms: list[Term], record: dict) -> str:
    on_page = [t for t in terms if t.page == src]
    if MARKER.search(markdown):
        def expand(match):
            owners = _owner(markdown, match.start(), on_page)
            names = [n for t in owners for n in t.implementations]
            if not names:
                raise PluginError(f"{src}: <!-- glossary:verified --> where no term has an implementation")
            return box_markdown(names, record, src)
        return MARKER.sub(expand, markdown)
    names = [n for t in on_page for n in t.implementations]
    if not names or not src.startswith("terms/"):
        return markdown
    match = HOW.search(markdown)
    if match is None:
        raise PluginError(f"{src}: a term page with implementations needs a '## How it is verified' section")
    return markdown[: match.end()] + "\n" + box_markdown(names, record, src) + markdown[match.end():]


def on_page_markdown(markdown, page, config, files):
    return render(markdown, page.file.src_uri, _terms, _record)
