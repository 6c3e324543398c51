"""The "Verified" box, rendered from the test suite's own record.

``docs/_registry/verification.json`` is written from the ``verifies`` markers of the tests
(``tests/verification_record.py``) and checked against them by the test suite, so the box never
claims a check that does not exist. On each term page, for each implementation of the page's
registry terms, the box gives one line for readers: what it was checked against (oracles with
their installed versions, finite differences), how many cases, which dtypes, the loosest
tolerance. The full table, each test linking to its source, sits in a collapsed block.

- ``<!-- glossary:verified-families -->`` (the Verification page) renders every family of the
  record, one row each, from the same record;
- each test file the record cites gets a generated page, ``verification/tests/<file>/``,
  with the source of each cited test under a heading named after it (the table's links);

- ``<!-- glossary:verified -->`` renders the box for the implementations of the term whose
  section it sits in (or the page's term);
- a term page with implementations and no marker gets the box right under its
  ``## How it is verified`` heading;
- an implementation on a page without a record fails the build;
- on a term page, a test named in the text becomes a small "test" link to its source.

Pure functions of the page's text, the registry's terms, the record and the test files:
``glossary_site.extension`` runs them before the other markers, which reject unknown ones.
"""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

from glossary_dl._registry import Term

from .markers import MarkerError, section_before
from .page_blocks import ROOT

MARKER = re.compile(r"<!--\s*glossary:verified\s*-->")
FAMILIES_MARKER = re.compile(r"<!--\s*glossary:verified-families\s*-->")
TESTS = ROOT / "tests"
TEST_PAGES = "verification/tests"  # one generated page per test file, a section per test
HOW = re.compile(r"^## How it is verified[^\n]*\n", re.M)
LIBRARY = {"torch": "PyTorch", "keras": "Keras", "sklearn": "scikit-learn", "numpy": "NumPy", "numba": "numba"}

# Modules still being written may be exempted while their tests gain markers, e.g.
# GLOSSARY_VERIFIED_PENDING=activations,tensors : their box says "no record yet" (it claims nothing).
PENDING = {m for m in os.environ.get("GLOSSARY_VERIFIED_PENDING", "").split(",") if m}

def load_record(path: Path) -> dict:
    """The verification record (``docs/_registry/verification.json``)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise MarkerError(f"{path} is missing: run the tests with GLOSSARY_WRITE_VERIFICATION=1") from error


def checks_for(dotted: str, record: dict) -> list[dict]:
    """The record's checks of an implementation (a class also collects its methods' checks)."""
    return [c for name, checks in sorted(record.items())
            if name == dotted or name.startswith(dotted + ".") for c in checks]


def _tolerance(check: dict) -> str:
    """The tolerance of one check, as its marker states it."""
    return _tolerance_text(check.get("rtol") or {}, check.get("atol") or {})


def _tolerance_text(rtol: dict, atol: dict) -> str:
    if not rtol and not atol:
        # The marker names no tolerance: the test states its own bound (a statistic, a
        # rounding bound), and saying "exact" would claim what the test does not check.
        return "bound stated in the test"
    parts = []
    for dtype in sorted(set(rtol) | set(atol), key=_dtype_order):
        bounds = [f"{key} {values[dtype]:g}" for key, values in (("rtol", rtol), ("atol", atol))
                  if values.get(dtype)]
        text = ", ".join(bounds) or "exact"
        parts.append(f"{'any dtype' if dtype == 'all' else dtype}: {text}")
    return "; ".join(parts)


def _dtype_order(dtype: str) -> tuple:
    return (dtype == "all", not dtype.startswith("float"), -int(re.sub(r"\D", "", dtype) or 0), dtype)


def loosest_tolerance(checks: list[dict]) -> str:
    """The loosest tolerance over ``checks``: per dtype the largest rtol and atol any of them allows.

    A check whose marker states no tolerance makes the summary say so, rather than
    let the stated ones look like the whole story.
    """
    rtol: dict = {}
    atol: dict = {}
    unstated = False
    for check in checks:
        if not check.get("rtol") and not check.get("atol"):
            unstated = True
        for key, into in (("rtol", rtol), ("atol", atol)):
            for dtype, value in (check.get(key) or {}).items():
                into[dtype] = max(into.get(dtype, value), value)
    text = _tolerance_text(rtol, atol) if (rtol or atol) else ""
    if unstated:
        return f"{text}; elsewhere a bound stated in the test" if text else "a bound stated in the test"
    return text


def _oracle_name(check: dict) -> str:
    if check["oracle"] == "finite differences":
        return "finite differences (central, ε = 1e-6)"
    return f"{LIBRARY.get(check['oracle'], check['oracle'])} {check['version']}"


def _short(dotted: str) -> str:
    return dotted.removeprefix("glossary_dl.")


def _dtypes(checks: list[dict]) -> str:
    return ", ".join(sorted({d for c in checks for d in c["dtypes"]}, key=_dtype_order))


def proof_line(dotted: str, checks: list[dict]) -> str:
    """One sentence for readers: what the implementation was checked against, how often, in which dtypes."""
    oracles = []
    for c in checks:
        name = _oracle_name(c)
        if name not in oracles:
            oracles.append(name)
    cases = sum(c["cases"] for c in checks)
    dtypes = _dtypes(checks)
    return (
        f"`{_short(dotted)}`: checked against {_join(oracles)}; "
        f"{cases} case{'s' if cases != 1 else ''}" + (f" in {dtypes}" if dtypes else "")
        + f"; loosest tolerance: {loosest_tolerance(checks)}."
    )


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def source_url(test_id: str, src: str) -> str:
    """The link from page ``src`` to a test's source: the generated page of its test file."""
    path, _, name = test_id.partition("::")
    target = f"{TEST_PAGES}/{Path(path).stem}.md#{name.split('[')[0]}"
    return "../" * src.count("/") + target


def box_markdown(implementations, record: dict, src: str) -> str:
    lines, rows = [], []
    for dotted in implementations:
        checks = checks_for(dotted, record)
        if not checks and dotted.split(".")[1] in PENDING:
            lines.append(f"    - `{_short(dotted)}`: **no record yet**.")
            continue
        if not checks:
            raise MarkerError(
                f"{src}: {dotted} has no verification record: add a @pytest.mark.verifies test "
                "and regenerate docs/_registry/verification.json"
            )
        lines.append(f"    - {proof_line(dotted, checks)}")
        for c in checks:
            tests = ", ".join(f"[`{t.split('::')[1]}`]({source_url(t, src)})" for t in c["tests"])
            rows.append(
                f"        | `{_short(dotted)}` | {_oracle_name(c)} | {c['cases']} | {', '.join(c['dtypes']) or '—'} "
                f"| {_tolerance(c)} | {tests} |"
            )
    if not lines:
        return ""
    table = ""
    if rows:
        table = (
            f'\n    ??? info "Every check and its test ({len(rows)})"\n'
            "        | implementation | checked against | cases | dtypes | tolerance | test (source) |\n"
            "        | --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n"
        )
    return (
        '!!! success "Verified"\n'
        "    From the test suite's own record, regenerated from the tests' markers:\n\n"
        + "\n".join(lines) + "\n" + table + "\n"
    )


def families_markdown(record: dict, src: str) -> str:
    """The Verification page's table: every family (module) of the record, one row each."""
    families: dict[str, dict[str, list[dict]]] = {}
    for dotted in sorted(record):
        families.setdefault(dotted.split(".")[1], {})[dotted] = record[dotted]
    lines = [
        "| family | implementations | checked against | cases | dtypes | loosest tolerance |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for module, members in families.items():
        checks = [c for found in members.values() for c in found]
        oracles = []
        for c in checks:
            if _oracle_name(c) not in oracles:
                oracles.append(_oracle_name(c))
        api = "../" * src.count("/") + f"api/{module}.md"
        lines.append(
            f"| [`{module}`]({api}) | {len(members)} | {', '.join(sorted(oracles))} "
            f"| {sum(c['cases'] for c in checks)} | {_dtypes(checks) or '—'} | {loosest_tolerance(checks)} |"
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- test sources
def source_sections(path: Path) -> list[tuple[str, int, str]]:
    """(anchor, first line, source) of a test file cut at its top-level definitions.

    The lines before the first definition (imports, shared tables) are the ``setup``
    section; each function or class runs from its first decorator to the next definition.
    """
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    starts = [("setup", 1)]
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            starts.append((node.name, min([node.lineno, *(d.lineno for d in node.decorator_list)])))
    sections = []
    for (name, first), (_, following) in zip(starts, [*starts[1:], ("", len(lines) + 1)]):
        body = "\n".join(lines[first - 1 : following - 1]).strip("\n")
        if body:
            sections.append((name, first, body))
    return sections


def source_page_markdown(test_file: Path) -> str:
    """The page of one test file: a section per top-level definition, anchored by its name."""
    relative = test_file.relative_to(TESTS.parent).as_posix()
    parts = [
        "---\nsearch:\n  exclude: true\n---\n",
        f"# `{relative}`\n",
        "The source of this test file as it stands in the repository, with its line numbers; "
        "the [Verification](../../verification.md) page says what the tests check.\n",
    ]
    for name, first, source in source_sections(test_file):
        title = "Set-up" if name == "setup" else f"`{name}`"
        parts.append(f"## {title} {{ #{name} }}\n")
        # A listing, not an example: pages generated here are not run by pytest-codeblocks. Plain
        # text, not highlighted: a span per token made each of these pages as heavy as the largest
        # term page (6,000 elements), for source that a reader scans for one test.
        parts.append(f'```text linenums="{first}"\n{source}\n```\n')
    return "\n".join(parts)


def source_pages() -> dict[str, str]:
    """Site path -> Markdown of each test file's page."""
    return {f"{TEST_PAGES}/{path.stem}.md": source_page_markdown(path) for path in sorted(TESTS.glob("test_*.py"))}


def defined_tests() -> dict[str, list[str]]:
    """Test name -> the test files that define it at the top level."""
    defined: dict[str, list[str]] = {}
    for path in sorted(TESTS.glob("test_*.py")):
        for name, _, _ in source_sections(path):
            defined.setdefault(name, []).append(path.relative_to(TESTS.parent).as_posix())
    return defined


TEST_NAME = re.compile(r"(?<!\[)`(?:(tests/test_\w+\.py)::)?(test_\w+)(\[[^`\]]*\])?`")
FENCE = re.compile(r"^(\s*)(```|~~~).*?^\1\2[ \t]*$", re.M | re.S)


def link_test_names(markdown: str, src: str, defined: dict[str, list[str]], preferred: list[str]) -> str:
    """On a term page, each `test_name` in the text becomes a small "test" link to its source.

    The reader sees "test" (the proof one click away); the test's full name is the
    link's title. A name two files define resolves to the file the page names
    (``preferred``); a name no test file defines stays as it is (a variable such as
    ``test_images``), but ``tests/<file>.py::<name>`` must exist or the build fails.
    """

    def link(match: re.Match) -> str:
        path, name = match.group(1), match.group(2)
        if path is None and name not in defined:
            return match.group(0)  # a variable named test_… (test_images), not a test
        if path is None:
            files = defined.get(name, [])
            named = [f for f in files if f in preferred]
            files = named or files
            if len(files) != 1:
                raise MarkerError(f"{src}: `{name}` is defined in {len(files)} test files {files}; write tests/<file>.py::{name}")
            path = files[0]
        elif path not in defined.get(name, []):
            raise MarkerError(f"{src}: {path} defines no test {name}")
        title = f"{path}::{name}{match.group(3) or ''}"
        return f'[test]({source_url(path + "::" + name, src)} "{title}"){{ .test-link }}'

    pieces, last = [], 0
    for fence in FENCE.finditer(markdown):
        pieces += [TEST_NAME.sub(link, markdown[last : fence.start()]), fence.group(0)]
        last = fence.end()
    pieces.append(TEST_NAME.sub(link, markdown[last:]))
    return "".join(pieces)


def _owner(markdown: str, position: int, on_page: list[Term]) -> list[Term]:
    section = section_before(markdown, position)
    anchored = [t for t in on_page if t.anchor and re.search(r"\{\s*#" + re.escape(t.anchor) + r"\b", section)]
    return anchored or on_page


def render(markdown: str, src: str, terms: list[Term], record: dict) -> str:
    on_page = [t for t in terms if t.page == src]
    markdown = FAMILIES_MARKER.sub(lambda match: families_markdown(record, src), markdown)
    if MARKER.search(markdown):
        def expand(match):
            owners = _owner(markdown, match.start(), on_page)
            names = [n for t in owners for n in t.implementations]
            if not names:
                raise MarkerError(f"{src}: <!-- glossary:verified --> where no term has an implementation")
            return box_markdown(names, record, src)
        return MARKER.sub(expand, markdown)
    names = [n for t in on_page for n in t.implementations]
    if not names or not src.startswith("terms/"):
        return markdown
    match = HOW.search(markdown)
    if match is None:
        raise MarkerError(f"{src}: a term page with implementations needs a '## How it is verified' section")
    return markdown[: match.end()] + "\n" + box_markdown(names, record, src) + markdown[match.end():]


def is_source_page(src: str) -> bool:
    """A generated page of a test file: its text is source code, never markers or prose."""
    return src.startswith(TEST_PAGES + "/")


def expand(markdown: str, src: str, terms: list[Term], record: dict, defined: dict[str, list[str]]) -> str:
    """The page's Verified boxes and, on a term page, its test names as links to their source."""
    markdown = render(markdown, src, terms, record)
    if src.startswith("terms/"):
        # the files the page's text names; a listing included in a fence (a snippet) names others
        preferred = re.findall(r"tests/test_\w+\.py", FENCE.sub("", markdown))
        markdown = link_test_names(markdown, src, defined, preferred)
    return markdown
