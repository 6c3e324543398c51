"""Every term a link: the first mention of a term in each section links to the term's page.

Works on a page's element tree once the ``abbr`` extension has wrapped every mention of a term
or synonym in ``<abbr title="…">``. In each section (the text under one heading), the first
mention of each term that is not already inside a link becomes a link to the term's page, or its
section on a family page, and keeps its ``<abbr>`` and so its tooltip; later mentions in the same
section stay plain text with the tooltip. A mention inside a link the author wrote counts as the
section's link to that term. Headings are left alone.

The link is a Markdown link between sources (``../optimizer.md#adagrad``), as an author would
write it, so that the generator turns it into its own address and checks it, like every other.
A pure function of the tree, the terms and the page's source path: no generator is needed.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as etree

HEADINGS = {f"h{level}" for level in range(1, 7)}


def label_index(terms) -> dict[str, object]:
    """Every name and synonym, lower case, -> its term."""
    return {label.lower(): t for t in terms for label in (t.name, *t.synonyms)}


def page_url(src: str) -> str:
    """The site address of a page source (``terms/momentum.md`` → ``terms/momentum/``)."""
    return "" if src == "index.md" else src.removesuffix(".md").removesuffix("index").rstrip("/") + "/"


def site_address(term) -> str:
    """The term's address from the site root: its page's directory URL, plus its section."""
    return page_url(term.page) + (f"#{term.anchor}" if term.anchor else "")


def source_link(term, src: str) -> str:
    """The term's page (and section) as a Markdown link target from the page ``src``."""
    target = posixpath.relpath(term.page, posixpath.dirname(src) or ".")
    return target + (f"#{term.anchor}" if term.anchor else "")


def link_first_mentions(root: etree.Element, labels: dict[str, object], src: str) -> None:
    """Make the first mention of each term per section a link, in place (see the module)."""
    parents = {child: parent for parent in root.iter() for child in parent}
    linked: set[str] = set()
    for element in list(root.iter()):
        if element.tag in HEADINGS:
            linked = set()  # a new section starts
            continue
        if element.tag != "abbr":
            continue
        around = _ancestors(element, parents)
        term = labels.get("".join(element.itertext()).lower())
        if term is None or HEADINGS & around or term.slug in linked:
            continue
        linked.add(term.slug)
        if "a" not in around:  # else the author's own link already takes the reader there
            _wrap_in_link(element, parents[element], source_link(term, src))


def _ancestors(element: etree.Element, parents: dict) -> set[str]:
    tags = set()
    while element in parents:
        element = parents[element]
        tags.add(element.tag)
    return tags


def _wrap_in_link(abbr: etree.Element, parent: etree.Element, href: str) -> None:
    link = etree.Element("a", {"class": "term-link", "href": href})
    link.tail, abbr.tail = abbr.tail, None
    parent.insert(list(parent).index(abbr), link)
    parent.remove(abbr)
    link.append(abbr)
