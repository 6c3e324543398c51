"""What the build gives readers, page by page, checked without building the site.

- the "Verified" box: one line per implementation, the full table collapsed, every test
  name a link to its source, and no pytest name left in the text of a term page;
- the Verification page: every family of the record;
- Home grouped by family, the A–Z index with letters only and no duplicate entry;
- search snippets in words, a term's name mapped to its own section;
- the first mention of a term in each section a link that keeps its tooltip.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / "docs" / "_hooks"
sys.path.insert(0, str(HOOKS))
import search_index  # noqa: E402
import term_links  # noqa: E402


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_under_test", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def verified():
    module = _load("verified")
    module.on_config(None)
    return module


@pytest.fixture(scope="module")
def glossary():
    module = _load("glossary")
    module.on_config(SimpleNamespace(extra={}))
    return module


def _term_markdown(verified, src: str) -> str:
    page = SimpleNamespace(file=SimpleNamespace(src_uri=src), meta={})
    return verified.on_page_markdown((ROOT / "docs" / src).read_text(encoding="utf-8"), page, None, None)


TERM_PAGES = sorted(p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs" / "terms").glob("*.md"))
# a pytest name as a reader would see it: test_…, not part of a file name (tests/test_x.py)
PYTEST_NAME = re.compile(r"(?<![\w/])test_\w+(?!\w*\.py)")


def _outside_collapsed_blocks(markdown: str) -> str:
    """The prose a reader sees by default: no code blocks, link targets or titles, ??? blocks."""
    markdown = re.sub(r"^(\s*)```.*?^\1```", "", markdown, flags=re.M | re.S)
    visible, skip_indent = [], None
    for line in markdown.splitlines():
        indent = len(line) - len(line.lstrip())
        if skip_indent is not None and (not line.strip() or indent > skip_indent):
            continue
        skip_indent = indent if line.lstrip().startswith("??? ") else None
        if skip_indent is None:
            visible.append(line)
    text = "\n".join(visible)
    return re.sub(r"\]\([^)]*\)", "]", text)  # link targets and titles are not shown


@pytest.mark.parametrize("src", TERM_PAGES)
def test_no_pytest_name_is_visible_by_default(verified, src):
    markdown = _term_markdown(verified, src)
    tests = {name for name in verified._defined if name.startswith("test_")}
    shown = [name for name in PYTEST_NAME.findall(_outside_collapsed_blocks(markdown)) if name in tests]
    assert not shown, f"{src}: test names in the text: {shown[:5]}"


def test_each_implementation_gets_one_line_and_a_collapsed_table(verified):
    markdown = _term_markdown(verified, "terms/loss-function.md")
    box = markdown[markdown.index('!!! success "Verified"'):]
    box = box[: box.index("\n## ")]
    implementations = [t for t in verified._terms if t.page == "terms/loss-function.md"][0].implementations
    lines = [line for line in box.splitlines() if line.startswith("    - `")]
    assert [re.match(r"    - `([\w.]+)`", line).group(1) for line in lines] == [
        name.removeprefix("glossary_dl.") for name in implementations
    ]
    bce = next(line for line in lines if "`losses.binary_crossentropy`" in line)
    checks = verified.checks_for("glossary_dl.losses.binary_crossentropy", verified._record)
    assert f"{sum(c['cases'] for c in checks)} cases" in bce
    assert "PyTorch 2.13.0" in bce and "Keras " in bce and "finite differences" in bce
    # the loosest float32 tolerance of the record, not the tightest
    assert f"float32: rtol {max(c['rtol'].get('float32', 0) for c in checks):g}" in bce
    table = box[box.index('??? info "Every check and its test'):]
    assert table.count("\n        | `losses.") == sum(len(verified.checks_for(n, verified._record)) for n in implementations)
    links = re.findall(r"\[`(test_\w+)`\]\(([^)]+)\)", table)
    assert links and all(url == f"../verification/tests/test_losses.md#{name}" for name, url in links)


def test_a_check_without_a_stated_tolerance_is_not_called_exact(verified):
    record = {"glossary_dl.tensors.matrix_dot": [
        {"oracle": "numpy", "version": "2", "cases": 3, "dtypes": ["float64"], "rtol": None, "atol": None,
         "tests": ["tests/test_tensors.py::test_matrix_dot_matches_numpy"], "files": []}]}
    line = verified.proof_line("glossary_dl.tensors.matrix_dot", record["glossary_dl.tensors.matrix_dot"])
    assert "exact" not in line and "bound stated in the test" in line
    zero = [{**record["glossary_dl.tensors.matrix_dot"][0], "rtol": {"float64": 0}}]
    assert "float64: exact" in verified.proof_line("x.y", zero)


def test_every_test_a_page_names_resolves_to_its_source(verified):
    pages = verified.source_pages()
    for src in TERM_PAGES:
        for url in re.findall(r"\[test\]\(([^ )]+)", _term_markdown(verified, src)):
            target, _, anchor = url.removeprefix("../").partition("#")
            assert target in pages, f"{src}: {url}"
            assert f"{{ #{anchor} }}" in pages[target], f"{src}: {url} has no section"


def test_an_unknown_test_fails_the_build_and_a_variable_stays_code(verified):
    with pytest.raises(PluginError, match="test_that_does_not_exist"):
        verified.link_test_names("`tests/test_losses.py::test_that_does_not_exist`", "terms/x.md", verified._defined, [])
    assert verified.link_test_names("`test_images`", "terms/x.md", verified._defined, []) == "`test_images`"


def test_code_blocks_keep_their_test_names(verified):
    markdown = "```python\nprint('test_matches_torch')\n```\n"
    assert verified.link_test_names(markdown, "terms/x.md", verified._defined, []) == markdown


def test_the_verification_page_covers_every_family(verified):
    table = verified.families_markdown(verified._record, "verification.md")
    shown = set(re.findall(r"^\| \[`(\w+)`\]", table, re.M))
    modules = {p.stem for p in (ROOT / "src" / "glossary_dl").glob("*.py") if not p.stem.startswith("_")}
    in_record = {name.split(".")[1] for name in verified._record}
    assert shown == in_record
    assert modules - shown <= {"cli", "registry"}, f"families missing: {modules - shown}"
    assert "<!-- glossary:verified-families -->" in (ROOT / "docs" / "verification.md").read_text(encoding="utf-8")


def test_home_groups_every_term_by_family(glossary):
    markdown = glossary._table_markdown("index.md")
    headings = re.findall(r"^### (.+)$", markdown, re.M)
    assert len(headings) == len(glossary.families(glossary._terms)) >= 5
    rows = re.findall(r"^\| \[([^\]]+)\]", markdown, re.M)
    assert sorted(rows) == sorted(t.name for t in glossary._terms)


def test_the_index_has_letters_and_one_heading_for_numerals_and_no_duplicates(glossary):
    markdown = glossary._index_markdown("glossary.md")
    headings = re.findall(r"^## (.+)$", markdown, re.M)
    assert headings[0] == r"\# { #numerals }"
    assert all(re.fullmatch(r"[A-Z]", h) for h in headings[1:]), headings
    assert headings[1:] == sorted(set(headings[1:]))
    entries = [(m.group(1) or m.group(2)).lower().replace("×", "x")
               for m in re.finditer(r"^- (?:\*\*\[([^\]]+)\]|\*([^*]+)\*)", markdown, re.M)]
    assert len(entries) == len(set(entries)), [e for e in entries if entries.count(e) > 1]
    assert "1x1 convolution" in entries


def test_search_snippets_are_text():
    text = ('<p>ReLU is \\(\\max(x, 0)\\) for \\(x > 0\\) and \\(\\beta_1\\).</p> '
            '<pre><code>def relu(x):\n    return x</code></pre> \\[ f(x) = \\begin{cases} x \\end{cases} \\]')
    snippet = search_index.snippet_text(text)
    assert snippet == "<p>ReLU is (x, 0) for x > 0 and β_1.</p>"


def test_a_term_name_maps_to_its_own_section(glossary):
    addresses = search_index.term_addresses(glossary._terms, glossary.page_url)
    assert addresses["relu"] == "terms/activation-function/#relu"
    assert addresses["momentum"] == "terms/momentum/"
    assert len(addresses) == len({label.lower() for t in glossary._terms for label in (t.name, *t.synonyms)})


def test_the_first_mention_in_each_section_is_a_link_that_keeps_its_tooltip(glossary):
    labels = term_links.label_index(glossary._terms)
    abbr = '<abbr title="Momentum: …">momentum</abbr>'
    html = (f"<h2>One</h2><p>{abbr} and {abbr}</p><h2>Two {abbr}</h2><p>{abbr}</p>"
            f'<h2>Three</h2><p><a href="x/">{abbr}</a> {abbr}</p>')
    out = term_links.link_first_mentions(html, labels, "terms/optimizer/")
    link = f'<a class="term-link" href="../../terms/momentum/">{abbr}</a>'
    assert out == (f"<h2>One</h2><p>{link} and {abbr}</p><h2>Two {abbr}</h2><p>{link}</p>"
                   f'<h2>Three</h2><p><a href="x/">{abbr}</a> {abbr}</p>')
