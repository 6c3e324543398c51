"""Python-Markdown extension: what a reader needs to see around each code block.

- Before a block that imports more than the package and NumPy, a visible line names what it
  needs and the command that installs it, read from the block's imports (``page_blocks``),
  never typed by hand: *Needs PyTorch and Keras: ``pip install "glossary-dl[oracles] @ …"``*.
- A block of expected output (``<!--pytest-codeblocks:expected-output-->`` before it) is
  labelled "Output", styled apart from code (``.glossary-output``) and has no copy button,
  so the copy button of the code above copies the code alone.

A block whose imports no light extra provides stops the build (``page_blocks.NeedsError``).
Configuration: ``wheel_url``, the address the site serves the wheel from.
"""

from __future__ import annotations

import re
from html import escape

from markdown import Extension
from markdown.preprocessors import Preprocessor

from .page_blocks import NeedsError, blocks_of_text, light_extras, needs_of

OUTPUT_MARK = re.compile(r"^\s*<!--[-\s]*pytest-codeblocks:expected-output(-ignore-whitespace)?[-\s]*-->\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)\s*$")
OUTPUT_FENCE = '{indent}{fence} {{ .text .no-copy .glossary-output title="Output" }}'


class ReaderBlocksExtension(Extension):
    def __init__(self, **kwargs):
        self.config = {"wheel_url": ["", "Where the site serves the package's wheel"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # After whitespace normalisation (30), before the fences are parsed (superfences, 25).
        md.preprocessors.register(ReaderBlocks(md, self.getConfig("wheel_url")), "glossary_reader_blocks", 28)


class ReaderBlocks(Preprocessor):
    def __init__(self, md, wheel_url: str):
        super().__init__(md)
        self.wheel_url = wheel_url
        self.extras = light_extras()

    def run(self, lines: list[str]) -> list[str]:
        needs_before = self._needs_lines("\n".join(lines))
        out: list[str] = []
        output_next = False
        for number, line in enumerate(lines, start=1):
            out += needs_before.get(number, [])
            fence = FENCE.match(line)
            if output_next and fence:
                line = OUTPUT_FENCE.format(indent=fence.group(1), fence=fence.group(2))
            if line.strip():
                output_next = bool(OUTPUT_MARK.match(line))
            out.append(line)
        return out

    def _needs_lines(self, text: str) -> dict[int, list[str]]:
        """Line number of a block's fence → the Markdown of its "Needs" line."""
        found = {}
        for block in blocks_of_text(text, page="(the page being rendered)"):
            needs = needs_of(block, self.extras)
            if needs:
                found[block.line] = [needs_line(needs, self.wheel_url), ""]
        return found


def needs_line(needs, wheel_url: str) -> str:
    """One paragraph: what the block needs and the command that installs it."""
    target = f" @ {wheel_url}" if wheel_url else ""
    command = escape(f'pip install "{needs.requirement()}{target}"')
    # a break opportunity after each "/" of the address: on a phone the line wraps between its
    # parts, never inside "glossary-dl[oracles]"; a copied command holds no trace of them
    command = command.replace("/", "/<wbr>")
    return f'<p class="glossary-needs" markdown>**Needs {needs.labels}:** <code>{command}</code></p>'



def makeExtension(**kwargs):  # noqa: N802 (Python-Markdown's name)
    return ReaderBlocksExtension(**kwargs)


__all__ = ["ReaderBlocksExtension", "NeedsError", "needs_line", "makeExtension"]
