"""Every Python-looking code fence on every page either runs or says why not.

pytest-codeblocks only collects fences whose info string is exactly
``python`` (or ``sh``/``bash``); ``py``, ``python3``, ``pycon`` or
``python title="x"`` would be silently ignored, so a broken example could
ship. This test scans the Markdown sources and fails on such a fence unless
the line before it carries a visible skip reason.
"""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*\{?\.?([\w+-]*)(.*)$")
PYTHON_LIKE = {"py", "python", "python3", "py3", "pycon", "ipython", "python2"}
EXECUTED = {"python", "sh", "bash"}
SKIP_WITH_REASON = re.compile(r"<!--\s*pytest\.mark\.skip(if)?\(.*reason=(['\"]).+\2.*\)\s*-->")


SNIPPET_INCLUDE = re.compile(r"^\s*-{1,}8<-{1,}\s")


def fences(path: Path):
    """Yield (line number, language, rest of info string, previous non-blank line, body)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    inside, closing, previous, opened, body = False, "", "", None, []
    for number, line in enumerate(lines, start=1):
        match = FENCE.match(line)
        if inside:
            if line.strip().startswith(closing) and line.strip().strip(closing[0]) == "":
                inside = False
                yield (*opened, "\n".join(body))
            else:
                body.append(line)
            continue
        if match:
            inside, closing, body = True, match.group(2), []
            opened = (number, match.group(3).lower(), match.group(4).strip(), previous)
        if line.strip():
            previous = line.strip()


def is_source_listing(body: str) -> bool:
    """A fence that only includes library source (pymdownx.snippets) is a listing, not an example."""
    lines = [line for line in body.splitlines() if line.strip()]
    return bool(lines) and all(SNIPPET_INCLUDE.match(line) for line in lines)


PAGES = sorted(DOCS.rglob("*.md"))


def test_there_are_pages():
    assert len(PAGES) >= 5


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_python_fences_are_executed(page):
    problems = []
    for number, language, rest, previous, body in fences(page):
        if language not in PYTHON_LIKE and language not in EXECUTED:
            continue
        runs = language in EXECUTED and rest == ""
        if runs and is_source_listing(body):
            problems.append(f"line {number}: a snippet include in a fence that pytest-codeblocks runs")
        elif not runs and not is_source_listing(body) and not SKIP_WITH_REASON.search(previous):
            problems.append(f"line {number}: ```{language}{(' ' + rest) if rest else ''} would not be run")
    assert not problems, f"{page.name}: " + "; ".join(problems)


def test_the_scanner_catches_silently_ignored_fences(tmp_path):
    page = tmp_path / "bad.md"
    page.write_text("```py\nprint(1)\n```\n\n```python title=\"x.py\"\nprint(2)\n```\n\n```python\nprint(3)\n```\n")
    found = [(lang, rest) for _, lang, rest, _, _ in fences(page)]
    assert found == [("py", ""), ("python", 'title="x.py"'), ("python", "")]


def test_only_pure_snippet_includes_count_as_listings():
    assert is_source_listing('--8<-- "src/glossary_dl/losses.py:bce_loop"')
    assert not is_source_listing('--8<-- "x.py"\nprint(1)')
    assert not is_source_listing("")
