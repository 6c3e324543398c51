"""The term registry: ``glossary_dl/data/terms/*.toml``, one file per family.

The one source of the glossary's terms (names, synonyms, definitions, pages, implementations,
related terms), shipped inside the package and read with the standard library only, so that the
site's build hook (``docs/_hooks/registry.py`` re-exports this module) and the ``glossary-dl``
command read the same file and apply the same rules.
"""

from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

REGISTRY = Path(str(resources.files("glossary_dl").joinpath("data", "terms")))
REQUIRED_FIELDS = ("name", "slug", "synonyms", "definition", "page", "chapter")
OPTIONAL_FIELDS = ("implementations", "related", "prerequisites", "anchor")


@dataclass(frozen=True)
class Term:
    name: str
    slug: str
    synonyms: tuple[str, ...]
    definition: str
    page: str
    chapter: str
    implementations: tuple[str, ...] = field(default_factory=tuple)
    related: tuple[str, ...] = field(default_factory=tuple)
    prerequisites: tuple[str, ...] = field(default_factory=tuple)
    anchor: str = ""
    family: str = ""

    @property
    def url_path(self) -> str:
        """The page path plus the anchor, as a Markdown link target."""
        return self.page + (f"#{self.anchor}" if self.anchor else "")


class RegistryError(ValueError):
    """The registry breaks one of its own rules."""


def load_terms(path: str | Path = REGISTRY) -> list[Term]:
    """Parse the registry (a TOML file, or a folder of them) and check its consistency.

    Each file holds ``family = "<title>"`` and a ``[[term]]`` table per term; the folder's files
    are read in name order, so the terms come grouped by family.
    """
    path = Path(path)
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    if not files:
        raise RegistryError(f"{path}: no registry files")
    terms = []
    for file in files:
        try:
            document = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise RegistryError(f"{file}: {error}") from None
        entries = document.get("term")
        if not isinstance(entries, list):
            raise RegistryError(f"{file}: expected [[term]] tables")
        family = str(document.get("family", file.stem))
        terms += [_parse_entry(entry, len(terms) + index, family) for index, entry in enumerate(entries)]
    _check_links(terms)
    return terms


def _parse_entry(entry: object, index: int, family: str) -> Term:
    if not isinstance(entry, dict):
        raise RegistryError(f"entry {index}: expected a table, got {type(entry).__name__}")
    unknown = set(entry) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS)
    missing = [key for key in REQUIRED_FIELDS if key not in entry]
    if unknown or missing:
        raise RegistryError(
            f"entry {index} ({entry.get('name', '?')}): "
            f"unknown fields {sorted(unknown)}, missing fields {missing}"
        )
    as_tuple = lambda key: tuple(entry.get(key) or ())  # noqa: E731
    return Term(
        name=str(entry["name"]),
        slug=str(entry["slug"]),
        synonyms=as_tuple("synonyms"),
        definition=" ".join(str(entry["definition"]).split()),
        page=str(entry["page"]),
        chapter=str(entry["chapter"]),
        implementations=as_tuple("implementations"),
        related=as_tuple("related"),
        prerequisites=as_tuple("prerequisites"),
        anchor=str(entry.get("anchor") or ""),
        family=family,
    )


def _check_links(terms: list[Term]) -> None:
    slugs = [term.slug for term in terms]
    duplicated = {slug for slug in slugs if slugs.count(slug) > 1}
    if duplicated:
        raise RegistryError(f"duplicated slugs: {sorted(duplicated)}")
    # A term may list case variants of its own name (RMSprop, RMSProp); two terms may not share one.
    names = [label for term in terms for label in {l.lower() for l in (term.name, *term.synonyms)}]
    clashes = {label for label in names if names.count(label) > 1}
    if clashes:
        raise RegistryError(f"a name or synonym is used by two terms: {sorted(clashes)}")
    for term in terms:
        for slug in (*term.related, *term.prerequisites):
            if slug not in slugs:
                raise RegistryError(f"{term.slug}: related/prerequisite {slug!r} is not a term")


def resolve(dotted: str) -> object:
    """Import ``package.module.name`` and return the object; raise if absent."""
    module_name, _, attribute = dotted.rpartition(".")
    module = importlib.import_module(module_name)
    if not hasattr(module, attribute):
        raise RegistryError(f"{dotted}: {module_name} has no attribute {attribute!r}")
    return getattr(module, attribute)
