"""mkdocs hook: the reader's path — the package served by the site, and every block runnable from it.

- the build makes the wheel and the sdist of the source it documents and serves them under
  ``downloads/``; a missing wheel fails the build
- ``<!-- reader:install -->`` becomes the command that installs the package from this site
  (the address comes from ``site_url``); ``<!-- reader:extras -->`` the table of the light extras
- every block that imports more than the package and NumPy gets a visible "Needs …" line
  (the ``glossary_site.reader_blocks`` Markdown extension, named in mkdocs.yml; its
  ``wheel_url`` set here from ``site_url``); a block whose imports no light extra
  provides fails the build with its page and line
- every term page is also served as a notebook (``page_notebooks``), linked from the page;
  every notebook page links its own ``.ipynb``
"""

from __future__ import annotations

import hashlib
import posixpath
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).parent))
import nbformat  # noqa: E402
from glossary_site.page_blocks import LABELS, LIGHT_EXTRAS, NeedsError, ROOT, light_extras, needs_of, page_blocks, site_pages  # noqa: E402
from glossary_site.page_notebooks import notebook_path, page_notebook  # noqa: E402

READER_BLOCKS = "glossary_site.reader_blocks"

DIST_CACHE = ROOT / ".cache" / "glossary-dl-dist"
# What the wheel and the sdist are made of: a change to any of these makes a new build.
DIST_SOURCES = ("pyproject.toml", "README.md", "src/glossary_dl")

_site: dict = {}


def wheel_name() -> str:
    return f"glossary_dl-{_project()['version']}-py3-none-any.whl"


def on_config(config):
    project = _project()
    wheel = wheel_name()
    site_url = (config.site_url or "http://127.0.0.1:8000/").rstrip("/") + "/"
    _site.update(
        site_url=site_url,
        wheel=wheel,
        sdist=f"glossary_dl-{project['version']}.tar.gz",
        wheel_url=f"{site_url}downloads/{wheel}",
        extras=light_extras(),
        docs_dir=Path(config.docs_dir),
    )
    _check_needs(Path(config.docs_dir), _site["extras"])
    if READER_BLOCKS not in (config.markdown_extensions or []):
        raise PluginError(f"mkdocs.yml: markdown_extensions must name {READER_BLOCKS}")
    # The extension is named in mkdocs.yml; the wheel's address follows site_url.
    config.mdx_configs.setdefault(READER_BLOCKS, {})["wheel_url"] = _site["wheel_url"]
    return config


def _project() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]


def _check_needs(docs_dir: Path, extras) -> None:
    """Every block of every page needs only what the package or a light extra provides."""
    problems = []
    for path in site_pages(docs_dir):
        for block in page_blocks(path, docs_dir):
            try:
                needs_of(block, extras)
            except NeedsError as error:
                problems.append(str(error))
    if problems:
        raise PluginError("\n".join(problems))


# ---------------------------------------------------------------- downloads
def on_files(files, config):
    for path in built_distributions((_site["wheel"], _site["sdist"])):
        files.append(File.generated(config, f"downloads/{path.name}", content=path.read_bytes()))
    docs_dir = _site["docs_dir"]
    for path in sorted((docs_dir / "terms").glob("*.md")):
        page = path.relative_to(docs_dir).as_posix()
        notebook = page_notebook(path.read_text(encoding="utf-8"), page, _site["site_url"],
                                 _site["wheel_url"], _site["extras"])
        files.append(File.generated(config, notebook_path(page), content=nbformat.writes(notebook)))
    return files


def built_distributions(names: tuple[str, ...]) -> list[Path]:
    """The wheel and sdist of the current source, built once per source state (``python -m build``)."""
    folder = DIST_CACHE / _source_digest()
    if not all((folder / name).is_file() for name in names):
        shutil.rmtree(DIST_CACHE, ignore_errors=True)  # earlier states of the source are of no use
        folder.mkdir(parents=True)
        run = subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(folder), str(ROOT)],
                             capture_output=True, text=True)
        if run.returncode != 0:
            raise PluginError(f"building the package failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise PluginError(f"the package build made no {', '.join(missing)} in {folder}")
    return [folder / name for name in names]


def _source_digest() -> str:
    digest = hashlib.sha256()
    for source in DIST_SOURCES:
        path = ROOT / source
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file() and "__pycache__" not in file.parts and file.suffix not in (".nbi", ".nbc", ".pyc"):
                digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------- pages
def on_page_markdown(markdown, page, config, files):
    src = page.file.src_uri
    markdown = markdown.replace("<!-- reader:install -->", install_block())
    markdown = markdown.replace("<!-- reader:extras -->", extras_table())
    markdown = markdown.replace("<!-- reader:files -->", files_list(src))
    if src.startswith("terms/"):
        target = _relative(notebook_path(src), src)
        link = f'[Download this page as a notebook]({target}){{ .glossary-download download="{Path(target).name}" }}'
        title_end = markdown.find("\n", markdown.find("# "))
        markdown = markdown[:title_end + 1] + "\n" + link + "\n" + markdown[title_end + 1:]
    return markdown


def on_page_content(html, page, config, files):
    src = page.file.src_uri
    if src.endswith(".ipynb"):
        # mkdocs-jupyter copies the notebook beside its page: notebooks/x/x.ipynb
        name = Path(src).name
        link = f'<p><a class="glossary-download" href="{name}" download="{name}">Download this notebook ({name})</a></p>'
        html = link + html
    return html


def install_block() -> str:
    """The command that installs the package from this site, as a copyable block."""
    return f'```bash\npip install "glossary-dl @ {_site["wheel_url"]}"\n```'


def files_list(src: str) -> str:
    """Links to the wheel and the sdist that the site serves."""
    wheel, sdist = (_relative(f"downloads/{_site[key]}", src) for key in ("wheel", "sdist"))
    return (
        f"- [{_site['wheel']}]({wheel}) — the wheel, what `pip` installs.\n"
        f"- [{_site['sdist']}]({sdist}) — the source archive: the package's source and its README.\n"
    )


def extras_table() -> str:
    """The light extras, what each adds, and the command that installs the package with it."""
    rows = ["| extra | adds | for | install |", "| --- | --- | --- | --- |"]
    purpose = {"oracles": "the blocks that compare with other libraries", "notebooks": "the notebooks"}
    for extra in LIGHT_EXTRAS:
        names = ", ".join(LABELS.get(name, name) for name in _site["extras"][extra])
        command = f'`pip install "glossary-dl[{extra}] @ {_site["wheel_url"]}"`'
        rows.append(f"| `{extra}` | {names} | {purpose[extra]} | {command} |")
    return "\n".join(rows)


def _relative(path: str, from_src: str) -> str:
    """A Markdown link from the page ``from_src`` to a file of the site (links are relative to the source)."""
    return posixpath.relpath(path, posixpath.dirname(from_src) or ".")
