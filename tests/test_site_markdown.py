"""A term page rendered through the site's Markdown extensions alone, as mkdocs.yml names them.

A generator that reads ``mkdocs.yml`` and runs Python-Markdown extensions, but no MkDocs hook or
plugin, still gets the term card, related terms, the Verified box, tooltips, first-mention links
and skip notes (``site_machinery/glossary_site``). No MkDocs here.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from glossary_dl._registry import load_terms
from glossary_site import extension, markers
from glossary_site.markers import MarkerError
from site_markdown import ROOT, extensions_of_config, render

TERMS = {t.slug: t for t in load_terms()}


@pytest.fixture(scope="module")
def momentum() -> str:
    return render("terms/momentum.md")


def test_mkdocs_is_not_needed():
    """The extensions that mkdocs.yml names render a page with no MkDocs module loaded."""
    script = (
        "import sys; from site_markdown import render; html = render('terms/momentum.md'); "
        "assert 'glossary:' not in html and '<abbr' in html; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mkdocs', 'material', 'mkdocstrings')))"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT / "tests", capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
    names, _ = extensions_of_config()
    assert {"abbr", "glossary_site.extension", "glossary_site.reader_blocks"} <= set(names)


def test_the_term_card_and_its_links(momentum):
    term = TERMS["momentum"]
    card = re.search(r'<div class="admonition abstract">.*?</div>', momentum, re.S).group(0)
    assert "Term card" in card and term.definition.split()[0] in card
    text = re.sub(r"<[^>]+>", "", card)
    assert "Also called: " + ", ".join(term.synonyms) in text
    # Markdown links between sources: the generator turns them into its own addresses
    for dotted in term.implementations:
        assert f'href="../api/{dotted.split(".")[1]}.md#{dotted}"' in card


def test_related_terms_are_links(momentum):
    term = TERMS["momentum"]
    assert term.prerequisites and term.related
    for label, slugs in (("Know first", term.prerequisites), ("Related", term.related)):
        line = re.search(f"<strong>{label}:</strong>(.*?)</p>", momentum).group(1)
        assert re.findall(r'href="([^"]+)"', line) == [f"../{TERMS[slug].url_path}" for slug in slugs]


def test_the_verified_box(momentum):
    box = re.search(r'<div class="admonition success">.*?<details class="info">', momentum, re.S)
    assert box is not None and "Verified" in box.group(0)
    for dotted in TERMS["momentum"].implementations:
        assert f"<code>{dotted.removeprefix('glossary_dl.')}</code>: checked against" in box.group(0)
    assert 'href="../verification/tests/test_optimizers.md#' in momentum


def test_tooltips_and_first_mention_links(momentum):
    abbrs = re.findall(r'<abbr title="([^"]*)">', momentum)
    assert len(abbrs) > 10
    assert not any(title.startswith("Momentum:") for title in abbrs)  # its own names stay plain
    links = re.findall(r'<a class="term-link" href="([^"]+)"><abbr', momentum)
    assert "learning-rate.md" in links  # a link between sources, as the author would write it
    # once per section: the links of one section name different terms
    for section in re.split(r"<h[1-6]\b", momentum):
        found = re.findall(r'<a class="term-link" href="([^"]+)"', section)
        assert len(found) == len(set(found))


def test_a_skipped_block_shows_its_reason():
    page = next(p for p in sorted((ROOT / "docs").rglob("*.md")) if "pytest.mark.skip(reason=" in p.read_text(encoding="utf-8"))
    src = page.relative_to(ROOT / "docs").as_posix()
    html = render(src)
    reason = re.search(r"pytest\.mark\.skip\(reason=(['\"])(.+?)\1\)", page.read_text(encoding="utf-8")).group(2)
    assert "This example is not run by the test suite" in html and reason in html


def test_an_unknown_marker_names_the_page_and_the_marker():
    with pytest.raises(MarkerError, match=re.escape("terms/momentum.md: unknown marker <!-- glossary:cards -->")):
        render("terms/momentum.md", "# Momentum\n\n<!-- glossary:cards -->\n\n## How it is verified\n")


def test_a_skip_without_a_reason_fails():
    with pytest.raises(MarkerError, match="needs a reason"):
        render("glossary.md", "# A–Z\n\n<!--pytest-codeblocks:skip-->\n```python\nprint(1)\n```\n")


def test_the_page_comes_from_the_hook_or_else_from_the_title():
    text = "# Momentum\n\n<!-- glossary:table -->\n\n## How it is verified\n"
    names, options = extensions_of_config()
    import markdown

    by_title = markdown.Markdown(extensions=names, extension_configs=options).convert(text)
    assert 'href="../terms/optimizer.md"' in by_title and "<abbr" in by_title  # as terms/momentum.md
    extension.set_page("glossary.md")
    try:
        as_root = markdown.Markdown(extensions=names, extension_configs=options).convert(text)
    finally:
        extension.set_page("")
    assert 'href="terms/optimizer.md"' in as_root
    api = markdown.Markdown(extensions=names, extension_configs=options).convert("# `glossary_dl.trees`\n")
    assert "<strong>Explained on:</strong>" in api and 'href="../terms/random-forest.md"' in api


def test_the_concept_map_and_the_index_render_from_the_registry():
    html = render("concept-map.md")
    assert '<script type="application/json" class="concept-map__graph">' in html
    index = render("glossary.md")
    assert index.count('<h2 id="') >= 10 and markers.index_letter("ÉLU") == "E"


def test_the_report_link_follows_the_option():
    template = "https://example.org/o/r/issues/new?title={title}&body={body}"
    html = render("terms/momentum.md", **{"glossary_site.extension": {"feedback_report": template}})
    assert html.count("Report an error on this term") == 1
