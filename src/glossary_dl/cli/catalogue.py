"""The glossary as the installed package knows it: the registry plus what the pages show.

The registry (``data/terms/*.toml``) gives names, synonyms, definitions and implementations; the
generated ``data/pages.json`` gives each term's formula as text, its examples with their expected
output and its page's address. Both are read with the standard library.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from importlib import resources

from glossary_dl._registry import Term, load_terms


@dataclass(frozen=True)
class Example:
    page: str
    line: int
    syntax: str
    code: str
    expected: str | None
    skip: str | None
    needs: tuple[str, ...]  # the extras that provide ``modules``
    modules: tuple[str, ...] = ()  # what it imports beyond the package, NumPy and the standard library

    @property
    def where(self) -> str:
        return f"{self.page}, line {self.line}"


def normalise(text: str) -> str:
    """Case and spacing aside, as the site's search compares names."""
    return " ".join(text.split()).lower()


def singular(text: str) -> str:
    """English plurals, roughly, as the site's search worker makes them (glossary-search.js)."""
    def one(word: str) -> str:
        if word.endswith("ices"):
            return word[:-4] + "ix"
        if word.endswith("ies") and len(word) > 4:
            return word[:-3] + "y"
        if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            return word[:-1]
        return word
    return " ".join(one(word) for word in normalise(text).split())


class Catalogue:
    """Every term, with lookup by any of its names and the site's search ranking."""

    def __init__(self) -> None:
        self.terms = load_terms()
        data = json.loads(resources.files("glossary_dl").joinpath("data", "pages.json").read_text("utf-8"))
        self.site_url: str = data["site_url"]
        self._pages = data["pages"]
        self._extra = data["terms"]
        self.by_slug = {term.slug: term for term in self.terms}

    # ---------------------------------------------------------------- lookup
    @cached_property
    def _labels(self) -> dict[str, dict[str, Term]]:
        """Exact forms (normalised, and made singular) of every name, synonym and slug."""
        exact: dict[str, Term] = {}
        plural: dict[str, Term | None] = {}
        for term in self.terms:
            for label in (term.name, *term.synonyms, term.slug.replace("-", " ")):
                exact.setdefault(normalise(label), term)
                form = singular(label)
                # a form two terms share is left out, as on the site
                plural[form] = term if plural.get(form, term) is term else None
        return {"exact": exact, "singular": {k: v for k, v in plural.items() if v is not None}}

    def find(self, query: str) -> Term | None:
        """The term named (or with a synonym) ``query``, any case, singular or plural."""
        for form in dict.fromkeys((query, query.replace("-", " "))):  # a slug names its term too
            term = self._labels["exact"].get(normalise(form)) or self._labels["singular"].get(singular(form))
            if term is not None:
                return term
        return None

    def near_misses(self, query: str, n: int = 3) -> list[str]:
        labels = {label: term for label, term in self._labels["exact"].items()}
        close = difflib.get_close_matches(normalise(query), list(labels), n=2 * n, cutoff=0.75)
        names = []
        for label in close:
            name = labels[label].name
            if name not in names:
                names.append(name)
        return names[:n]

    # ---------------------------------------------------------------- search
    def search(self, query: str) -> list[Term]:
        """Ranked matches over names, synonyms and definitions, as the site ranks them.

        A term whose name or synonym is exactly the query (or its plural) comes first, as the
        site's search worker puts its page first. The rest follow the theme's way of scoring:
        every query word matches as a prefix of a word, a match in the name counts most, then
        the synonyms, then the definition; the scores of the words add up.
        """
        words = normalise(query).split()
        if not words:
            return []
        scored = []
        for order, term in enumerate(self.terms):
            score = sum(_word_score(word, term) for word in words)
            if score:
                scored.append((-score, order, term))
        ranked = [term for _, _, term in sorted(scored)]
        first = self.find(query)
        if first is not None:
            ranked = [first] + [term for term in ranked if term is not first]
        return ranked

    # ---------------------------------------------------------------- what the pages show
    def url(self, term: Term | None = None) -> str:
        return self.site_url if term is None else self._extra[term.slug]["url"]

    def formula(self, term: Term) -> str:
        return self._extra[term.slug]["formula"]

    def examples(self, term: Term) -> list[Example]:
        blocks = self._pages[term.page]["blocks"]
        return [self._example(term.page, blocks[i]) for i in self._extra[term.slug]["examples"]]

    def page_examples(self, page: str) -> list[Example]:
        return [self._example(page, block) for block in self._pages[page]["blocks"]]

    @property
    def term_pages(self) -> list[str]:
        """The pages of the terms, in registry order (the Command line page is not one)."""
        return list(dict.fromkeys(term.page for term in self.terms))

    @staticmethod
    def _example(page: str, block: dict) -> Example:
        return Example(page=page, line=block["line"], syntax=block["syntax"], code=block["code"],
                       expected=block["expected"], skip=block["skip"], needs=tuple(block["needs"]),
                       modules=tuple(block["modules"]))


def _word_score(word: str, term: Term) -> int:
    def hits(text: str) -> int:
        return sum(1 for token in re.findall(r"[\w']+", text.lower()) if token.startswith(word))
    return 10 * hits(term.name) + 5 * sum(hits(s) for s in term.synonyms) + hits(term.definition)
