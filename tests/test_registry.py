"""The term registry, the pages and the package agree."""

import inspect
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_hooks"))
from registry import RegistryError, load_terms, resolve  # noqa: E402

import glossary_dl  # noqa: E402

TERMS = load_terms()
NAV_IGNORED: set[str] = set()


def public_names():
    import importlib

    for module_name in glossary_dl.__all__:
        module = importlib.import_module(f"glossary_dl.{module_name}")
        for name in module.__all__:
            yield f"glossary_dl.{module_name}.{name}"


def test_every_term_has_its_page():
    for term in TERMS:
        page = DOCS / term.page
        assert page.is_file(), f"{term.name}: page {term.page} does not exist"
        if term.anchor:
            assert re.search(r"\{\s*#" + re.escape(term.anchor) + r"\b", page.read_text()), term.name


def test_every_term_page_has_an_entry():
    pages = {term.page for term in TERMS}
    for page in sorted((DOCS / "terms").rglob("*.md")):
        assert str(page.relative_to(DOCS)) in pages, f"{page.name} has no registry entry"


def test_every_implementation_exists():
    for term in TERMS:
        for dotted in term.implementations:
            obj = resolve(dotted)
            assert callable(obj), dotted


def test_every_public_name_has_a_page():
    documented = {dotted for term in TERMS for dotted in term.implementations}
    missing = sorted(set(public_names()) - documented)
    assert not missing, f"public names with no term page: {missing}"


def test_every_module_has_an_api_page():
    for module_name in glossary_dl.__all__:
        page = DOCS / "api" / f"{module_name}.md"
        assert page.is_file(), f"no API page for glossary_dl.{module_name}"
        assert f"::: glossary_dl.{module_name}" in page.read_text()


def test_every_public_function_documents_itself():
    for dotted in public_names():
        doc = inspect.getdoc(resolve(dotted)) or ""
        assert len(doc.split()) >= 10, f"{dotted} has no real docstring"


def test_term_pages_carry_card_and_related_terms():
    for term in TERMS:
        text = (DOCS / term.page).read_text()
        assert "<!-- glossary:card -->" in text, term.page
        assert "<!-- glossary:related -->" in text, term.page


def test_nav_lists_every_page():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    listed = set()

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            listed.add(node)

    walk(config["nav"])
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md") if "_" not in p.parts[-2][:1]}
    pages |= {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.ipynb") if ".ipynb_checkpoints" not in str(p)}
    assert pages <= listed | NAV_IGNORED | {"abbreviations.md"}, sorted(pages - listed - NAV_IGNORED)
    assert all((DOCS / page).exists() for page in listed), sorted(p for p in listed if not (DOCS / p).exists())


@pytest.mark.parametrize(
    "broken, message",
    [
        ([{"name": "A", "slug": "a"}], "missing fields"),
        ([{"name": "A", "slug": "a", "synonyms": [], "definition": "d", "page": "p", "chapter": "c",
           "related": ["nope"]}], "is not a term"),
        ([{"name": "A", "slug": "a", "synonyms": ["B"], "definition": "d", "page": "p", "chapter": "c"},
          {"name": "B", "slug": "b", "synonyms": [], "definition": "d", "page": "q", "chapter": "c"}],
         "used by two terms"),
    ],
)
def test_registry_rules_are_enforced(tmp_path, broken, message):
    path = tmp_path / "terms.toml"
    path.write_text('family = "Test"\n' + "".join(_toml_table(entry) for entry in broken))
    with pytest.raises(RegistryError, match=message):
        load_terms(path)


def _toml_table(entry: dict) -> str:
    """One ``[[term]]`` table; json.dumps writes valid TOML strings and string arrays."""
    import json

    return "[[term]]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in entry.items())


def test_registry_ships_in_the_package_and_nowhere_else():
    """One source: the TOML files inside the package; no registry copy left in docs/."""
    from glossary_dl._registry import REGISTRY

    assert REGISTRY.is_relative_to(Path(glossary_dl.__file__).parent)
    assert sorted(p.suffix for p in REGISTRY.iterdir()) == [".toml"] * len(list(REGISTRY.iterdir()))
    assert not list((DOCS / "_registry").glob("*.yml")), "registry files in docs/_registry: move them"
    families = [term.family for term in TERMS]
    assert families == sorted(families, key=families.index), "the terms come grouped by family"
    assert all(families), "every file names its family"


def test_resolve_refuses_a_missing_name():
    with pytest.raises(RegistryError, match="has no attribute"):
        resolve("glossary_dl.losses.no_such_loss")
