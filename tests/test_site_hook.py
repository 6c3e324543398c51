"""What the build hook (docs/_hooks/glossary.py) does to pages, run on its own.

- The "Edit this page" and "Report an error on this term" links appear once
  ``extra.feedback`` in mkdocs.yml names the repository. The project has none
  yet, so the built site has no such links; these tests run the hook's page
  step with a repository set, on the real pages.
- Every page gets the site's search worker; no page may load anything from
  another host, the notebook template's CDN-loading Mermaid script included.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import yaml
from mkdocs.exceptions import PluginError

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


def _configure(hook, feedback):
    hook.on_config(SimpleNamespace(extra={"feedback": feedback}))


def _page_markdown(hook, src: str) -> str:
    page = SimpleNamespace(file=SimpleNamespace(src_uri=src), meta={})
    return hook.on_page_markdown((ROOT / "docs" / src).read_text(encoding="utf-8"), page, None, None)


def _links(markdown: str, text: str) -> list[str]:
    return re.findall(r"\[" + re.escape(text) + r"\]\(([^)\s]+)\)", markdown)


def test_the_committed_config_has_no_repository_yet():
    """The shipped site promises no link it cannot keep: both templates are empty."""

    class _Loader(yaml.SafeLoader):  # mkdocs.yml may use !ENV and similar tags
        pass

    _Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)
    assert config["extra"]["feedback"] == {"edit": "", "report": ""}


def test_no_links_without_a_repository(hook):
    _configure(hook, {"edit": "", "report": ""})
    assert "Report an error" not in _page_markdown(hook, "terms/tensor.md")
    assert "Edit this page" not in _page_content(hook, "terms/tensor.md")


def _page_content(hook, src: str) -> str:
    page = SimpleNamespace(file=SimpleNamespace(src_uri=src), meta={})
    return hook.on_page_content("<p>the page</p>", page, None, None)


def test_every_page_links_to_its_source(hook):
    _configure(hook, {"edit": EDIT, "report": REPORT})
    for src in ("terms/momentum.md", "api/losses.md", "glossary.md", "notebooks/optimizer-race.ipynb"):
        html = _page_content(hook, src)
        (link,) = re.findall(r'<a class="feedback-link" href="([^"]+)">Edit this page</a>', html)
        assert link == f"https://example.org/owner/glossary-dl/edit/main/docs/{src}"
        assert html.startswith("<p>the page</p>")
        assert (ROOT / "docs" / src).is_file()


def test_every_term_card_reports_on_its_own_term(hook):
    """A family page has one card per term; each card's link names that card's term."""
    _configure(hook, {"edit": EDIT, "report": REPORT})
    markdown = _page_markdown(hook, "terms/tensor.md")
    on_page = [t for t in hook._terms if t.page == "terms/tensor.md"]
    links = _links(markdown, "Report an error on this term")
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
def test_a_malformed_template_fails_the_build(hook, feedback, message):
    with pytest.raises(PluginError, match=re.escape(message)):
        _configure(hook, feedback)


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
def test_a_page_that_loads_from_another_host_fails_the_build(hook, asset):
    with pytest.raises(PluginError, match="another host"):
        _post_page(hook, f"<html>{THEME_CONFIG}{asset}</html>")


def test_plain_links_to_other_hosts_are_fine(hook):
    html = f'<html>{THEME_CONFIG}<a href="https://numba.pydata.org">numba</a></html>'
    assert "https://numba.pydata.org" in _post_page(hook, html)
