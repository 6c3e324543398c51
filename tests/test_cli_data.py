"""The command's data: generated from the pages, current, and complete in the wheel."""

import json
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "docs" / "_hooks"))
import package_data  # noqa: E402
from glossary_site.page_blocks import page_blocks  # noqa: E402
from registry import load_terms  # noqa: E402

TERMS = load_terms()


def test_pages_json_is_current():
    """src/glossary_dl/data/pages.json equals a fresh generation from the pages."""
    committed = package_data.OUTPUT.read_text(encoding="utf-8")
    assert committed == package_data.render(), (
        "src/glossary_dl/data/pages.json is stale: run python scripts/package_data.py and commit it"
    )


def test_site_url_is_the_one_mkdocs_builds_with():
    data = json.loads(package_data.OUTPUT.read_text(encoding="utf-8"))
    assert data["site_url"] == package_data.site_url()
    assert data["terms"]["momentum"]["url"] == data["site_url"] + "terms/momentum/"
    assert data["terms"]["relu"]["url"] == data["site_url"] + "terms/activation-function/#relu"


def test_wheel_carries_every_term_and_example_the_site_shows(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        registry = [tomllib.loads(archive.read(n).decode()) for n in sorted(names)
                    if n.startswith("glossary_dl/data/terms/") and n.endswith(".toml")]
        shipped = json.loads(archive.read("glossary_dl/data/pages.json"))
    shipped_terms = [entry for document in registry for entry in document["term"]]
    assert [entry["slug"] for entry in shipped_terms] == [term.slug for term in TERMS]
    assert {entry["slug"]: entry["synonyms"] for entry in shipped_terms} == {t.slug: list(t.synonyms) for t in TERMS}
    assert set(shipped["terms"]) == {term.slug for term in TERMS}
    pages = {term.page for term in TERMS} | {"command-line.md"}
    assert set(shipped["pages"]) == pages
    for page in sorted(pages):
        on_site = page_blocks(ROOT / "docs" / page, ROOT / "docs")
        in_wheel = shipped["pages"][page]["blocks"]
        assert [(b.line, b.code, b.expected_output, b.skip_reason) for b in on_site] == \
            [(b["line"], b["code"], b["expected"], b["skip"]) for b in in_wheel], page
    assert sum(len(p["blocks"]) for p in shipped["pages"].values()) >= 126


def test_every_term_has_a_formula_and_examples():
    data = json.loads(package_data.OUTPUT.read_text(encoding="utf-8"))
    for term in TERMS:
        entry = data["terms"][term.slug]
        assert entry["formula"].strip(), f"{term.slug}: no formula on its page"
        assert "\\" not in entry["formula"].replace("\\n", ""), f"{term.slug}: LaTeX left in {entry['formula']!r}"
        assert entry["examples"], f"{term.slug}: no examples"


def test_formula_text_is_converted_by_pylatexenc():
    text = package_data.formula_text(r"With $\eta$ fixed: $$\theta \leftarrow \theta - \eta\, g_t$$ (`a_b`), 5%.")
    assert "θ" in text and "η" in text and "←" in text
    assert "`a_b`" in text and "5%" in text  # code spans kept verbatim, % not a comment
    # a subscript or superscript of more than one character keeps its grouping
    grouped = package_data.formula_text(r"$\theta_{t+1} = e^{x_i - x^{\max}} + x^{2}$")
    assert grouped == "θ_(t+1) = e^(x_i - x^(max)) + x^2", grouped


def test_a_term_on_a_shared_page_has_its_own_section():
    """ReLU's examples and formula are those of its section of the activation-function page."""
    data = json.loads(package_data.OUTPUT.read_text(encoding="utf-8"))
    blocks = data["pages"]["terms/activation-function.md"]["blocks"]
    relu = [blocks[i] for i in data["terms"]["relu"]["examples"]]
    assert [b["section"] for b in relu] == ["relu"] and "activations.relu(x)" in relu[0]["code"]
    assert data["terms"]["relu"]["formula"].startswith("    relu(x) = max(x, 0)")
    assert len(data["terms"]["activation-function"]["examples"]) == len(blocks)


def test_what_a_block_needs_comes_from_its_imports():
    data = json.loads(package_data.OUTPUT.read_text(encoding="utf-8"))
    blocks = [b for page in data["pages"].values() for b in page["blocks"]]
    assert all(bool(b["needs"]) == bool(b["modules"]) for b in blocks)
    assert any(b["modules"] == ["torch"] and b["needs"] == ["oracles"] for b in blocks)
