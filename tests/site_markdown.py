"""A page rendered as any Python-Markdown generator renders it: the extensions and options that
``mkdocs.yml`` names, and nothing of MkDocs (no hook, no plugin, no MkDocs import)."""

from __future__ import annotations

from pathlib import Path

import markdown
import yaml

ROOT = Path(__file__).resolve().parent.parent


class _Loader(yaml.SafeLoader):  # mkdocs.yml may use !ENV and similar tags
    pass


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)


def site_config() -> dict:
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)


def extensions_of_config(overrides: dict[str, dict] | None = None) -> tuple[list[str], dict[str, dict]]:
    """The names and options of ``mkdocs.yml``'s ``markdown_extensions``, paths made absolute."""
    names, options = [], {}
    for entry in site_config()["markdown_extensions"]:
        name, settings = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        names.append(name)
        options[name] = dict(settings or {})
    # relative paths in mkdocs.yml are relative to the repository: the tests may run elsewhere
    if "pymdownx.snippets" in options:
        options["pymdownx.snippets"]["base_path"] = [str(ROOT)]
    options["glossary_site.extension"]["docs_dir"] = str(ROOT / options["glossary_site.extension"]["docs_dir"])
    for name, settings in (overrides or {}).items():
        options[name].update(settings)
    return names, options


def render(src: str, text: str | None = None, **overrides: dict) -> str:
    """The HTML of the page ``docs/<src>`` (or of ``text`` as that page); ``overrides``: extension -> options."""
    names, options = extensions_of_config(overrides)
    options["glossary_site.extension"].setdefault("page", src)
    if text is None:
        text = (ROOT / "docs" / src).read_text(encoding="utf-8")
    return markdown.Markdown(extensions=names, extension_configs=options).convert(text)
