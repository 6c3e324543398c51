"""MkDocs hook: wires the site's machinery (the ``glossary_site`` package, ``site_machinery/``) into MkDocs.

What any generator gets from ``mkdocs.yml`` alone lives in ``glossary_site``: the markers, skip
notes, tooltips and term links (the ``glossary_site.extension`` Markdown extension), the figures
(``python -m glossary_site figures docs``) and the checks of the built site (``python -m
glossary_site check site``). This hook, for MkDocs:

- tells the extension which page it renders (``set_page``) and passes it ``extra.feedback.report``;
- draws the figures before the files are collected, so ``mkdocs build`` alone has them;
- adds a page per test file (``verification/tests/<file>/``, the Verified boxes' links);
- gives term pages their names as search tags; points every page at the site's search worker,
  which lists a term's page first when the query is exactly its name or a synonym, and rewrites
  the search index (``search_index.py``): both are the theme's search;
- feedback links, once ``extra.feedback`` in mkdocs.yml names the repository: "Edit this page"
  on every page (here, since notebook pages have no Markdown step), "Report an error on this
  term" on every term card (the extension);
- removes what the notebook template would fetch from a CDN (MathJax, the Mermaid loader);
- at the end of the build, shares and purges the notebooks' stylesheet and fails on any page
  that loads from another host (``glossary_site.built_site``).
"""

from __future__ import annotations

import re
import sys
from html import escape
from pathlib import Path
from urllib.parse import quote

from glossary_site import built_site, extension, verified
from glossary_site.figures import FigureError, draw_figures
from glossary_site.term_links import page_url
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).parent))
import search_index  # noqa: E402
from registry import Term, load_terms  # noqa: E402

EXTENSION = "glossary_site.extension"
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
    if EXTENSION not in (config.markdown_extensions or []):
        raise PluginError(f"mkdocs.yml: markdown_extensions must name {EXTENSION}")
    config.mdx_configs.setdefault(EXTENSION, {})["feedback_report"] = _feedback.get("report", "")
    try:
        draw_figures(Path(config.docs_dir))
    except FigureError as error:
        raise PluginError(str(error)) from error
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


def edit_url(templates: dict[str, str], src: str) -> str | None:
    """Where the page's source is edited: the ``edit`` template with {path} = docs/<src>."""
    template = templates.get("edit")
    return template.replace("{path}", quote(f"docs/{src}")) if template else None


def on_files(files, config):
    for uri, markdown in verified.source_pages().items():
        files.append(File.generated(config, uri, content=markdown))
    return files


def on_page_markdown(markdown, page, config, files):
    src = page.file.src_uri
    extension.set_page(src)
    on_this_page = [t for t in _terms if t.page == src]
    if on_this_page:
        # A reader searching a term or synonym should land on the term's own
        # page before the glossary index or a page that merely mentions it:
        # the search index weighs tags far above body text.
        page.meta.setdefault("search", {}).setdefault("boost", 4)
        page.meta["tags"] = [label for t in on_this_page for label in (t.name, *t.synonyms)]
    return markdown


def on_page_content(html, page, config, files):
    edit = edit_url(_feedback, page.file.src_uri)
    if edit:
        html += f'\n<p><a class="feedback-link" href="{escape(edit)}">Edit this page</a></p>\n'
    return html


def on_post_page(output, page, config):
    # Notebook pages ask for MathJax from a CDN; the site renders their math
    # with its own vendored KaTeX instead.
    output = MATHJAX_CONFIG.sub("", output)
    output = EXTERNAL_SCRIPT_TAG.sub("", output)
    if 'class="jp-Mermaid' in output:
        raise PluginError(f"{page.file.src_uri}: a Mermaid diagram needs Mermaid from a CDN; draw it as a figure script")
    output = MERMAID_LOADER.sub("", output)
    return _with_glossary_search(output, page.file.src_uri)


def on_post_template(output, template_name, config):
    if template_name == "404.html":
        output = _with_glossary_search(output, template_name)
    return output


def on_post_build(config):
    site_dir = Path(config["site_dir"])
    index_file = site_dir / "search" / "search_index.json"
    if index_file.is_file():
        search_index.rewrite(index_file, _terms, page_url)
    built_site.share_stylesheets(site_dir)
    try:
        built_site.check_offline(site_dir)
    except built_site.SiteError as error:
        raise PluginError(str(error)) from error


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
