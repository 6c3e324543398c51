"""The built site as a reader meets it: the package to download, a "Needs" line above every block
that needs more than the package, labelled output, a notebook for every term page, and the
chapter-2 network trained on real MNIST digits."""

from __future__ import annotations

import re
import sys
import zipfile
from html import unescape
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_hooks"))
from glossary_site.page_blocks import light_extras, needs_of, page_blocks, site_pages  # noqa: E402

WHEEL = "glossary_dl-0.1.0-py3-none-any.whl"
SDIST = "glossary_dl-0.1.0.tar.gz"
SITE_URL = "http://127.0.0.1:8000/"  # mkdocs.yml's site_url
PAGES = site_pages(DOCS)


def built(site_dir: Path, page: Path) -> str:
    src = page.relative_to(DOCS).with_suffix("")
    folder = src.parent if src.name == "index" else src
    return (site_dir / folder / "index.html").read_text(encoding="utf-8")


def test_the_site_serves_the_wheel_and_sdist_of_its_source(site_dir):
    wheel, sdist = site_dir / "downloads" / WHEEL, site_dir / "downloads" / SDIST
    assert wheel.is_file() and sdist.is_file()
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(ROOT / "src").as_posix() for p in (ROOT / "src" / "glossary_dl").glob("*.py")}
    assert shipped <= names
    assert {"glossary_dl/data/digits.npz", "glossary_dl/data/mnist/t10k-images-idx3-ubyte.gz",
            "glossary_dl/data/mnist/t10k-labels-idx1-ubyte.gz"} <= names
    metadata = zipfile.ZipFile(wheel).read("glossary_dl-0.1.0.dist-info/METADATA").decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert sorted(r.split()[1].split(">")[0] for r in requires) == ["numba", "numpy"]
    assert {"oracles", "notebooks", "docs", "test"} <= set(re.findall(r"^Provides-Extra: (\S+)", metadata, re.M))


def text_of(html: str) -> str:
    """What a reader sees (and copies): the page without its tags."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def test_home_install_page_and_extras_give_the_command_from_the_sites_address(site_dir):
    command = f'pip install "glossary-dl @ {SITE_URL}downloads/{WHEEL}"'
    for page in ("index.md", "install.md"):
        assert command in text_of(built(site_dir, DOCS / page)), page
    install = text_of(built(site_dir, DOCS / "install.md"))
    for extra in ("oracles", "notebooks"):
        assert f'pip install "glossary-dl[{extra}] @ {SITE_URL}downloads/{WHEEL}"' in install
    links = built(site_dir, DOCS / "install.md")
    assert f'href="../downloads/{WHEEL}"' in links and f'href="../downloads/{SDIST}"' in links


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_block_that_needs_more_says_so_and_every_output_is_labelled(site_dir, page):
    html = built(site_dir, page)
    blocks = page_blocks(page, DOCS)  # python and shell blocks; only python ones import
    extras = light_extras()
    expected = [needs_of(b, extras).labels for b in blocks if needs_of(b, extras)]
    shown = re.findall(r'<p class="glossary-needs"><strong>Needs (.*?):</strong>', html)
    assert shown == expected
    outputs = sum(b.expected_output is not None for b in blocks)
    assert html.count('class="no-copy glossary-output highlight"') == outputs
    assert len(re.findall(r'<span class="filename">Output</span>', html)) == outputs


@pytest.mark.parametrize("page", sorted((DOCS / "terms").glob("*.md")), ids=lambda p: p.stem)
def test_every_term_page_links_its_notebook(site_dir, page):
    html = built(site_dir, page)
    link = f"../../downloads/notebooks/{page.stem}.ipynb"
    assert f'href="{link}"' in html and "Download this page as a notebook" in html
    notebook = nbformat.read(site_dir / "downloads" / "notebooks" / f"{page.stem}.ipynb", as_version=4)
    nbformat.validate(notebook)
    runnable = [b for b in page_blocks(page, DOCS) if b.language == "python" and not b.skip_reason]
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.source for cell in code] == [b.code.rstrip("\n") for b in runnable]
    assert "pip install" in notebook.cells[0].source


@pytest.mark.parametrize("notebook", sorted((DOCS / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_page_links_its_ipynb(site_dir, notebook):
    html = (site_dir / "notebooks" / notebook.stem / "index.html").read_text(encoding="utf-8")
    assert f'href="{notebook.name}" download="{notebook.name}"' in html
    served = site_dir / "notebooks" / notebook.stem / notebook.name
    assert served.read_bytes() == notebook.read_bytes()


def test_the_first_network_trains_on_real_mnist_digits_on_the_built_site(site_dir):
    html = (site_dir / "notebooks" / "first-neural-network" / "index.html").read_text(encoding="utf-8")
    text = text_of(html)
    assert "(8000, 28, 28) (2000, 28, 28)" in text
    accuracy = re.search(r"test_acc: (0\.\d{4}) \((\d+) of 2,000 test images\)", text)
    assert accuracy, "the MNIST cell printed no accuracy"
    assert float(accuracy.group(1)) > 0.92 and round(float(accuracy.group(1)) * 2000) == int(accuracy.group(2))
    assert "skipped: path" not in text.split("Real MNIST digits")[1].split("All of MNIST")[0]


def test_no_page_shows_a_warning_or_error_stream_from_its_code(site_dir):
    """A notebook's cell that wrote to stderr (a compiler's warning, a traceback) shows it to the
    reader under the cell: the site's notebooks run clean, on the build's first compile too."""
    noisy = []
    for html in sorted(site_dir.rglob("index.html")):
        page = html.read_text(encoding="utf-8")
        # an output element of that type (a page that shows this test's source holds the words only)
        stderr_output = re.search(r'<[^<>]*\sdata-mime-type="application/vnd\.jupyter\.stderr"', page)
        if stderr_output or re.search(r"\w+Warning: ", text_of(page)):
            noisy.append(html.parent.relative_to(site_dir).as_posix())
    assert not noisy, f"pages showing stderr or a warning: {noisy}"
