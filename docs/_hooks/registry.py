"""Read and check the term registry (``docs/_registry/*.yml``, one file per family).

Shared by the site's build hook (``glossary.py`` beside this file) and by the
tests, so both apply the same rules.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

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

    @property
    def url_path(self) -> str:
        """The page path plus the anchor, as a Markdown link target."""
        return self.page + (f"#{self.anchor}" if self.anchor else "")


class RegistryError(ValueError):
    """The registry breaks one of its own rules."""


def load_terms(path: str | Path) -> list[Term]:
    """Parse the registry (a YAML file, or a folder of them) and check its consistency."""
    import yaml  # docs/test dependency only; the package itself never needs it

    path = Path(path)
    files = sorted(path.glob("*.yml")) if path.is_dir() else [path]
    if not files:
        raise RegistryError(f"{path}: no registry files")
    raw = []
    for file in files:
        entries = yaml.safe_load(file.read_text(encoding="utf-8"))
        if not isinstance(entries, list):
            raise RegistryError(f"{file}: expected a list of terms")
        raw += entries
    terms = [_parse_entry(entry, index) for index, entry in enumerate(raw)]
    _check_links(terms)
    return terms


def _parse_entry(entry: object, index: int) -> Term:
    if not isinstance(entry, dict):
        raise RegistryError(f"entry {index}: expected a mapping, got {type(entry).__name__}")
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
