"""The code blocks of a page, as CI runs them: each with its expected output, line and skip reason.

The blocks are read by pytest-codeblocks' own parser (``extract_from_file``), the one that runs
them in CI, so what is listed here is exactly what CI checks. This module adds what a reader of
the blocks needs besides: the skip reason as text, the section (the ``{ #anchor }`` of the
nearest heading above the block) and the extras the block's imports call for.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

RUN_SYNTAX = ("python", "bash", "sh")
SKIP_REASON = re.compile(r"""^pytest\.mark\.skip\(reason=(['"])(.*)\1\)$""")
HEADING = re.compile(r"^#{1,6} [^\n]*?(?:\{\s*#([\w-]+)\s*\})?\s*$")
# Imports beyond the package and NumPy, and the extra that provides each.
EXTRA_OF_MODULE = {"torch": "oracles", "keras": "oracles", "sklearn": "oracles",
                   "matplotlib": "notebooks", "IPython": "notebooks"}


@dataclass(frozen=True)
class Block:
    code: str
    syntax: str
    line: int
    expected: str | None
    skip: str | None  # the reason shown on the page, or None when the block runs
    section: str  # the anchor of the heading above the block; "" before any anchored heading
    needs: tuple[str, ...]  # extras (sorted) that the block's imports need


def page_blocks(path: str | Path) -> list[Block]:
    """The runnable blocks (```` ```python ````, ```` ```bash ````) of one Markdown page."""
    from pytest_codeblocks import extract_from_file

    path = Path(path)
    sections = _sections(path.read_text(encoding="utf-8"))
    blocks = []
    for block in extract_from_file(path):
        if block.syntax not in RUN_SYNTAX:
            continue
        blocks.append(Block(
            code=block.code,
            syntax=block.syntax,
            line=block.lineno,
            expected=block.expected_output,
            skip=_skip_reason(block.marks),
            section=_section_at(sections, block.lineno),
            needs=needed_extras(block.code) if block.syntax == "python" else (),
        ))
    return blocks


def needed_extras(code: str) -> tuple[str, ...]:
    """The extras whose modules ``code`` imports (any nesting), sorted."""
    modules = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module.split(".")[0])
    return tuple(sorted({EXTRA_OF_MODULE[m] for m in modules if m in EXTRA_OF_MODULE}))


def _skip_reason(marks: list[str]) -> str | None:
    for mark in marks:
        match = SKIP_REASON.match(mark.strip())
        if match:
            return match.group(2)
        if mark.strip().startswith("pytest.mark.skip"):
            return "skipped on the page"
    return None


def _sections(text: str) -> list[tuple[int, str]]:
    """(line, anchor) of every heading outside code fences, in page order."""
    headings, fence = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith("```"):
            ticks = len(stripped) - len(stripped.lstrip("`"))
            fence = None if fence is not None and ticks >= fence else (fence or ticks)
            continue
        match = HEADING.match(line) if fence is None else None
        if match:
            headings.append((number, match.group(1) or ""))
    return headings


def _section_at(sections: list[tuple[int, str]], line: int) -> str:
    anchor = ""
    for number, heading_anchor in sections:
        if number > line:
            break
        anchor = heading_anchor
    return anchor
