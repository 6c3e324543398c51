"""What the MkDocs hook (docs/_hooks/glossary.py) and the built-site checks do, run on their own.

- The "Edit this page" and "Report an error on this term" links appear once
  ``extra.feedback`` in mkdocs.yml names the repository. The project has none
  yet, so the built site has no such links; these tests run the hook's steps
  with a repository set, on the real pages (the card's link comes from the
  Markdown extension, given the template by the hook).
- Every page gets the site's search worker; no page may load anything from
  another host (``glossary_site.built_site``, run on a built site folder), and the
  notebook template's CDN-loading Mermaid script is removed.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import SimpleNamespace
from html import unescape
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import yaml
from glossary_site import built_site
from mkdocs.exceptions import PluginError
from site_markdown import render

ROOT = Path(__file__).resolve().parent.parent
EDIT = "https://example.org/owner/glossary-dl/edit/main/{path}"
REPORT = "https://example.org/owner/glossary-dl/issues/new?title={title}&body={body}"


def _load_hook():
    spec = importlib.util.spec_from_file_location("glossary_hook_under_test", ROOT / "docs/_hooks/glossary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hook():
    return _load_hook()


EXTENSION = "glossary_site.extension"


@pytest.fixture(scope="module")
def no_figures(tmp_path_factory):
    """A docs folder without figure scripts: the hook's configuration step draws none."""
    docs = tmp_path_factory.mktemp("docs")
    (docs / "_figures").mkdir()
    return docs


@pytest.fixture
def configure(hook, no_figures):
    def configure(feedback):
        config = SimpleNamespace(extra={"feedback": feedback}, markdown_extensions=[EXTENSION],
                                 mdx_configs={}, docs_dir=str(no_figures))
        hook.on_config(config)
        return config

    return configure


def _page_html(config, src: str) -> str:
    """The page rendered by the Markdown extension with the options the hook gave it."""
    return render(src, **{EXTENSION: config.mdx_configs[EXTENSION]})


def _links(html: str, text: str) -> list[str]:
    return [unescape(link) for link in re.findall(r'<a class="feedback-link" href="([^"]+)">' + re.escape(text) + "</a>", html)]


def test_the_committed_config_has_no_repository_yet():
    """The shipped site promises no link it cannot keep: both templates are empty."""

    class _Loader(yaml.SafeLoader):  # mkdocs.yml may use !ENV and similar tags
        pass

    _Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)
    assert config["extra"]["feedback"] == {"edit": "", "report": ""}


def test_no_links_without_a_repository(hook, configure):
    config = configure({"edit": "", "report": ""})
    assert "Report an error" not in _page_html(config, "terms/tensor.md")
    assert "Edit this page" not in _page_content(hook, "terms/tensor.md")


def _page_content(hook, src: str) -> str:
    page = SimpleNamespace(file=SimpleNamespace(src_uri=src), meta={})
    return hook.on_page_content("<p>the page</p>", page, None, None)


def test_every_page_links_to_its_source(hook, configure):
    configure({"edit": EDIT, "report": REPORT})
    for src in ("terms/momentum.md", "api/losses.md", "glossary.md", "notebooks/optimizer-race.ipynb"):
        html = _page_content(hook, src)
        (link,) = re.findall(r'<a class="feedback-link" href="([^"]+)">Edit this page</a>', html)
        assert link == f"https://example.org/owner/glossary-dl/edit/main/docs/{src}"
        assert html.startswith("<p>the page</p>")
        assert (ROOT / "docs" / src).is_file()


def test_every_term_card_reports_on_its_own_term(hook, configure):
    """A family page has one card per term; each card's link names that card's term."""
    config = configure({"edit": EDIT, "report": REPORT})
    html = _page_html(config, "terms/tensor.md")
    on_page = [t for t in hook._terms if t.page == "terms/tensor.md"]
    links = _links(html, "Report an error on this term")
    assert len(on_page) > 1 and len(links) == len(on_page)
    titles = []
    for link in links:
        query = parse_qs(urlparse(link).query)
        titles.append(query["title"][0])
        assert "docs/terms/tensor.md" in query["body"][0]
    assert titles == [f"Error on the term “{t.name}”" for t in on_page]
    assert all(unquote(link) != link for link in links)  # title and body are URL-encoded


@pytest.mark.parametrize(
    "feedback, message",
    [
        ({"edit": "docs/{path}"}, "http(s) URL template"),
        ({"edit": "https://example.org/owner/repo/edit/main/"}, "{path}"),
        ({"report": "https://example.org/owner/repo/issues/new?title={title}"}, "{body}"),
        ({"edits": EDIT}, "unknown keys"),
    ],
)
def test_a_malformed_template_fails_the_build(configure, feedback, message):
    with pytest.raises(PluginError, match=re.escape(message)):
        configure(feedback)


def test_the_extension_must_be_named_in_the_config(hook, no_figures):
    config = SimpleNamespace(extra={}, markdown_extensions=["abbr"], mdx_configs={}, docs_dir=str(no_figures))
    with pytest.raises(PluginError, match=re.escape(f"markdown_extensions must name {EXTENSION}")):
        hook.on_config(config)


THEME_CONFIG = '<script id="__config" type="application/json">{"search": "../assets/javascripts/workers/search.0123abcd.min.js"}</script>'
MERMAID = """<script type="module">
  document.addEventListener("DOMContentLoaded", async () => {
    const diagrams = document.querySelectorAll(".jp-Mermaid > pre.mermaid");
    if (!diagrams.length) { return; }
    const mermaid = (await import("https://cdn.example.org/mermaid.esm.min.mjs")).default;
  });
</script>"""


def _post_page(hook, html: str) -> str:
    page = SimpleNamespace(file=SimpleNamespace(src_uri="notebooks/x.ipynb"), url="notebooks/x/")
    return hook.on_post_page(html, page, {"site_dir": "/nonexistent"})


def _built_site(tmp_path, html: str) -> Path:
    """A built site of one page, after the hook's page step."""
    (tmp_path / "notebooks" / "x").mkdir(parents=True)
    (tmp_path / "notebooks" / "x" / "index.html").write_text(html, encoding="utf-8")
    return tmp_path


def test_pages_use_the_site_search_worker_with_the_theme_worker_named(hook):
    html = _post_page(hook, f"<html>{THEME_CONFIG}</html>")
    assert '"search": "../assets/javascripts/workers/glossary-search.js?theme=search.0123abcd.min.js"' in html
    worker = ROOT / "docs/assets/javascripts/workers/glossary-search.js"
    assert 'searchParams.get("theme")' in worker.read_text(encoding="utf-8")


def test_a_page_without_the_theme_search_worker_fails_the_build(hook):
    with pytest.raises(PluginError, match="search worker"):
        _post_page(hook, "<html></html>")


def test_the_notebook_mermaid_loader_is_removed(hook):
    html = _post_page(hook, f"<html>{THEME_CONFIG}<p>text</p>{MERMAID}</html>")
    assert "mermaid" not in html and "<p>text</p>" in html


@pytest.mark.parametrize(
    "asset",
    [
        '<script type="module">import("https://cdn.example.org/x.mjs")</script>',
        '<img src="https://example.org/a.png">',
        '<link rel="stylesheet" href="//fonts.example.org/a.css">',
        "<style>@font-face{src:url(https://example.org/f.woff2)}</style>",
    ],
)
def test_a_page_that_loads_from_another_host_fails_the_build(hook, asset, tmp_path):
    site = _built_site(tmp_path, _post_page(hook, f"<html>{THEME_CONFIG}{asset}</html>"))
    with pytest.raises(built_site.SiteError, match=re.escape("notebooks/x/index.html: loads an asset from another host")):
        built_site.check_offline(site)
    with pytest.raises(PluginError, match="another host"):
        hook.on_post_build({"site_dir": str(site)})


def test_a_stylesheet_that_loads_from_another_host_fails(tmp_path):
    (tmp_path / "a.css").write_text("@import 'https://fonts.example.org/a.css'; p { color: red }")
    assert built_site.external_assets(tmp_path) == [
        "a.css: loads an asset from another host: @import 'https://fonts.example.org/a.css'"]


def test_plain_links_and_code_are_fine(hook, tmp_path):
    html = (f'<html>{THEME_CONFIG}<a href="https://numba.pydata.org">numba</a>'
            '<pre><code>&lt;script src="https://cdn.example.org/x.js"&gt;</code></pre></html>')
    page = _post_page(hook, html)
    assert "https://numba.pydata.org" in page
    built_site.check_offline(_built_site(tmp_path, page))


def test_large_inline_stylesheets_are_shared_and_purged(tmp_path):
    """Two pages with one large inline stylesheet link one file, without the rules neither uses."""
    css = ".jp-Cell { color: red }\n.jp-Unused { color: blue }\n" + "/* padding */ " * 2000
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "index.html").write_text(f'<style>{css}</style><div class="jp-Cell">{name}</div>')
    (tmp_path / "small.html").write_text("<style>p { color: red }</style>")
    (shared,) = built_site.share_stylesheets(tmp_path)
    kept = shared.read_text()
    assert ".jp-Cell" in kept and "jp-Unused" not in kept and "padding" not in kept
    for name in ("a", "b"):
        page = (tmp_path / name / "index.html").read_text()
        assert page.startswith(f'<link rel="stylesheet" href="../{shared.relative_to(tmp_path).as_posix()}">')
    assert (tmp_path / "small.html").read_text() == "<style>p { color: red }</style>"
    assert built_site.share_stylesheets(tmp_path) == []  # a second run finds nothing to do


def test_a_docstring_inside_a_page_and_a_test_file_page_are_left_alone():
    """mkdocstrings renders a docstring with the page's extensions plus its own: that is no page."""
    import markdown
    from mkdocstrings import MkdocstringsInnerExtension
    from site_markdown import extensions_of_config

    names, options = extensions_of_config()
    text = "An optimizer.\n\n<!-- glossary:cards -->"
    inner = markdown.Markdown(extensions=[*names, MkdocstringsInnerExtension([])], extension_configs=options)
    assert inner.convert(text) == "<p>An optimizer.</p>\n<!-- glossary:cards -->"
    assert render("verification/tests/test_losses.md", text) == "<p>An optimizer.</p>\n<!-- glossary:cards -->"
