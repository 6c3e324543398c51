"""The build's CSS purge (site_machinery/glossary_site/css_purge.py): drops what cannot match, keeps the rest as written."""

from __future__ import annotations

import pytest

from glossary_site import css_purge

USED = {"jp-Cell", "jp-OutputArea"}


@pytest.mark.parametrize(
    "css, kept",
    [
        (".jp-Cell{color:red}", True),
        (".jp-Toolbar{color:red}", False),
        (".jp-Cell .jp-OutputArea{margin:0}", True),
        (".jp-Cell .jp-Toolbar{margin:0}", False),  # needs a class no page has
        (".jp-Toolbar, .jp-Cell{margin:0}", True),  # one selector of the list may match
        (".jp-Cell:not(.jp-mod-hidden){display:block}", True),  # :not() names what is absent
        (".jp-Cell:is(.jp-Toolbar, .jp-OutputArea){display:block}", True),
        (":root{--jp-x: 1px}", True),
        ("body{margin:0}", True),
        ('[data-jp-theme="a.b"]{color:red}', True),  # a dot inside an attribute value is no class
        ("@font-face{font-family:x;src:url(a.woff2)}", True),
        ("@keyframes spin{from{opacity:0}to{opacity:1}}", True),
    ],
)
def test_a_rule_is_dropped_only_when_no_selector_can_match(css, kept):
    assert (css_purge.purge(css, USED) == css) is kept


def test_media_blocks_are_purged_inside_and_dropped_when_empty():
    css = "@media (max-width: 10px){.jp-Cell{color:red}.jp-Toolbar{color:blue}}@media print{.jp-Toolbar{x:y}}"
    assert css_purge.purge(css, USED) == "@media (max-width: 10px){.jp-Cell{color:red}}"


def test_braces_in_strings_and_statements_without_a_block():
    css = '@charset "UTF-8";.jp-Cell::after{content:"}{"}.jp-Toolbar::after{content:"{"}'
    assert css_purge.purge(css, USED) == '@charset "UTF-8";.jp-Cell::after{content:"}{"}'


def test_comments_go_but_licence_notices_stay_once():
    notice = "/* Copyright (c) Jupyter Development Team. Distributed under the Modified BSD License. */"
    css = f"{notice}.jp-Cell{{a:b}}/* a remark */{notice}.jp-Toolbar{{c:d}}"
    assert css_purge.purge(css, USED) == notice + ".jp-Cell{a:b}"


@pytest.mark.parametrize("css", [".jp-Cell{color:red", ".jp-Cell{color:red}}"])
def test_unbalanced_css_is_an_error_not_a_silent_cut(css):
    with pytest.raises(ValueError, match="css:"):
        css_purge.purge(css, USED)


def test_used_classes_reads_every_class_attribute():
    html = """<div class="jp-Cell  jp-mod-x"><p class=''>a</p><span class='jp-OutputArea'>b</span></div>"""
    assert css_purge.used_classes(html) == {"jp-Cell", "jp-mod-x", "jp-OutputArea"}
