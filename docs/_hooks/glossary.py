"""mkdocs hook: everything the site builds from the term registry.

- ``<!-- glossary:card -->``    the term's synonyms, source chapter and implementations
- ``<!-- glossary:related -->`` related and prerequisite terms, as links
- ``<!-- glossary:index -->``   the A–Z index of every term and synonym
- hover tooltips (abbreviations) for every term and synonym, on every page
- ``<!--pytest.mark.skip(reason="…")-->`` before a code block becomes a visible note
- figures: each ``docs/_figures/<name>.py`` defines ``make_figure()`` returning a
  matplotlib figure, drawn with the library's own code at build time and served
  as ``figures/<name>.svg``
- offline check: a built page that would load a script, stylesheet or font from
  another host fails the build
- search: pages use the site's search worker, which lists a term's page first
  when the query is exactly its name or a synonym
- feedback links, once ``extra.feedback`` in mkdocs.yml names the repository:
  "Edit this page" on every page, "Report an error on this term" on every term card

Any ``<!-- glossary:… -->`` marker it does not know fails the build.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import re
import sys
import unicodedata
from html import escape
from pathlib import Path
from urllib.parse import quote

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).parent))
import css_purge  # noqa: E402
import search_index  # noqa: E402
import term_links  # noqa: E402
from registry import Term, load_terms  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent
FIGURES = DOCS / "_figures"

MARKER = re.compile(r"<!--\s*glossary:([\w-]+)\s*-->")
SKIP_MARK = re.compile(r"^<!--\s*pytest\.mark\.skip\(reason=(['\"])(.+?)\1\)\s*-->\s*$", re.M)
BARE_SKIP = re.compile(r"^<!--\s*pytest(-codeblocks:skip|\.mark\.skip(if)?)\b(?!\(reason=).*-->", re.M)
# Elements that make the browser fetch their URL at page load. (<link
# rel="canonical"> and plain <a href> fetch nothing and are fine.)
EXTERNAL_ASSET = re.compile(
    r"<(?:script|img|iframe|source|video|audio)\b[^>]*\bsrc=[\"'](?:https?:)?//[^\"']+[\"'][^>]*>"
    r"|<link\b(?=[^>]*\brel=[\"'](?:stylesheet|preload|modulepreload|prefetch|preconnect|dns-prefetch|icon|manifest)[\"'])"
    r"[^>]*\bhref=[\"'](?:https?:)?//[^\"']+[\"'][^>]*>"
    r"|url\(\s*[\"']?(?:https?:)?//[^)]+\)"
    r"|\bimport\(\s*[\"'](?:https?:)?//[^\"']+[\"']\s*\)",
    re.I,
)
CODE_TEXT = re.compile(r"<(pre|code)\b[^>]*>.*?</\1>", re.S)
EXTERNAL_SCRIPT_TAG = re.compile(r"<script\b[^>]*\bsrc=[\"'](https?:)?//[^\"']*[\"'][^>]*>\s*</script>", re.I)
MATHJAX_CONFIG = re.compile(r"<script type=\"text/x-mathjax-config\">.*?</script>", re.S)
# The notebook template's Mermaid loader: it imports Mermaid from a CDN when a page has a diagram.
MERMAID_LOADER = re.compile(r"<script type=\"module\">(?:(?!</script>).)*?\.jp-Mermaid(?:(?!</script>).)*</script>", re.S)

_terms: list[Term] = []
_feedback: dict[str, str] = {}


def on_config(config):
    global _terms, _feedback
    _terms = load_terms()
    _feedback = feedback_templates((config.extra or {}).get("feedback") or {})
    return config


# ---------------------------------------------------------------- feedback links
FEEDBACK_PLACEHOLDERS = {"edit": ("{path}",), "report": ("{title}", "{body}")}


def feedback_templates(settings: dict) -> dict[str, str]:
    """Check ``extra.feedback``: each of ``edit`` and ``report`` is empty or an http(s) URL template."""
    unknown = set(settings) - set(FEEDBACK_PLACEHOLDERS)
    if unknown:
        raise PluginError(f"extra.feedback: unknown keys {sorted(unknown)}; expected edit and report")
    templates = {}
    for key, placeholders in FEEDBACK_PLACEHOLDERS.items():
        template = settings.get(key) or ""
        if not template:
            continue
        if not isinstance(template, str) or not re.match(r"https?://[^/\s]+/", template):
            raise PluginError(f"extra.feedback.{key}: expected an http(s) URL template, got {template!r}")
        missing = [p for p in placeholders if p not in template]
        if missing:
            raise PluginError(f"extra.feedback.{key}: the template must contain {', '.join(missing)}")
        templates[key] = template
    return templates


def edit_url(templates: dict[str, str], src: str) -> str | None:
    """Where the page's source is edited: the ``edit`` template with {path} = docs/<src>."""
    template = templates.get("edit")
    return template.replace("{path}", quote(f"docs/{src}")) if template else None


def report_url(templates: dict[str, str], term: Term) -> str | None:
    """A new issue about ``term``: the ``report`` template with its title and body filled in."""
    template = templates.get("report")
    if not template:
        return None
    title = f"Error on the term “{term.name}”"
    body = (
        f"Term: {term.name} (docs/{term.url_path})\n\n"
        "What is wrong (a sentence, a formula, a code block, its output):\n\n"
        "What it should say, and a source if you have one:\n"
    )
    return template.replace("{title}", quote(title)).replace("{body}", quote(body))


# ---------------------------------------------------------------- figures
def on_files(files, config):
    for script in sorted(FIGURES.glob("*.py")):
        svg = _draw(script)
        files.append(File.generated(config, f"figures/{script.stem}.svg", content=svg))
    return files


def _draw(script: Path) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec = importlib.util.spec_from_file_location(f"_figure_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "make_figure"):
        raise PluginError(f"{script}: a figure script must define make_figure()")
    # Text as paths: the SVG needs no font from anywhere. A fixed hash salt
    # keeps the output byte-identical from build to build.
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": script.stem}):
        figure = module.make_figure()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


# ---------------------------------------------------------------- markdown
def on_page_markdown(markdown, page, config, files):
    src = page.file.src_uri
    if src.startswith("verification/tests/"):
        return markdown  # the source of a test file (docs/_hooks/verified.py): code, not prose
    term = _page_term(markdown, src)

    def expand(match: re.Match) -> str:
        kind = match.group(1)
        if kind == "index":
            return _index_markdown(src)
        if kind == "concept-map":
            return _concept_map_html(src)
        if kind == "table":
            return _table_markdown(src)
        if kind in ("card", "related"):
            owner = _anchored_term_before(markdown, match.start(), src) or term
            if owner is None:
                raise PluginError(f"{src}: a glossary marker on a page that has no registry entry")
            return _card_markdown(owner, src) if kind == "card" else _related_markdown(owner, src)
        raise PluginError(f"{src}: unknown marker <!-- glossary:{kind} -->")

    on_this_page = [t for t in _terms if t.page == src]
    if on_this_page:
        # A reader searching a term or synonym should land on the term's own
        # page before the glossary index or a page that merely mentions it:
        # the search index weighs tags far above body text.
        page.meta.setdefault("search", {}).setdefault("boost", 4)
        page.meta["tags"] = [label for t in on_this_page for label in (t.name, *t.synonyms)]
    markdown = MARKER.sub(expand, markdown)
    if src.startswith("api/"):
        markdown = _with_backlinks(markdown, src)
    markdown = _visible_skip_reasons(markdown, src)
    return markdown + "\n\n" + _abbreviations(exclude={t.slug for t in _terms if t.page == src})


def on_page_content(html, page, config, files):
    if not page.file.src_uri.startswith("verification/tests/"):
        html = term_links.link_first_mentions(html, term_links.label_index(_terms), getattr(page, "url", "") or "")
    # Here rather than in the Markdown: notebook pages have no Markdown step.
    edit = edit_url(_feedback, page.file.src_uri)
    if edit:
        html += f'\n<p><a class="feedback-link" href="{escape(edit)}">Edit this page</a></p>\n'
    return html


def _page_term(markdown: str, src: str) -> Term | None:
    """The page's own term: the one without an anchor, or the one anchored on the page title."""
    plain = next((t for t in _terms if t.page == src and not t.anchor), None)
    if plain is not None:
        return plain
    title = next((line for line in markdown.splitlines() if line.startswith("# ")), "")
    return next(
        (t for t in _terms if t.page == src and re.search(r"\{\s*#" + re.escape(t.anchor) + r"\b", title)),
        None,
    )


def _anchored_term_before(markdown: str, position: int, src: str) -> Term | None:
    """On a family page, a card belongs to the term whose anchored heading precedes it.

    The page's final related-terms marker belongs to the page's own term, so
    only a card looks for an anchor, and only within its own section.
    """
    before = markdown[:position]
    heading = before.rfind("\n#")
    section = before[heading:] if heading >= 0 else before
    for t in _terms:
        if t.page == src and t.anchor and re.search(r"\{\s*#" + re.escape(t.anchor) + r"\b", section):
            return t
    return None


def _link(target: Term, from_src: str) -> str:
    return f"[{target.name}]({_relative(target.url_path, from_src)})"


def _relative(path: str, from_src: str) -> str:
    depth = from_src.count("/")
    return "../" * depth + path


def _by_slug(slug: str) -> Term:
    return next(t for t in _terms if t.slug == slug)


def _card_markdown(term: Term, src: str) -> str:
    lines = ['!!! abstract "Term card"', ""]
    lines.append(f"    **Definition.** {term.definition}")
    lines.append("")
    synonyms = ", ".join(f"*{s}*" for s in term.synonyms) or "none"
    lines.append(f"    **Also called:** {synonyms}")
    lines.append("")
    lines.append(f"    **Source:** {term.chapter}")
    if term.implementations:
        names = ", ".join(
            f"[`{dotted.split('.', 1)[1]}`]({_relative(_api_page(dotted), src)}#{dotted})"
            for dotted in term.implementations
        )
        lines.append("")
        lines.append(f"    **Implemented by:** {names}")
    report = report_url(_feedback, term)
    if report:
        lines.append("")
        lines.append(f"    [Report an error on this term]({report}){{ .feedback-link }}")
    return "\n".join(lines) + "\n"


def _api_page(dotted: str) -> str:
    module = dotted.split(".")[1]
    return f"api/{module}.md"


def _with_backlinks(markdown: str, src: str) -> str:
    """An API page says, under its title, which term pages explain its functions."""
    module = "glossary_dl." + Path(src).stem + "."
    users = [t for t in _terms if any(name.startswith(module) for name in t.implementations)]
    if not users:
        raise PluginError(f"{src}: no term in the registry uses {module[:-1]}")
    line = "**Explained on:** " + ", ".join(_link(t, src) for t in users)
    title, _, rest = markdown.partition("\n")
    return f"{title}\n\n{line}\n{rest}"


def _related_markdown(term: Term, src: str) -> str:
    lines = []
    if term.prerequisites:
        lines.append("**Know first:** " + ", ".join(_link(_by_slug(s), src) for s in term.prerequisites))
        lines.append("")
    if term.related:
        lines.append("**Related:** " + ", ".join(_link(_by_slug(s), src) for s in term.related))
        lines.append("")
    later = [t for t in _terms if term.slug in t.prerequisites]
    if later:
        lines.append("**Builds on this:** " + ", ".join(_link(t, src) for t in later))
        lines.append("")
    return "\n".join(lines) or "*No related terms yet.*\n"


def families(terms: list[Term]) -> dict[str, list[Term]]:
    """The terms grouped by their registry family (its title), in reading order: the families of
    the earliest chapter first, then in registry order; terms in registry order."""
    grouped: dict[str, list[Term]] = {}
    for t in terms:
        grouped.setdefault(t.family, []).append(t)

    def chapter(t: Term) -> int:
        found = re.match(r"Chapter (\d+)", t.chapter)
        return int(found.group(1)) if found else 99

    ordered = sorted(grouped.items(), key=lambda item: min(chapter(t) for t in item[1]))
    return dict(ordered)


def _table_markdown(src: str) -> str:
    """Every term, one table per family under its own heading, for the landing page."""
    lines = []
    for family, members in families(_terms).items():
        lines += ["", f"### {family}", ""]
        lines += ["| term | also called | in one line |", "| --- | --- | --- |"]
        for t in members:
            synonyms = ", ".join(t.synonyms) or "—"
            lines.append(f"| {_link(t, src)} | {synonyms} | {t.definition} |")
    return "\n".join(lines) + "\n"


def index_letter(label: str) -> str:
    """The A–Z heading a label files under: its first letter without accents, or "#" for the rest."""
    first = unicodedata.normalize("NFKD", label)[:1].upper()
    return first if "A" <= first <= "Z" else "#"


def _same_label(label: str) -> str:
    """Labels that differ only in case or in writing × as x are one entry of the index."""
    return label.lower().replace("×", "x")


def _index_markdown(src: str) -> str:
    entries, seen = [], set()
    for t in _terms:
        for label in (t.name, *t.synonyms):
            key = (_same_label(label), t.slug)
            if key in seen:
                continue
            seen.add(key)
            text = f"**{_link(t, src)}** — {t.definition}" if label == t.name else f"*{label}*: see {_link(t, src)}"
            entries.append((label, text))
    # "#" (numerals and signs) first, then A to Z
    entries.sort(key=lambda item: (index_letter(item[0]) != "#", index_letter(item[0]), item[0].lower()))
    lines, letter = [], ""
    for label, text in entries:
        first = index_letter(label)
        if first != letter:
            letter = first
            heading = "## \\# { #numerals }" if first == "#" else f"## {letter}"
            lines += ["", heading, ""]
        lines.append(f"- {text}")
    return "\n".join(lines) + "\n"


def concept_graph(terms: list[Term]) -> tuple[list[Term], list[tuple[str, str]]]:
    """The terms that take part in a prerequisite relation, and its arrows (prerequisite, term).

    Raises on a cycle: "read this first" must have a first.
    """
    involved = {t.slug for t in terms if t.prerequisites} | {p for t in terms for p in t.prerequisites}
    nodes = [t for t in terms if t.slug in involved]
    edges = [(p, t.slug) for t in nodes for p in t.prerequisites]
    state: dict[str, str] = {}
    prerequisites = {t.slug: t.prerequisites for t in terms}

    def visit(slug: str, path: tuple[str, ...]) -> None:
        if state.get(slug) == "done":
            return
        if slug in path:
            raise PluginError(f"prerequisite cycle through {slug!r}")
        for p in prerequisites[slug]:
            visit(p, (*path, slug))
        state[slug] = "done"

    for t in nodes:
        visit(t.slug, ())
    return nodes, edges


def _concept_map_html(src: str) -> str:
    """The prerequisite graph, laid out in the browser by dagre (docs/assets/vendor/dagre).

    The build writes the graph from the registry as JSON and, for readers without
    scripts and for screen readers, as a list of links; docs/assets/javascripts/concept-map.js
    lays it out (left to right on a wide screen, top to bottom on a phone) and draws it.
    """
    nodes, edges = concept_graph(_terms)
    # Raw HTML escapes mkdocs' link rewriting: link to the built URLs directly.
    to_root = "../" * (src.count("/") + (0 if src.endswith("index.md") else 1))
    graph = {
        "nodes": [{"id": t.slug, "label": t.name, "href": to_root + term_links.site_address(t),
                   "title": t.definition} for t in nodes],
        "edges": [list(edge) for edge in edges],
    }
    by_slug = {t.slug: t for t in nodes}
    items = []
    for t in sorted(nodes, key=lambda t: t.name.lower()):
        first = ", ".join(by_slug[p].name for p in t.prerequisites)
        after = f" (know first: {escape(first)})" if first else ""
        items.append(f'<li><a href="{escape(to_root + term_links.site_address(t))}">{escape(t.name)}</a>{after}</li>')
    data = json.dumps(graph, ensure_ascii=False).replace("</", "<\\/")
    return (
        '<div class="concept-map" markdown="0">'
        f'<script type="application/json" class="concept-map__graph">{data}</script>'
        f'<ul class="concept-map__list">{"".join(items)}</ul>'
        "</div>\n"
    )


def _abbreviations(exclude: set[str] = frozenset()) -> str:
    """Tooltips for every term and synonym; a term page does not underline its own names."""
    lines = []
    for t in _terms:
        if t.slug in exclude:
            continue
        tooltip = f"{t.name}: {t.definition}".replace("]", ")")
        for label in (t.name, *t.synonyms):
            for variant in {label, label.lower(), label[:1].upper() + label[1:]}:
                lines.append(f"*[{variant}]: {tooltip}")
    return "\n".join(sorted(set(lines))) + "\n"


def _visible_skip_reasons(markdown: str, src: str) -> str:
    bare = BARE_SKIP.search(markdown)
    if bare:
        raise PluginError(f"{src}: a skipped code block needs a reason: {bare.group(0)}")

    def note(match: re.Match) -> str:
        return f'!!! note "This example is not run by the test suite"\n    {match.group(2)}\n\n'

    return SKIP_MARK.sub(note, markdown)


# ---------------------------------------------------------------- offline, light
INLINE_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
LARGE_STYLE_BYTES = 20_000


_large_stylesheets: dict[str, str] = {}  # site path -> CSS, written when the build ends
_classes_using: dict[str, set[str]] = {}  # site path -> the classes of the pages that link it


def on_pre_build(config):
    _large_stylesheets.clear()
    _classes_using.clear()


def _shared_stylesheets(output: str, page, config) -> str:
    """Move large inline <style> blocks into cached, shared stylesheet files.

    mkdocs-jupyter inlines ~560 KiB of JupyterLab CSS into every notebook page;
    as one file it is downloaded once and cached for every notebook, and the
    rules that no page linking it can use are dropped (css_purge.py).
    """
    depth = page.url.count("/") if page.url else 0
    prefix = "../" * depth
    linked = []

    def replace(match: re.Match) -> str:
        css = match.group(1)
        if len(css) < LARGE_STYLE_BYTES:
            return match.group(0)
        name = f"assets/stylesheets/notebook-{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
        _large_stylesheets[name] = css
        linked.append(name)
        return f'<link rel="stylesheet" href="{prefix}{name}">'

    output = INLINE_STYLE.sub(replace, output)
    for name in linked:
        _classes_using.setdefault(name, set()).update(css_purge.used_classes(output))
    return output


def page_url(src: str) -> str:
    """The site address of a page source, as the theme's search index writes it."""
    return "" if src == "index.md" else src.removesuffix(".md").removesuffix("index").rstrip("/") + "/"


def on_post_build(config):
    index_file = Path(config["site_dir"]) / "search" / "search_index.json"
    if index_file.is_file():
        search_index.rewrite(index_file, _terms, page_url)
    for name, css in _large_stylesheets.items():
        target = Path(config["site_dir"]) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css_purge.purge(css, _classes_using[name]), encoding="utf-8")


def on_post_page(output, page, config):
    # Notebook pages ask for MathJax from a CDN; the site renders their math
    # with its own vendored KaTeX instead.
    output = MATHJAX_CONFIG.sub("", output)
    output = EXTERNAL_SCRIPT_TAG.sub("", output)
    if 'class="jp-Mermaid' in output:
        raise PluginError(f"{page.file.src_uri}: a Mermaid diagram needs Mermaid from a CDN; draw it as a figure script")
    output = MERMAID_LOADER.sub("", output)
    output = _shared_stylesheets(output, page, config)
    output = _with_glossary_search(output, page.file.src_uri)
    # text shown as code (a test's source on its page) loads nothing
    leftover = EXTERNAL_ASSET.search(CODE_TEXT.sub("", output))
    if leftover:
        raise PluginError(f"{page.file.src_uri}: loads an asset from another host: {leftover.group(0)[:200]}")
    return output


def on_post_template(output, template_name, config):
    if template_name == "404.html":
        output = _with_glossary_search(output, template_name)
    return output


# ---------------------------------------------------------------- search
THEME_CONFIG_SCRIPT = re.compile(r'<script id="__config" type="application/json">.*?</script>', re.S)
THEME_SEARCH_WORKER = re.compile(r'"search": "([^"]*workers/)(search\.[0-9a-f]+\.min\.js)"')


def _with_glossary_search(output: str, src: str) -> str:
    """Point the page at the site's search worker (assets/javascripts/workers/glossary-search.js).

    It runs the theme's worker unchanged and puts the page of a term first when
    the query is exactly that term's name or synonym (see the file's header).
    """
    # only in the theme's configuration: a page may show the same text as code (a test's source)
    config = THEME_CONFIG_SCRIPT.search(output)
    count = 0
    if config:
        script, count = THEME_SEARCH_WORKER.subn(r'"search": "\1glossary-search.js?theme=\2"', config.group(0))
        output = output[: config.start()] + script + output[config.end():]
    if count != 1:
        raise PluginError(f"{src}: expected the theme's search worker in the page config, found {count}")
    return output
