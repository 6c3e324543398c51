"""The code blocks of a page as pytest-codeblocks reads them, and what each one needs to run.

One reader of blocks for everything that uses them: the "Needs …" line the site shows before a
block, the notebook made from each term page, the reader's-path test and the examples shipped
with the package. The parsing itself is pytest-codeblocks' own (``extract_from_buffer``), so a
block is what CI runs, with the output CI checks.

What a block needs is read from its imports: the standard library and the package's runtime
dependencies need nothing more; every other module must belong to a light extra of
``pyproject.toml`` (``oracles``, ``notebooks``), or the block is an error.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest_codeblocks

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "glossary-dl"
# What an installed package already brings: itself and its runtime dependencies.
RUNTIME_MODULES = frozenset({"glossary_dl", "numpy", "numba"})
# The extras a reader installs for a page's blocks; [docs] and [test] are for contributors.
LIGHT_EXTRAS = ("oracles", "notebooks")
# Import name → distribution, where the two differ.
DISTRIBUTION_OF = {"sklearn": "scikit-learn", "IPython": "ipython"}
# How a page names a distribution.
LABELS = {"torch": "PyTorch", "keras": "Keras", "scikit-learn": "scikit-learn", "matplotlib": "Matplotlib",
          "ipython": "IPython", "ipykernel": "ipykernel"}
RUN_LANGUAGES = frozenset({"python", "bash", "sh"})
SKIP_REASON = re.compile(r"""pytest\.mark\.skip(?:if)?\(.*reason=(['"])(.+?)\1""")


class NeedsError(ValueError):
    """A block imports a module that no light extra provides."""


@dataclass(frozen=True)
class Block:
    """One fenced block that pytest-codeblocks runs."""

    page: str  # path relative to docs/, with forward slashes
    line: int  # the line of the opening fence, counted from 1
    language: str
    code: str
    expected_output: str | None
    skip_reason: str | None
    modules: tuple[str, ...]  # the top-level modules it imports, in order of first import

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"


def blocks_of_text(text: str, page: str = "<text>") -> list[Block]:
    """Every block of a Markdown text that pytest-codeblocks would collect (python, bash, sh)."""
    found = []
    for block in pytest_codeblocks.extract_from_buffer(io.StringIO(text)):
        if block.syntax not in RUN_LANGUAGES:
            continue
        reasons = [m.group(2) for mark in block.marks if (m := SKIP_REASON.search(mark))]
        modules = imported_modules(block.code) if block.syntax == "python" else ()
        found.append(Block(page, block.lineno, block.syntax, block.code, block.expected_output,
                           reasons[0] if reasons else None, modules))
    return found


def site_pages(docs_dir: Path) -> list[Path]:
    """The Markdown pages the site builds: every ``*.md`` outside the ``_``-folders (hooks, figures)."""
    return sorted(p for p in docs_dir.rglob("*.md")
                  if not any(part.startswith("_") for part in p.relative_to(docs_dir).parts))


def page_blocks(path: Path, docs_dir: Path) -> list[Block]:
    """The blocks of one page of ``docs_dir``."""
    return blocks_of_text(path.read_text(encoding="utf-8"), path.relative_to(docs_dir).as_posix())


def imported_modules(code: str) -> tuple[str, ...]:
    """The top-level modules a piece of Python imports (``import a.b`` and ``from a.b import c`` give ``a``)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return tuple(dict.fromkeys(name.partition(".")[0] for name in names))


@dataclass(frozen=True)
class Needs:
    """What a block needs beyond the package: distributions, and the extras that bring them."""

    distributions: tuple[str, ...]
    extras: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.distributions)

    @property
    def labels(self) -> str:
        """``PyTorch``, ``PyTorch and Keras``, ``PyTorch, Keras and scikit-learn``."""
        names = [LABELS.get(name, name) for name in self.distributions]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    def requirement(self) -> str:
        """The requirement that installs the package with these extras: ``glossary-dl[oracles]``."""
        return f"{PACKAGE}[{','.join(self.extras)}]"


def light_extras(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, tuple[str, ...]]:
    """Each light extra of ``pyproject.toml`` and the distributions it lists (normalised names, in order)."""
    with pyproject.open("rb") as handle:
        optional = tomllib.load(handle)["project"]["optional-dependencies"]
    return {extra: tuple(_distribution_name(req) for req in optional.get(extra, ())) for extra in LIGHT_EXTRAS}


def needs_of(block: Block, extras: dict[str, tuple[str, ...]]) -> Needs:
    """What ``block`` needs; raises NeedsError, naming the block's page and line, for a module no light extra has."""
    distributions, chosen = [], []
    for module in block.modules:
        if module in RUNTIME_MODULES or module in sys.stdlib_module_names:
            continue
        distribution = _normalise(DISTRIBUTION_OF.get(module, module))
        extra = next((name for name, members in extras.items() if distribution in members), None)
        if extra is None:
            raise NeedsError(
                f"{block.where}: the block imports {module!r}, which neither the package nor a light "
                f"extra ({', '.join(extras)}) of pyproject.toml provides"
            )
        distributions.append(distribution)
        chosen.append(extra)
    return Needs(tuple(dict.fromkeys(distributions)), tuple(sorted(set(chosen), key=LIGHT_EXTRAS.index)))


def _distribution_name(requirement: str) -> str:
    return _normalise(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1))


def _normalise(name: str) -> str:
    # PEP 503, lower case with single hyphens; the labels use the normalised names.
    return re.sub(r"[-_.]+", "-", name).lower()
