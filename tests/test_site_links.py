"""Every internal link and anchor of the built site resolves, and no page is too heavy to note.

`mkdocs build --strict` checks the Markdown links; this checks the HTML the
readers get, including what plugins and the hook generated (term cards,
related terms, the glossary index, API cross-references).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes and attributes["id"]:
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("name"):
            self.ids.add(attributes["name"])
        for key in ("href", "src"):
            value = attributes.get(key)
            if value:
                self.links.append((tag, value))


def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def _target_file(site: Path, page: Path, link: str) -> Path:
    relative = unquote(urlparse(link).path)
    if relative.startswith("/"):  # the 404 page links from the site root
        target = (site / relative.lstrip("/")).resolve()
    else:
        target = (page.parent / relative).resolve() if relative else page
    if target.is_dir():
        target = target / "index.html"
    return target


def _internal(link: str) -> bool:
    scheme = urlparse(link).scheme
    return scheme == "" and not link.startswith(("//", "#!"))


def test_every_internal_link_and_anchor_resolves(site_dir):
    parsed = {page: _parse(page) for page in site_dir.rglob("*.html")}
    problems = []
    checked = 0
    for page, collector in parsed.items():
        for tag, link in collector.links:
            if not _internal(link) or link.startswith(("data:", "mailto:", "javascript:")):
                continue
            target = _target_file(site_dir, page, link)
            checked += 1
            if not target.exists():
                problems.append(f"{page.relative_to(site_dir)}: {tag} → {link} (missing)")
                continue
            fragment = urldefrag(link).fragment
            if fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(fragment) not in ids:
                    problems.append(f"{page.relative_to(site_dir)}: {link} (no anchor #{fragment})")
    assert checked > 100, "the link check found suspiciously few links"
    assert not problems, "\n".join(problems[:30])


def test_term_pages_link_to_the_api_and_back(site_dir):
    api = (site_dir / "api" / "losses" / "index.html").read_text(encoding="utf-8")
    term = (site_dir / "terms" / "loss-function" / "index.html").read_text(encoding="utf-8")
    assert "../../api/losses/#glossary_dl.losses.binary_crossentropy" in term
    assert "terms/loss-function/" in api


def test_report_page_weights(site_dir, capsys):
    """Not a speed test: prints the heaviest pages and the notebooks' shared stylesheet, for the closing note."""
    weights = sorted(
        ((page.stat().st_size, page.relative_to(site_dir).as_posix()) for page in site_dir.rglob("*.html")),
        reverse=True,
    )
    stylesheets = sorted((site_dir / "assets" / "stylesheets").glob("notebook-*.css"))
    with capsys.disabled():
        print("\nheaviest pages (HTML bytes):")
        for size, name in weights[:8]:
            print(f"  {size / 1024:8.1f} KiB  {name}")
        for sheet in stylesheets:
            print(f"  {sheet.stat().st_size / 1024:8.1f} KiB  {sheet.relative_to(site_dir).as_posix()} (shared by the notebook pages)")
    assert weights and weights[0][0] > 0
    assert len(stylesheets) == 1, "the notebook pages should share one stylesheet"


def test_dagre_is_loaded_by_the_concept_map_alone(site_dir):
    """No page names dagre in a script tag: concept-map.js fetches it where a map is drawn, from
    the address beside its own, which must exist."""
    pages = sorted(site_dir.rglob("*.html"))
    assert not [p for p in pages if "dagre" in "".join(re.findall(r"<script\b[^>]*>", p.read_text(encoding="utf-8")))]
    script = (site_dir / "assets" / "javascripts" / "concept-map.js").read_text(encoding="utf-8")
    beside = re.search(r'new URL\("([^"]+)", document\.currentScript\.src\)', script).group(1)
    assert (site_dir / "assets" / "javascripts" / beside).resolve().is_file()
    assert 'class="concept-map"' in (site_dir / "concept-map" / "index.html").read_text(encoding="utf-8")
