"""The glossary's markers, expanded to Markdown from the term registry.

- ``<!-- glossary:card -->``        the term's definition, synonyms, source chapter, implementations
- ``<!-- glossary:related -->``     prerequisite, related and later terms, as links
- ``<!-- glossary:index -->``       the A–Z index of every term and synonym
- ``<!-- glossary:table -->``       every term, one table per family (Home)
- ``<!-- glossary:concept-map -->`` the prerequisite graph (laid out in the browser by dagre)
- ``<!--pytest.mark.skip(reason="…")-->`` before a code block becomes a visible note
- an API page names, under its title, the term pages that explain its functions
- tooltips: an abbreviation definition for every term and synonym (the ``abbr`` extension
  wraps each mention in ``<abbr title="…">``)

Pure functions of the page's text, its source path (``src``, relative to the docs folder, for
relative links) and the registry's terms: no site generator is involved.
"""

from __future__ import annotations

import json
import re
import unicodedata
from html import escape
from pathlib import Path
from urllib.parse import quote

from glossary_dl._registry import Term

from . import term_links


class MarkerError(ValueError):
    """A page the glossary cannot render: an unknown marker, a marker without its term, …"""


MARKER = re.compile(r"<!--\s*glossary:([\w-]+)\s*-->")
SKIP_MARK = re.compile(r"^<!--\s*pytest\.mark\.skip\(reason=(['\"])(.+?)\1\)\s*-->\s*$", re.M)
BARE_SKIP = re.compile(r"^<!--\s*pytest(-codeblocks:skip|\.mark\.skip(if)?)\b(?!\(reason=).*-->", re.M)


def expand(markdown: str, src: str, terms: list[Term], report: str = "") -> str:
    """``markdown`` with every glossary marker expanded; an unknown marker raises MarkerError.

    ``report``: the URL template of "Report an error on this term" (``{title}``, ``{body}``),
    or empty for no link.
    """
    term = page_term(markdown, src, terms)

    def replace(match: re.Match) -> str:
        kind = match.group(1)
        if kind == "index":
            return index_markdown(src, terms)
        if kind == "concept-map":
            return concept_map_html(src, terms)
        if kind == "table":
            return table_markdown(src, terms)
        if kind in ("card", "related"):
            owner = anchored_term_before(markdown, match.start(), src, terms) or term
            if owner is None:
                raise MarkerError(f"{src}: <!-- glossary:{kind} --> on a page that has no registry entry")
            if kind == "card":
                return card_markdown(owner, src, report)
            return related_markdown(owner, src, terms)
        raise MarkerError(f"{src}: unknown marker <!-- glossary:{kind} -->")

    markdown = MARKER.sub(replace, markdown)
    if src.startswith("api/"):
        markdown = with_backlinks(markdown, src, terms)
    markdown = visible_skip_reasons(markdown, src)
    return markdown + "\n\n" + abbreviations(terms, exclude={t.slug for t in terms if t.page == src})


def page_term(markdown: str, src: str, terms: list[Term]) -> Term | None:
    """The page's own term: the one without an anchor, or the one anchored on the page title."""
    plain = next((t for t in terms if t.page == src and not t.anchor), None)
    if plain is not None:
        return plain
    title = next((line for line in markdown.splitlines() if line.startswith("# ")), "")
    return next((t for t in terms if t.page == src and _anchors(t, title)), None)


def _anchors(term: Term, text: str) -> bool:
    return bool(re.search(r"\{\s*#" + re.escape(term.anchor) + r"\b", text))


def section_before(markdown: str, position: int) -> str:
    """The text from the last heading before ``position`` up to it."""
    before = markdown[:position]
    heading = before.rfind("\n#")
    return before[heading:] if heading >= 0 else before


def anchored_term_before(markdown: str, position: int, src: str, terms: list[Term]) -> Term | None:
    """On a family page, a card belongs to the term whose anchored heading precedes it.

    The page's final related-terms marker belongs to the page's own term, so
    only a card looks for an anchor, and only within its own section.
    """
    section = section_before(markdown, position)
    return next((t for t in terms if t.page == src and t.anchor and _anchors(t, section)), None)


def relative(path: str, from_src: str) -> str:
    """A Markdown link from page ``from_src`` to ``path`` (both relative to the docs folder)."""
    return "../" * from_src.count("/") + path


def link(target: Term, from_src: str) -> str:
    return f"[{target.name}]({relative(target.url_path, from_src)})"


def report_url(template: str, term: Term) -> str | None:
    """A new issue about ``term``: the ``report`` template with its title and body filled in."""
    if not template:
        return None
    title = f"Error on the term “{term.name}”"
    body = (
        f"Term: {term.name} (docs/{term.url_path})\n\n"
        "What is wrong (a sentence, a formula, a code block, its output):\n\n"
        "What it should say, and a source if you have one:\n"
    )
    return template.replace("{title}", quote(title)).replace("{body}", quote(body))


def card_markdown(term: Term, src: str, report: str = "") -> str:
    lines = ['!!! abstract "Term card"', ""]
    lines.append(f"    **Definition.** {term.definition}")
    lines.append("")
    synonyms = ", ".join(f"*{s}*" for s in term.synonyms) or "none"
    lines.append(f"    **Also called:** {synonyms}")
    lines.append("")
    lines.append(f"    **Source:** {term.chapter}")
    if term.implementations:
        names = ", ".join(
            f"[`{dotted.split('.', 1)[1]}`]({relative(api_page(dotted), src)}#{dotted})"
            for dotted in term.implementations
        )
        lines.append("")
        lines.append(f"    **Implemented by:** {names}")
    address = report_url(report, term)
    if address:
        lines.append("")
        lines.append(f"    [Report an error on this term]({address}){{ .feedback-link }}")
    return "\n".join(lines) + "\n"


def api_page(dotted: str) -> str:
    return f"api/{dotted.split('.')[1]}.md"


def with_backlinks(markdown: str, src: str, terms: list[Term]) -> str:
    """An API page says, under its title, which term pages explain its functions."""
    module = "glossary_dl." + Path(src).stem + "."
    users = [t for t in terms if any(name.startswith(module) for name in t.implementations)]
    if not users:
        raise MarkerError(f"{src}: no term in the registry uses {module[:-1]}")
    line = "**Explained on:** " + ", ".join(link(t, src) for t in users)
    title, _, rest = markdown.partition("\n")
    return f"{title}\n\n{line}\n{rest}"


def related_markdown(term: Term, src: str, terms: list[Term]) -> str:
    by_slug = {t.slug: t for t in terms}
    lines = []
    if term.prerequisites:
        lines += ["**Know first:** " + ", ".join(link(by_slug[s], src) for s in term.prerequisites), ""]
    if term.related:
        lines += ["**Related:** " + ", ".join(link(by_slug[s], src) for s in term.related), ""]
    later = [t for t in terms if term.slug in t.prerequisites]
    if later:
        lines += ["**Builds on this:** " + ", ".join(link(t, src) for t in later), ""]
    return "\n".join(lines) or "*No related terms yet.*\n"


def families(terms: list[Term]) -> dict[str, list[Term]]:
    """The terms grouped by their registry family (its title), in reading order: the families of
    the earliest chapter first, then in registry order; terms in registry order."""
    grouped: dict[str, list[Term]] = {}
    for t in terms:
        grouped.setdefault(t.family, []).append(t)

    def chapter(t: Term) -> int:
        found = re.match(r"Chapter (\d+)", t.chapter)
        return int(found.group(1)) if found else 99

    return dict(sorted(grouped.items(), key=lambda item: min(chapter(t) for t in item[1])))


def table_markdown(src: str, terms: list[Term]) -> str:
    """Every term, one table per family under its own heading, for the landing page."""
    lines = []
    for family, members in families(terms).items():
        lines += ["", f"### {family}", ""]
        lines += ["| term | also called | in one line |", "| --- | --- | --- |"]
        for t in members:
            synonyms = ", ".join(t.synonyms) or "—"
            lines.append(f"| {link(t, src)} | {synonyms} | {t.definition} |")
    return "\n".join(lines) + "\n"


def index_letter(label: str) -> str:
    """The A–Z heading a label files under: its first letter without accents, or "#" for the rest."""
    first = unicodedata.normalize("NFKD", label)[:1].upper()
    return first if "A" <= first <= "Z" else "#"


def _same_label(label: str) -> str:
    """Labels that differ only in case or in writing × as x are one entry of the index."""
    return label.lower().replace("×", "x")


def index_markdown(src: str, terms: list[Term]) -> str:
    entries, seen = [], set()
    for t in terms:
        for label in (t.name, *t.synonyms):
            key = (_same_label(label), t.slug)
            if key in seen:
                continue
            seen.add(key)
            text = f"**{link(t, src)}** — {t.definition}" if label == t.name else f"*{label}*: see {link(t, src)}"
            entries.append((label, text))
    # "#" (numerals and signs) first, then A to Z
    entries.sort(key=lambda item: (index_letter(item[0]) != "#", index_letter(item[0]), item[0].lower()))
    lines, letter = [], ""
    for label, text in entries:
        first = index_letter(label)
        if first != letter:
            letter = first
            heading = "## \\# { #numerals }" if first == "#" else f"## {letter}"
            lines += ["", heading, ""]
        lines.append(f"- {text}")
    return "\n".join(lines) + "\n"


def concept_graph(terms: list[Term]) -> tuple[list[Term], list[tuple[str, str]]]:
    """The terms that take part in a prerequisite relation, and its arrows (prerequisite, term).

    Raises on a cycle: "read this first" must have a first.
    """
    involved = {t.slug for t in terms if t.prerequisites} | {p for t in terms for p in t.prerequisites}
    nodes = [t for t in terms if t.slug in involved]
    edges = [(p, t.slug) for t in nodes for p in t.prerequisites]
    done: set[str] = set()
    prerequisites = {t.slug: t.prerequisites for t in terms}

    def visit(slug: str, path: tuple[str, ...]) -> None:
        if slug in done:
            return
        if slug in path:
            raise MarkerError(f"prerequisite cycle through {slug!r}")
        for p in prerequisites[slug]:
            visit(p, (*path, slug))
        done.add(slug)

    for t in nodes:
        visit(t.slug, ())
    return nodes, edges


def concept_map_html(src: str, terms: list[Term]) -> str:
    """The prerequisite graph, laid out in the browser by dagre (docs/assets/vendor/dagre).

    The build writes the graph from the registry as JSON and, for readers without
    scripts and for screen readers, as a list of links; docs/assets/javascripts/concept-map.js
    lays it out (left to right on a wide screen, top to bottom on a phone) and draws it.
    """
    nodes, edges = concept_graph(terms)
    # Raw HTML escapes the generator's link rewriting: link to the built URLs directly.
    to_root = "../" * (src.count("/") + (0 if src.endswith("index.md") else 1))
    graph = {
        "nodes": [{"id": t.slug, "label": t.name, "href": to_root + term_links.site_address(t),
                   "title": t.definition} for t in nodes],
        "edges": [list(edge) for edge in edges],
    }
    by_slug = {t.slug: t for t in nodes}
    items = []
    for t in sorted(nodes, key=lambda t: t.name.lower()):
        first = ", ".join(by_slug[p].name for p in t.prerequisites)
        after = f" (know first: {escape(first)})" if first else ""
        items.append(f'<li><a href="{escape(to_root + term_links.site_address(t))}">{escape(t.name)}</a>{after}</li>')
    data = json.dumps(graph, ensure_ascii=False).replace("</", "<\\/")
    return (
        '<div class="concept-map" markdown="0">'
        f'<script type="application/json" class="concept-map__graph">{data}</script>'
        f'<ul class="concept-map__list">{"".join(items)}</ul>'
        "</div>\n"
    )


def abbreviations(terms: list[Term], exclude: set[str] = frozenset()) -> str:
    """Tooltips for every term and synonym; a term page does not underline its own names."""
    lines = []
    for t in terms:
        if t.slug in exclude:
            continue
        tooltip = f"{t.name}: {t.definition}".replace("]", ")")
        for label in (t.name, *t.synonyms):
            for variant in {label, label.lower(), label[:1].upper() + label[1:]}:
                lines.append(f"*[{variant}]: {tooltip}")
    return "\n".join(sorted(set(lines))) + "\n"


def visible_skip_reasons(markdown: str, src: str) -> str:
    bare = BARE_SKIP.search(markdown)
    if bare:
        raise MarkerError(f"{src}: a skipped code block needs a reason: {bare.group(0)}")

    def note(match: re.Match) -> str:
        return f'!!! note "This example is not run by the test suite"\n    {match.group(2)}\n\n'

    return SKIP_MARK.sub(note, markdown)
