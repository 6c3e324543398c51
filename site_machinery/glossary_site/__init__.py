"""The glossary-dl site's machinery, independent of the site generator.

- ``glossary_site.extension``: the Python-Markdown extension that renders the glossary's
  markers (term card, related terms, A–Z index, table by family, concept map, Verified boxes,
  skip notes, tooltips, first-mention term links); ``glossary_site.reader_blocks``: the
  "Needs …" lines and Output labels. Both are named in ``mkdocs.yml``'s ``markdown_extensions``.
- ``python -m glossary_site figures DOCS_DIR``: draws ``DOCS_DIR/_figures/*.py`` into
  ``DOCS_DIR/figures/*.svg`` before a build.
- ``python -m glossary_site check SITE_DIR``: shares and purges the notebooks' stylesheet and
  fails on any page that loads from another host, on a built site.

``docs/_hooks/`` only wires these into MkDocs and keeps what is MkDocs' own (the theme's search,
feedback links, generated files).
"""
