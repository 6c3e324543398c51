"""Write ``src/glossary_dl/data/pages.json``: what the pages show, for the installed command.

The pages stay the source. From each term page (and the Command line page) this takes every
block that CI runs, with its expected output and skip reason (``site_machinery/glossary_site/page_blocks.py``),
and each term's formula as readable text, converted from the page's LaTeX by pylatexenc at
generation time, so the package needs neither the pages nor a LaTeX library at run time. The
site's address (``site_url`` in ``mkdocs.yml``) is baked in for ``glossary-dl docs``.

    python scripts/package_data.py          # rewrite the file
    python scripts/package_data.py --check  # exit 1 when the committed file is stale

``tests/test_cli_data.py`` fails when the committed file differs from a fresh generation.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
OUTPUT = ROOT / "src" / "glossary_dl" / "data" / "pages.json"
EXTRA_PAGES = ("command-line.md",)

sys.path.insert(0, str(DOCS / "_hooks"))
from glossary_site.page_blocks import RUNTIME_MODULES, light_extras, needs_of, page_blocks  # noqa: E402
from registry import Term, load_terms  # noqa: E402

DISPLAY_MATH = re.compile(r"^\s*\$\$\s*$")
FORMULA_SECTION = re.compile(r"^## Formula[^\n]*\n(.*?)(?=^#{1,6} |\Z)", re.S | re.M)
CODE_FENCE = re.compile(r"^(`{3,}).*?^\1\s*$", re.S | re.M)
CODE_SPAN = re.compile(r"`[^`\n]+`")
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
COMMENT = re.compile(r"<!--.*?-->", re.S)
HEADING = re.compile(r"^#{1,6} [^\n]*?(?:\{\s*#([\w-]+)\s*\})?\s*$")


def site_url() -> str:
    import yaml

    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    return config["site_url"].rstrip("/") + "/"


def page_url(base: str, page: str, anchor: str = "") -> str:
    """The page's address with mkdocs' directory URLs (terms/x.md -> terms/x/)."""
    path = page.removesuffix(".md").removesuffix("index")
    return base + (path + "/" if path and not path.endswith("/") else path) + (f"#{anchor}" if anchor else "")


def formula_source(term: Term) -> str:
    """The Markdown of the term's formula: its own section's display math, else the page's ## Formula."""
    text = (DOCS / term.page).read_text(encoding="utf-8")
    if term.anchor:
        section = _anchored_section(text, term.anchor)
        lines = section.splitlines()
        marks = [i for i, line in enumerate(lines) if DISPLAY_MATH.match(line)]
        if len(marks) >= 2:
            return "\n".join(lines[marks[0]:marks[-1] + 1])
    match = FORMULA_SECTION.search(text)
    return match.group(1) if match else ""


def _anchored_section(text: str, anchor: str) -> str:
    match = re.search(r"^#{1,6} [^\n]*\{\s*#" + re.escape(anchor) + r"\s*\}[^\n]*\n", text, re.M)
    if not match:
        return ""
    end = re.compile(r"^#{1,6} ", re.M).search(text, match.end())
    return text[match.end():end.start() if end else len(text)]


def formula_text(markdown: str) -> str:
    """Readable text of a Markdown passage with LaTeX math (pylatexenc's latex2text)."""
    from pylatexenc.latex2text import LatexNodes2Text

    text = COMMENT.sub("", CODE_FENCE.sub("", markdown))
    text = LINK.sub(r"\1", text)
    spans = CODE_SPAN.findall(text)  # code is not LaTeX: kept aside, put back verbatim
    text = CODE_SPAN.sub("\x00", text)
    text = re.sub(r"(?<!\\)%", r"\\%", text)  # a percent sign in prose is not a LaTeX comment
    text = _grouped_scripts(text)
    text = LatexNodes2Text(math_mode="text").latex_to_text(text)
    for span in spans:
        text = text.replace("\x00", span, 1)
    lines = [re.sub(r"(?<=\S) {2,}", "  ", line.rstrip()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


SCRIPT_GROUP = re.compile(r"([_^])\{([^{}]*)\}")


def _grouped_scripts(latex: str) -> str:
    """``θ_{t+1}`` → ``θ_(t+1)``: latex2text drops the braces, and ``θ_t+1`` reads as θ_t + 1.

    Innermost groups first, so ``e^{x_i - x^{max}}`` becomes ``e^(x_i - x^(max))``; a one-character
    group needs no parentheses (``x^{2}`` → ``x^2``).
    """
    while True:
        grouped = SCRIPT_GROUP.sub(lambda m: m.group(1) + (m.group(2) if len(m.group(2).strip()) <= 1
                                                           else f"({m.group(2).strip()})"), latex)
        if grouped == latex:
            return latex
        latex = grouped


def block_record(block, section: str, extras: dict) -> dict:
    """A block as the command needs it: its code and output, and what it needs beyond the package."""
    needs = needs_of(block, extras)
    modules = [m for m in block.modules if m not in RUNTIME_MODULES and m not in sys.stdlib_module_names]
    return {"line": block.line, "syntax": block.language, "code": block.code, "expected": block.expected_output,
            "skip": block.skip_reason, "section": section, "needs": list(needs.extras), "modules": modules}


def page_records(page: str, extras: dict) -> list[dict]:
    path = DOCS / page
    sections = _sections(path.read_text(encoding="utf-8"))
    return [block_record(block, _section_at(sections, block.line), extras) for block in page_blocks(path, DOCS)]


def _sections(text: str) -> list[tuple[int, str]]:
    """(line, anchor) of every heading outside code fences, in page order ("" for no anchor)."""
    headings, fence = [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith("```"):
            ticks = len(stripped) - len(stripped.lstrip("`"))
            fence = 0 if fence and ticks >= fence else (fence or ticks)
            continue
        match = HEADING.match(line) if not fence else None
        if match:
            headings.append((number, match.group(1) or ""))
    return headings


def _section_at(sections: list[tuple[int, str]], line: int) -> str:
    """The anchor of the last heading above ``line``."""
    return next((anchor for number, anchor in reversed(sections) if number < line), "")


def term_examples(term: Term, blocks: list[dict]) -> list[int]:
    """Indices of the term's examples: its own section's blocks, else every block of its page."""
    own = [i for i, block in enumerate(blocks) if term.anchor and block["section"] == term.anchor]
    return own or list(range(len(blocks)))


def build() -> dict:
    base = site_url()
    terms = load_terms()
    pages = {term.page for term in terms} | set(EXTRA_PAGES)
    extras = light_extras()
    blocks = {page: page_records(page, extras) for page in sorted(pages)}
    return {
        "generated_by": "scripts/package_data.py (do not edit: run it after changing a page)",
        "site_url": base,
        "pages": {page: {"url": page_url(base, page), "blocks": blocks[page]} for page in sorted(pages)},
        "terms": {
            term.slug: {
                "url": page_url(base, term.page, term.anchor),
                "formula": formula_text(formula_source(term)),
                "examples": term_examples(term, blocks[term.page]),
            }
            for term in terms
        },
    }


def render() -> str:
    return json.dumps(build(), indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    fresh = render()
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != fresh:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run python scripts/package_data.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(fresh, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
