"""Every term a link: the first mention of a term in each section links to the term's page.

Works on a page's HTML after the Markdown step (the ``abbr`` extension has wrapped every
mention of a term or synonym in ``<abbr title="…">``). In each section (the text under one
heading), the first mention of each term that is not already inside a link becomes a link to
the term's page, or its section on a family page, and keeps its ``<abbr>`` and so its tooltip;
later mentions in the same section stay plain text with the tooltip. A mention inside a link
the author wrote counts as the section's link to that term. Headings are left alone.

A pure function of the HTML, the terms and the page's address: no generator is needed.
"""

from __future__ import annotations

import re
from html import unescape

TOKEN = re.compile(
    r"<(?P<heading>h[1-6])\b[^>]*>"
    r"|</(?P<heading_end>h[1-6])>"
    r"|<a\b[^>]*>"
    r"|(?P<a_end></a>)"
    r'|<abbr title="(?P<title>[^"]*)">(?P<label>.*?)</abbr>',
    re.S,
)


def label_index(terms) -> dict[str, object]:
    """Every name and synonym, lower case, -> its term."""
    return {label.lower(): t for t in terms for label in (t.name, *t.synonyms)}


def page_url(src: str) -> str:
    """The site address of a page source (``terms/momentum.md`` → ``terms/momentum/``)."""
    return "" if src == "index.md" else src.removesuffix(".md").removesuffix("index").rstrip("/") + "/"


def site_address(term) -> str:
    """The term's address from the site root: its page's directory URL, plus its section."""
    return page_url(term.page) + (f"#{term.anchor}" if term.anchor else "")


def link_first_mentions(html: str, labels: dict[str, object], page_url: str) -> str:
    """The page's HTML with the first mention of each term per section made a link (see the module)."""
    to_root = "../" * page_url.count("/")
    out, last = [], 0
    in_link = 0
    in_heading = False
    linked: set[str] = set()
    for match in TOKEN.finditer(html):
        if match.group("heading"):
            in_heading, linked = True, set()  # a new section starts
        elif match.group("heading_end"):
            in_heading = False
        elif match.group("a_end"):
            in_link = max(0, in_link - 1)
        elif match.group("label") is None:
            in_link += 1
        else:
            term = labels.get(unescape(re.sub(r"<[^>]+>", "", match.group("label"))).lower())
            if term is None or in_heading or term.slug in linked:
                continue
            linked.add(term.slug)
            if in_link:
                continue  # the author's own link already takes the reader there
            out.append(html[last : match.start()])
            out.append(f'<a class="term-link" href="{to_root}{site_address(term)}">{match.group(0)}</a>')
            last = match.end()
    out.append(html[last:])
    return "".join(out)
