"""Writing for a terminal: 80 columns, colour only on a terminal and never with NO_COLOR."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap

WIDTH = 80
STYLES = {"bold": "1", "dim": "2", "green": "32", "red": "31", "yellow": "33", "cyan": "36"}


def is_terminal(stream) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def wants_colour(stream) -> bool:
    """https://no-color.org: a non-empty NO_COLOR turns colour off; so does a pipe or TERM=dumb."""
    return is_terminal(stream) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


class Output:
    """Lines for ``stream``, wrapped to the terminal's width (at most 80 columns)."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stdout
        self.colour = wants_colour(self.stream)
        # a narrower terminal gets narrower lines; a pipe or a file always gets 80 columns
        self.width = min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns) if is_terminal(self.stream) else WIDTH

    def style(self, text: str, *names: str) -> str:
        if not self.colour or not names:
            return text
        codes = ";".join(STYLES[name] for name in names)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def line(self, text: str = "", *styles: str) -> None:
        self.stream.write(self.style(text, *styles) + "\n")

    def paragraph(self, text: str, indent: int = 0, *styles: str) -> None:
        """Prose, re-wrapped to the width."""
        pad = " " * indent
        for line in textwrap.wrap(text, self.width, initial_indent=pad, subsequent_indent=pad) or [""]:
            self.line(line, *styles)

    def verbatim(self, text: str, indent: int = 0, *styles: str) -> None:
        """Code or output: lines kept as they are, a line too long continued on the next (↪)."""
        for line in text.rstrip("\n").splitlines() or [""]:
            for piece in fold(line, self.width - indent):
                self.line((" " * indent + piece).rstrip(), *styles)

    def prose_with_math(self, text: str, indent: int = 0) -> None:
        """Prose lines are re-wrapped as paragraphs; indented lines (display math) kept, folded."""
        paragraph: list[str] = []

        def flush() -> None:
            if paragraph:
                self.paragraph(" ".join(paragraph), indent)
                paragraph.clear()

        for line in text.splitlines():
            if line.startswith("    "):
                flush()
                self.verbatim(line[2:], indent)
            elif not line.strip():
                flush()
                self.line()
            else:
                paragraph.append(line.strip())
        flush()


def fold(line: str, width: int) -> list[str]:
    """``line`` cut into pieces of at most ``width`` columns; each continuation starts with ↪."""
    width = max(width, 10)
    if len(line) <= width:
        return [line]
    pieces = [line[:width]]
    rest = line[width:]
    while rest:
        pieces.append("↪ " + rest[: width - 2])
        rest = rest[width - 2:]
    return pieces


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)].rstrip() + "…"
