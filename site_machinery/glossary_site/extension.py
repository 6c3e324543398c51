"""Python-Markdown extension: the glossary's markers, tooltips and term links on any page.

Named in ``mkdocs.yml``'s ``markdown_extensions`` (``glossary_site.extension``), so any
generator that runs Python-Markdown extensions from that file renders them, with no MkDocs hook:

- a preprocessor (before the fences and raw HTML are read) expands the Verified boxes and test
  links (``verified``), then the card, related, index, table, concept-map markers and the skip
  notes (``markers``); an unknown ``<!-- glossary:… -->`` marker raises ``MarkerError`` naming
  the page; it appends an abbreviation for every term and synonym, which the ``abbr`` extension
  turns into ``<abbr>`` tooltips on the element tree;
- a treeprocessor, after ``abbr``'s, makes the first mention of each term in each section a link
  to its page (``term_links``), written as a link between sources (``../optimizer.md``) that the
  generator rewrites and checks like any other.

Which page is rendered (``src``, relative to the docs folder) sets the relative links. Python-
Markdown is not told, so the extension takes it from, in order: its ``page`` option (rendering one
page on its own, as the tests do); ``set_page(src)``, which the MkDocs hook calls for each page just
before MkDocs renders it; else the page whose title heads the text: a term's name (its term
page), `` `glossary_dl.<module>` `` (``api/<module>.md``), anything else a page at the docs root.

A docstring that mkdocstrings renders inside a page is not a page: its inner Markdown is left alone.

Options: ``docs_dir`` (the docs folder, for the verification record ``_registry/verification.json``),
``page``, ``feedback_report`` (the URL template of "Report an error on this term", empty for none).
"""

from __future__ import annotations

import re
from pathlib import Path

from glossary_dl._registry import REGISTRY, load_terms
from markdown import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from . import markers, term_links, verified
from .markers import MarkerError

_current_page = {"src": ""}
API_TITLE = re.compile(r"`glossary_dl\.(\w+)`")  # the title of an API page, docs/api/<module>.md


def set_page(src: str) -> None:
    """The page the next Markdown conversion renders (a generator's hook calls this per page)."""
    _current_page["src"] = src


class GlossaryExtension(Extension):
    def __init__(self, **kwargs):
        self.config = {
            "docs_dir": ["docs", "The docs folder (its _registry/verification.json is the record)"],
            "page": ["", "The page rendered, relative to the docs folder (else set_page or the title)"],
            "feedback_report": ["", "URL template of 'Report an error on this term' ({title}, {body})"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        md.registerExtension(self)
        self.md = md
        self.terms, self.record, self.defined = _sources(Path(self.getConfig("docs_dir")))
        self.src = ""
        # After whitespace normalisation (30), before the reader's blocks (28) and the fences (25).
        md.preprocessors.register(GlossaryMarkers(md, self), "glossary_markers", 29)
        # After abbr wraps the mentions (7); before the table of contents (5) and the generator's
        # own rewriting of links between sources (MkDocs: 0), which then turns these into addresses.
        md.treeprocessors.register(FirstMentionLinks(md, self), "glossary_term_links", 6)

    def page_of(self, text: str) -> str:
        explicit = self.getConfig("page") or _current_page["src"]
        if explicit:
            return explicit
        title = next((line for line in text.splitlines() if line.startswith("# ")), "")[2:].split("{")[0].strip()
        api = API_TITLE.fullmatch(title)
        if api:
            return f"api/{api.group(1)}.md"
        named = [t for t in self.terms if title.lower() == t.name.lower()]
        return named[0].page if named else "index.md"

    def renders_a_page(self) -> bool:
        """False inside mkdocstrings' own conversion of a docstring."""
        return not any(type(e).__name__ == "MkdocstringsInnerExtension" for e in self.md.registeredExtensions)


def _sources(docs_dir: Path):
    """The registry, the verification record and the tests' names: read once per state of their files.

    A generator builds a new Markdown (and so a new extension) for every page; reading the test
    files anew for each would cost a quarter of a second a page.
    """
    record = docs_dir / "_registry" / "verification.json"
    watched = [record, *sorted(REGISTRY.glob("*.toml")), *sorted(verified.TESTS.glob("test_*.py"))]
    state = tuple((str(path), path.stat().st_mtime_ns) for path in watched if path.exists())
    if _read.get("state") != state:
        _read.update(state=state, sources=(load_terms(), verified.load_record(record), verified.defined_tests()))
    return _read["sources"]


_read: dict = {}


class GlossaryMarkers(Preprocessor):
    def __init__(self, md, extension: GlossaryExtension):
        super().__init__(md)
        self.extension = extension

    def run(self, lines: list[str]) -> list[str]:
        ext = self.extension
        ext.src = ""
        if not ext.renders_a_page():
            return lines
        text = "\n".join(lines)
        src = ext.src = ext.page_of(text)
        if verified.is_source_page(src):
            return lines  # the source of a test file: code, not prose
        text = verified.expand(text, src, ext.terms, ext.record, ext.defined)
        text = markers.expand(text, src, ext.terms, ext.getConfig("feedback_report"))
        return text.split("\n")


class FirstMentionLinks(Treeprocessor):
    def __init__(self, md, extension: GlossaryExtension):
        super().__init__(md)
        self.extension = extension
        self.labels = term_links.label_index(extension.terms)

    def run(self, root):
        src = self.extension.src
        if src and not verified.is_source_page(src):
            term_links.link_first_mentions(root, self.labels, src)


def makeExtension(**kwargs):  # noqa: N802 (Python-Markdown's name)
    return GlossaryExtension(**kwargs)


__all__ = ["GlossaryExtension", "MarkerError", "makeExtension", "set_page"]
