"""What the build gives readers, page by page, checked without building the site.

- the "Verified" box: one line per implementation, the full table collapsed, every test
  name a link to its source, and no pytest name left in the text of a term page;
- the Verification page: every family of the record;
- Home grouped by family, the A–Z index with letters only and no duplicate entry;
- search snippets in words, a term's name mapped to its own section;
- the first mention of a term in each section a link that keeps its tooltip.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as etree
from pathlib import Path

import pytest
from glossary_dl._registry import load_terms
from glossary_site import markers, term_links, verified
from glossary_site.markers import MarkerError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_hooks"))
import search_index  # noqa: E402  (the theme's search: MkDocs-only, in the hook's folder)

TERMS = load_terms()
RECORD = verified.load_record(ROOT / "docs" / "_registry" / "verification.json")
DEFINED = verified.defined_tests()


def _term_markdown(src: str) -> str:
    return verified.expand((ROOT / "docs" / src).read_text(encoding="utf-8"), src, TERMS, RECORD, DEFINED)


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
def test_no_pytest_name_is_visible_by_default(src):
    markdown = _term_markdown(src)
    tests = {name for name in DEFINED if name.startswith("test_")}
    shown = [name for name in PYTEST_NAME.findall(_outside_collapsed_blocks(markdown)) if name in tests]
    assert not shown, f"{src}: test names in the text: {shown[:5]}"


def test_each_implementation_gets_one_line_and_a_collapsed_table():
    markdown = _term_markdown("terms/loss-function.md")
    box = markdown[markdown.index('!!! success "Verified"'):]
    box = box[: box.index("\n## ")]
    implementations = [t for t in TERMS if t.page == "terms/loss-function.md"][0].implementations
    lines = [line for line in box.splitlines() if line.startswith("    - `")]
    assert [re.match(r"    - `([\w.]+)`", line).group(1) for line in lines] == [
        name.removeprefix("glossary_dl.") for name in implementations
    ]
    bce = next(line for line in lines if "`losses.binary_crossentropy`" in line)
    checks = verified.checks_for("glossary_dl.losses.binary_crossentropy", RECORD)
    assert f"{sum(c['cases'] for c in checks)} cases" in bce
    assert "PyTorch 2.13.0" in bce and "Keras " in bce and "finite differences" in bce
    # the loosest float32 tolerance of the record, not the tightest
    assert f"float32: rtol {max(c['rtol'].get('float32', 0) for c in checks):g}" in bce
    table = box[box.index('??? info "Every check and its test'):]
    assert table.count("\n        | `losses.") == sum(len(verified.checks_for(n, RECORD)) for n in implementations)
    links = re.findall(r"\[`(test_\w+)`\]\(([^)]+)\)", table)
    assert links and all(url == f"../verification/tests/test_losses.md#{name}" for name, url in links)


def test_a_check_without_a_stated_tolerance_is_not_called_exact():
    record = {"glossary_dl.tensors.matrix_dot": [
        {"oracle": "numpy", "version": "2", "cases": 3, "dtypes": ["float64"], "rtol": None, "atol": None,
         "tests": ["tests/test_tensors.py::test_matrix_dot_matches_numpy"], "files": []}]}
    line = verified.proof_line("glossary_dl.tensors.matrix_dot", record["glossary_dl.tensors.matrix_dot"])
    assert "exact" not in line and "bound stated in the test" in line
    zero = [{**record["glossary_dl.tensors.matrix_dot"][0], "rtol": {"float64": 0}}]
    assert "float64: exact" in verified.proof_line("x.y", zero)


def test_every_test_a_page_names_resolves_to_its_source():
    pages = verified.source_pages()
    for src in TERM_PAGES:
        for url in re.findall(r"\[test\]\(([^ )]+)", _term_markdown(src)):
            target, _, anchor = url.removeprefix("../").partition("#")
            assert target in pages, f"{src}: {url}"
            assert f"{{ #{anchor} }}" in pages[target], f"{src}: {url} has no section"


def test_an_unknown_test_fails_the_build_and_a_variable_stays_code():
    with pytest.raises(MarkerError, match="test_that_does_not_exist"):
        verified.link_test_names("`tests/test_losses.py::test_that_does_not_exist`", "terms/x.md", DEFINED, [])
    assert verified.link_test_names("`test_images`", "terms/x.md", DEFINED, []) == "`test_images`"


def test_code_blocks_keep_their_test_names():
    markdown = "```python\nprint('test_matches_torch')\n```\n"
    assert verified.link_test_names(markdown, "terms/x.md", DEFINED, []) == markdown


def test_the_verification_page_covers_every_family():
    table = verified.families_markdown(RECORD, "verification.md")
    shown = set(re.findall(r"^\| \[`(\w+)`\]", table, re.M))
    modules = {p.stem for p in (ROOT / "src" / "glossary_dl").glob("*.py") if not p.stem.startswith("_")}
    in_record = {name.split(".")[1] for name in RECORD}
    assert shown == in_record
    assert modules - shown <= {"cli", "registry"}, f"families missing: {modules - shown}"
    assert "<!-- glossary:verified-families -->" in (ROOT / "docs" / "verification.md").read_text(encoding="utf-8")


def test_home_groups_every_term_by_family():
    markdown = markers.table_markdown("index.md", TERMS)
    headings = re.findall(r"^### (.+)$", markdown, re.M)
    assert len(headings) == len(markers.families(TERMS)) >= 5
    rows = re.findall(r"^\| \[([^\]]+)\]", markdown, re.M)
    assert sorted(rows) == sorted(t.name for t in TERMS)


def test_the_index_has_letters_and_one_heading_for_numerals_and_no_duplicates():
    markdown = markers.index_markdown("glossary.md", TERMS)
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


def test_a_term_name_maps_to_its_own_section():
    addresses = search_index.term_addresses(TERMS, term_links.page_url)
    assert addresses["relu"] == "terms/activation-function/#relu"
    assert addresses["momentum"] == "terms/momentum/"
    assert len(addresses) == len({label.lower() for t in TERMS for label in (t.name, *t.synonyms)})


def test_the_first_mention_in_each_section_is_a_link_that_keeps_its_tooltip():
    labels = term_links.label_index(TERMS)
    abbr = '<abbr title="Momentum: …">momentum</abbr>'
    html = (f"<div><h2>One</h2><p>{abbr} and {abbr}</p><h2>Two {abbr}</h2><p>{abbr}</p>"
            f'<h2>Three</h2><p><a href="x/">{abbr}</a> {abbr}</p><p>and <abbr title="ReLU: …">ReLU</abbr>.</p></div>')
    root = etree.fromstring(html)
    term_links.link_first_mentions(root, labels, "terms/optimizer.md")
    link = f'<a class="term-link" href="momentum.md">{abbr}</a>'
    relu = '<a class="term-link" href="activation-function.md#relu"><abbr title="ReLU: …">ReLU</abbr></a>'
    assert etree.tostring(root, encoding="unicode") == (
        f"<div><h2>One</h2><p>{link} and {abbr}</p><h2>Two {abbr}</h2><p>{link}</p>"
        f'<h2>Three</h2><p><a href="x/">{abbr}</a> {abbr}</p><p>and {relu}.</p></div>')
