"""Drop the CSS rules a set of pages cannot use.

The notebook pages carry JupyterLab's whole stylesheet (~560 KiB), written for
every widget of the application; an exported notebook uses a few dozen of its
classes. A rule is dropped only when each of its selectors names a class that
no page has: such a selector matches nothing, on any page that was checked.
Everything else stays as written: rules without classes (``:root`` and its
variables, element selectors), at-rules (``@font-face``, ``@keyframes``), and
whatever a selector says inside ``:not()``, ``:is()``, ``:where()`` or ``:has()``,
which need not be present for the selector to match.
"""

from __future__ import annotations

import re

COMMENT = re.compile(r"/\*.*?\*/", re.S)
QUOTED = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'")
CLASS_NAME = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
CLASS_ATTRIBUTE = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
GROUPING_AT_RULES = ("@media", "@supports", "@container", "@layer", "@document")


def used_classes(html: str) -> set[str]:
    """Every class named in a ``class`` attribute of ``html``."""
    return {name for match in CLASS_ATTRIBUTE.finditer(html) for name in (match.group(1) or match.group(2) or "").split()}


def purge(css: str, used: set[str]) -> str:
    """``css`` without the rules whose every selector needs a class outside ``used``.

    Comments go, except the copyright and licence notices, kept once each at the top.
    """
    notices = dict.fromkeys(c for c in COMMENT.findall(css) if re.search(r"copyright|licen[cs]e", c, re.I))
    return "\n".join(notices) + _purged(COMMENT.sub("", css), used)


def _purged(css: str, used: set[str]) -> str:
    return "".join(_kept(statement, used) for statement in _statements(css))


def _statements(css: str) -> list[tuple[str, str | None]]:
    """Top-level statements as (prelude, block body); body is None for ``@import …;`` and the like."""
    statements, depth, start, body_start, i = [], 0, 0, 0, 0
    while i < len(css):
        char = css[i]
        if char in "\"'":
            quoted = QUOTED.match(css, i)  # skip the string whole: it may hold braces
            i = quoted.end() if quoted else i + 1
            continue
        if char == "{":
            if depth == 0:
                body_start = i + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise ValueError(f"css: unbalanced '}}' at offset {i}")
            if depth == 0:
                statements.append((css[start:body_start - 1].strip(), css[body_start:i]))
                start = i + 1
        elif char == ";" and depth == 0:
            statements.append((css[start:i].strip(), None))
            start = i + 1
        i += 1
    if depth != 0:
        raise ValueError("css: a block is not closed")
    return [s for s in statements if s[0] or s[1]]


def _kept(statement: tuple[str, str | None], used: set[str]) -> str:
    prelude, body = statement
    if body is None:
        return prelude + ";"
    if prelude.lower().startswith(GROUPING_AT_RULES):
        inner = _purged(body, used)
        return f"{prelude}{{{inner}}}" if inner.strip() else ""
    if prelude.startswith("@") or any(_may_match(part, used) for part in _selector_list(prelude)):
        return f"{prelude}{{{body}}}"
    return ""


def _selector_list(prelude: str) -> list[str]:
    """Split a selector list at its top-level commas (not those inside ``:is(a, b)``)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(prelude):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(prelude[start:i])
            start = i + 1
    parts.append(prelude[start:])
    return parts


def _may_match(selector: str, used: set[str]) -> bool:
    selector = QUOTED.sub('""', selector)
    # what is inside a functional pseudo-class need not be on the page
    while True:
        reduced = re.sub(r":(?:not|is|where|has|matches|-webkit-any|-moz-any)\([^()]*\)", "", selector)
        if reduced == selector:
            break
        selector = reduced
    selector = re.sub(r"\[[^\]]*\]", "", selector)  # attribute values may contain dots
    return all(name in used for name in CLASS_NAME.findall(selector))
