"""A term page as a Jupyter notebook, made from the page's Markdown at build time with nbformat.

The page's prose becomes Markdown cells, each block that CI runs becomes a code cell (its
expected output kept in the cell's metadata, ``glossary.expected_output``, for the test that
executes the notebooks), and the first cell says what to install. Links and figures point at
the site, so the notebook reads the same anywhere.
"""

from __future__ import annotations

import posixpath
import re

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .page_blocks import Block, Needs, blocks_of_text, needs_of

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})")
COMMENT_LINE = re.compile(r"^\s*<!--.*-->\s*$")
HEADING_ATTRS = re.compile(r"^(#{1,6} .*?)\s*\{[^}]*\}\s*$")
ADMONITION = re.compile(r'^(!!!|\?\?\?\+?)\s+(\w+)(?:\s+"([^"]*)")?\s*$')
LINK = re.compile(r"(\]\()([^)\s]+)(\))")
SNIPPET = re.compile(r"^\s*-{1,}8<-{1,}\s")


def page_notebook(text: str, page: str, site_url: str, wheel_url: str,
                  extras: dict[str, tuple[str, ...]]) -> nbformat.NotebookNode:
    """The notebook of one page (``page``: its path under docs/, ``text``: its Markdown)."""
    lines = text.splitlines()
    blocks = [block for block in blocks_of_text(text, page) if block.language == "python"]
    site_url = site_url.rstrip("/") + "/"
    convert = _ProseConverter(page, site_url)
    cells = [new_markdown_cell(_install_text(blocks, extras, page, site_url, wheel_url))]
    cursor = 0
    for block in blocks:
        fence = block.line - 1
        cells += convert.cells(lines[cursor:fence])
        cursor = _after_fence(lines, fence)
        if block.skip_reason:
            cells.append(new_markdown_cell(f"Not run here ({block.skip_reason}):\n\n```python\n{block.code}```"))
        else:
            cells.append(new_code_cell(block.code.rstrip("\n"), metadata={
                "glossary": {"page_line": block.line, "expected_output": block.expected_output}}))
        if block.expected_output is not None:
            cursor = _after_expected_output(lines, cursor)
    cells += convert.cells(lines[cursor:])
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "glossary": {"page": page},
    })
    nbformat.validate(notebook)
    return notebook


def notebook_path(page: str) -> str:
    """Where the site serves a page's notebook: ``terms/momentum.md`` → ``downloads/notebooks/momentum.ipynb``."""
    return f"downloads/notebooks/{posixpath.splitext(posixpath.basename(page))[0]}.ipynb"


def page_url(site_url: str, page: str) -> str:
    """The address of a page (directory URLs, as MkDocs makes them)."""
    stem = posixpath.splitext(page)[0]
    stem = stem[: -len("index")] if stem.endswith("index") else stem + "/"
    return site_url.rstrip("/") + "/" + stem


def _install_text(blocks: list[Block], extras, page: str, site_url: str, wheel_url: str) -> str:
    needs = [needs_of(block, extras) for block in blocks if not block.skip_reason]
    combined = Needs(
        tuple(dict.fromkeys(d for n in needs for d in n.distributions)),
        tuple(dict.fromkeys(e for n in sorted(needs, key=lambda n: n.extras) for e in n.extras)),
    )
    requirement = combined.requirement() if combined else "glossary-dl"
    what = f"the package with {combined.labels}" if combined else "the package (it needs only NumPy and numba)"
    return (
        f"This notebook is the page [{page_url(site_url, page)}]({page_url(site_url, page)}) of the "
        "glossary-dl site, made when the site was built.\n\n"
        f"To run it, install {what} into the environment of this notebook's kernel:\n\n"
        f"```bash\npip install \"{requirement} @ {wheel_url}\"\n```"
    )


def _after_fence(lines: list[str], start: int) -> int:
    """The index of the line after the fence that opens at ``start``."""
    marker = FENCE.match(lines[start]).group(2)
    for index in range(start + 1, len(lines)):
        stripped = lines[index].strip()
        if stripped.startswith(marker) and not stripped.strip(marker[0]):
            return index + 1
    return len(lines)


def _after_expected_output(lines: list[str], start: int) -> int:
    """Skip the expected-output marker and its fence, which follow a block."""
    index = start
    while index < len(lines) and not FENCE.match(lines[index]):
        index += 1
    return _after_fence(lines, index) if index < len(lines) else start


class _ProseConverter:
    """The page's Markdown between blocks, as notebook Markdown: site-only syntax removed, links absolute."""

    def __init__(self, page: str, site_url: str):
        self.page, self.site_url = page, site_url

    def cells(self, lines: list[str]) -> list:
        text = "\n".join(self._lines(lines)).strip("\n")
        return [new_markdown_cell(text)] if text.strip() else []

    def _lines(self, lines: list[str]):
        index = 0
        while index < len(lines):
            line = lines[index]
            fence = FENCE.match(line)
            if fence:
                end = _after_fence(lines, index)
                body = [b for b in lines[index + 1:end - 1] if b.strip()]
                if body and all(SNIPPET.match(b) for b in body):
                    yield f"*(A source listing: see [the page]({page_url(self.site_url, self.page)}).)*"
                else:
                    yield from lines[index:end]
                index = end
                continue
            admonition = ADMONITION.match(line)
            if admonition:
                title = admonition.group(3) or admonition.group(2).capitalize()
                yield f"> **{title}**"
                index += 1
                while index < len(lines) and (lines[index].startswith("    ") or not lines[index].strip()):
                    if not lines[index].strip() and index + 1 < len(lines) and not lines[index + 1].startswith("    "):
                        break
                    yield "> " + self._links(lines[index][4:])
                    index += 1
                continue
            if not COMMENT_LINE.match(line):
                heading = HEADING_ATTRS.match(line)
                yield self._links(heading.group(1) if heading else line)
            index += 1

    def _links(self, line: str) -> str:
        return LINK.sub(lambda m: m.group(1) + self._absolute(m.group(2)) + m.group(3), line)

    def _absolute(self, target: str) -> str:
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target):
            return target
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(self.page), path))
        url = page_url(self.site_url, resolved) if resolved.endswith(".md") else self.site_url + resolved
        return url + (f"#{anchor}" if anchor else "")
