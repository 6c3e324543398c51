"""Checks and light-weighting of a built site folder, whatever generator wrote it.

- ``share_stylesheets``: a large inline ``<style>`` (mkdocs-jupyter inlines ~560 KiB of
  JupyterLab's CSS into every notebook page) moves into one shared, cached file,
  ``assets/stylesheets/notebook-<digest>.css``, from which the rules that no page linking it can
  use are dropped (``css_purge``);
- ``check_offline``: a page or stylesheet that would make the browser fetch a script, stylesheet,
  font or image from another host fails (text shown as code is not loaded, so it is not looked at).

Run ``python -m glossary_site check SITE_DIR`` after a build; the MkDocs hook runs both at the end
of its build. Both can run again on the same folder: the second run finds nothing to do.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from . import css_purge


class SiteError(ValueError):
    """A built site that breaks a rule of the project (it loads from another host)."""


INLINE_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
LARGE_STYLE_BYTES = 20_000
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
CSS_EXTERNAL = re.compile(r"url\(\s*[\"']?(?:https?:)?//[^)]+\)|@import\s+[\"'](?:https?:)?//[^\"']+[\"']", re.I)
CODE_TEXT = re.compile(r"<(pre|code)\b[^>]*>.*?</\1>", re.S)


def pages(site_dir: Path) -> list[Path]:
    return sorted(Path(site_dir).rglob("*.html"))


def share_stylesheets(site_dir: Path) -> list[Path]:
    """Move each large inline stylesheet of the site's pages into a shared, purged file; the files."""
    site_dir = Path(site_dir)
    stylesheets: dict[str, str] = {}
    classes: dict[str, set[str]] = {}
    for page in pages(site_dir):
        html = page.read_text(encoding="utf-8")
        shared, linked = _with_shared_styles(html, page.relative_to(site_dir).as_posix().count("/"), stylesheets)
        if linked:
            page.write_text(shared, encoding="utf-8")
            for name in linked:
                classes.setdefault(name, set()).update(css_purge.used_classes(shared))
    for name, css in stylesheets.items():
        target = site_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css_purge.purge(css, classes[name]), encoding="utf-8")
    return [site_dir / name for name in stylesheets]


def _with_shared_styles(html: str, depth: int, stylesheets: dict[str, str]) -> tuple[str, list[str]]:
    linked = []

    def replace(match: re.Match) -> str:
        css = match.group(1)
        if len(css) < LARGE_STYLE_BYTES:
            return match.group(0)
        name = f"assets/stylesheets/notebook-{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
        stylesheets[name] = css
        linked.append(name)
        return f'<link rel="stylesheet" href="{"../" * depth}{name}">'

    return INLINE_STYLE.sub(replace, html), linked


def external_assets(site_dir: Path) -> list[str]:
    """Each page or stylesheet that loads from another host, with what it loads."""
    site_dir = Path(site_dir)
    found = []
    for path in [*pages(site_dir), *sorted(site_dir.rglob("*.css"))]:
        text = path.read_text(encoding="utf-8", errors="replace")
        # text shown as code (a test's source on its page) loads nothing
        leftover = (CSS_EXTERNAL if path.suffix == ".css" else EXTERNAL_ASSET).search(
            text if path.suffix == ".css" else CODE_TEXT.sub("", text))
        if leftover:
            found.append(f"{path.relative_to(site_dir).as_posix()}: loads an asset from another host: {leftover.group(0)[:200]}")
    return found


def check_offline(site_dir: Path) -> None:
    """Raise SiteError when any page or stylesheet of the site loads from another host."""
    found = external_assets(site_dir)
    if found:
        raise SiteError("\n".join(found))
