"""The built site, as a reader meets it: Debian's chromium, headless, over 127.0.0.1.

For every page: HTTP 200, no console error, no request to any other host
(every request goes through a route that serves 127.0.0.1 only and blocks and
counts the rest), every formula rendered by the vendored KaTeX, every image
loaded. Then the things readers do: hover a term for its tooltip, search for
every term and synonym (its page must come first), copy a snippet, switch to
dark mode, navigate without a reload, read a notebook.

The site is the one `scripts/test.sh` builds (GLOSSARY_SITE_DIR); run alone,
this module builds it. Screenshots land in `artifacts/`.
"""

from __future__ import annotations

import functools
import http.server
import itertools
import json
import os
import shutil
import sys
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_hooks"))
from registry import load_terms  # noqa: E402

TERMS = load_terms()
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# axe-core from npm (tests/vendor/axe-core, its version in tests/vendor/axe-core/VERSION), served by
# the same local route as the site: the page asks 127.0.0.1 for it, nothing comes from a CDN.
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# The rules whose result depends on the colours: the only ones the colour scheme can change (the
# page's markup is the same in both). On each screen a page gets every rule in the scheme it opens
# in; on the desktop, these in the other too. The page's own colours are the same on both screens,
# so the phone's other scheme adds only its own chrome (menu button, drawer), and that is checked in
# both schemes across the site: the scheme a page opens in alternates, as each tab keeps the one it
# was left in. (The phone's run in the other scheme was a quarter of the browser suite's time.)
AXE_COLOUR_RULES = ["color-contrast", "link-in-text-block"]
VIEWPORTS = {"phone": (390, 844), "desktop": (1440, 900)}
_axe_counts: dict[str, int] = {}  # rule id -> serious or critical nodes, over every page checked

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output readable
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a test closed its page while a file was still being sent: not an error
        super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def base_url(site_dir):
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "chromium is missing: scripts/test.sh installs Debian's chromium"
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


# Every request of every page goes through _local_only: served when it is for the local server,
# blocked (and counted) otherwise, so no test can reach the network even if a page tried.
_requests = {"served": 0, "blocked": []}
_pages_loaded: list[str] = []


def _local_only(route):
    if urlparse(route.request.url).hostname in ("127.0.0.1", None):
        _requests["served"] += 1
        route.continue_()
    else:
        _requests["blocked"].append(route.request.url)
        route.abort()


def _new_context(browser, viewport=(1280, 900), scheme="light"):
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                              color_scheme=scheme, has_touch=viewport[0] < 600, is_mobile=viewport[0] < 600)
    ctx.route("**/*", _local_only)
    return ctx


@pytest.fixture
def context(browser, base_url):
    ctx = _new_context(browser)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
    yield ctx
    ctx.close()


def page_paths(site_dir: Path) -> list[str]:
    paths = []
    for html in sorted(site_dir.rglob("index.html")):
        relative = html.parent.relative_to(site_dir).as_posix()
        paths.append("" if relative == "." else relative + "/")
    return paths


def pytest_generate_tests(metafunc):
    if "page_path" in metafunc.fixturenames:
        # Pages come from the sources: one per .md/.ipynb under docs (the build
        # maps a/b.md to a/b/); the site_dir test below checks the mapping.
        docs = ROOT / "docs"
        sources = [p for p in docs.rglob("*") if p.suffix in {".md", ".ipynb"}
                   and not any(part.startswith("_") for part in p.relative_to(docs).parts)
                   and ".ipynb_checkpoints" not in p.parts and p.name != "abbreviations.md"]
        paths = sorted(
            "" if p.relative_to(docs).as_posix() == "index.md"
            else p.relative_to(docs).with_suffix("").as_posix() + "/"
            for p in sources
        )
        # and the page of each test file, generated by docs/_hooks/verified.py
        paths += [f"verification/tests/{p.stem}/" for p in sorted((ROOT / "tests").glob("test_*.py"))]
        metafunc.parametrize("page_path", paths)


def test_every_source_page_was_built(site_dir):
    built = set(page_paths(site_dir))
    docs = ROOT / "docs"
    for source in docs.rglob("*.md"):
        relative = source.relative_to(docs)
        if any(part.startswith("_") for part in relative.parts) or source.name == "abbreviations.md":
            continue
        expected = "" if relative.as_posix() == "index.md" else relative.with_suffix("").as_posix() + "/"
        assert expected in built, f"{relative} was not built"


def test_not_found_page(context, base_url):
    """An address that does not exist: the reader gets the search box and the ways back."""
    page = context.new_page()
    response = page.goto(base_url + "404.html")
    assert response.status == 200
    assert "404" in page.content()
    for name, path in (("Home", "/"), ("Glossary A–Z", "/glossary/")):
        link = page.get_by_role("link", name=name, exact=True).last
        assert urlparse(link.evaluate("a => a.href")).path == path
    page.locator("article label[for='__search']").click()
    box = page.locator("input.md-search__input")
    box.fill("momentum")
    box.press("End")  # the search reads the box on keyup
    page.locator(".md-search-result__item").first.wait_for(state="visible", timeout=10000)


# ---------------------------------------------------------------- the pages as readers meet them
TEST_NAMES = sorted({name for path in (ROOT / "tests").glob("test_*.py")
                     for name in re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M)})
TERM_PAGE_PATHS = sorted(f"terms/{p.stem}/" for p in (ROOT / "docs" / "terms").glob("*.md"))
_visible_test_names: dict[str, int] = {}
_mentions: dict[str, tuple[int, int]] = {}  # page -> (underlined terms, links among them)

# The text a reader sees: every visible text node outside code listings.
_VISIBLE_TEXT = r"""() => {
    const walker = document.createTreeWalker(document.querySelector("article"), NodeFilter.SHOW_TEXT);
    const shown = [];
    while (walker.nextNode()) {
        const node = walker.currentNode, el = node.parentElement;
        if (el.closest("pre, .highlight")) continue;
        if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
        shown.push(node.textContent);
    }
    return shown.join(" ");
}"""


# The moment a reader's screen is settled: every formula typeset by KaTeX (or marked as its
# error), the concept map drawn where there is one, the fonts loaded (KaTeX's can land late and
# widen a formula; readers.js sets the tab stops then), and one frame painted after that.
_SETTLED = r"""() => new Promise((done, fail) => {
    const deadline = performance.now() + 10000;
    const ready = () => [...document.querySelectorAll(".arithmatex")].every(e => e.querySelector(".katex, .katex-error"))
        && (!document.querySelector(".concept-map") || document.querySelector(".concept-map__drawing"));
    const poll = () => {
        if (ready()) document.fonts.ready.then(() => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));
        else if (performance.now() > deadline) done(false);
        else setTimeout(poll, 25);
    };
    poll();
})"""

# The page's state the checks below read, in one call.
_PAGE_STATE = r"""() => ({
    scheme: document.body.getAttribute("data-md-color-scheme"),
    raw_math: [...document.querySelectorAll(".arithmatex")].filter(e => !e.querySelector(".katex"))
        .map(e => e.textContent.slice(0, 60)),
    katex_errors: [...document.querySelectorAll(".katex-error")].map(e => e.title),
    broken_images: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
})"""

# In each section, the first underlined mention of each term must sit in a link.
_FIRST_MENTIONS = r"""() => {
    const seen = new Set(), unlinked = [];
    let abbrs = 0, links = 0;
    for (const el of document.querySelectorAll("article h1, article h2, article h3, article h4, article h5, article h6, article abbr")) {
        if (/^H[1-6]$/.test(el.tagName)) { seen.clear(); continue; }
        if (el.closest("h1, h2, h3, h4, h5, h6")) continue;
        abbrs += 1;
        const key = el.title.split(":")[0];
        const link = el.closest("a");
        if (link) links += 1;
        if (seen.has(key)) continue;
        seen.add(key);
        if (!link) unlinked.push(el.textContent);
    }
    return {abbrs, links, unlinked};
}"""

# axe-core on the open page, started without waiting for it (in a task of its own: axe.run does
# most of its work before its first await, which would hold the caller): the two screens' runs go
# on side by side, one renderer process each; _AXE_RESULT collects the serious and critical
# violations.
_AXE_START = """runOnly => { window.__axeViolations = new Promise(started => setTimeout(started, 0))
    .then(() => axe.run(document, {runOnly, resultTypes: ["violations"]})).then(r => r.violations
    .filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
        id: v.id, impact: v.impact, count: v.nodes.length,
        examples: v.nodes.slice(0, 3).map(n => n.target.join(" ") + ": " + (n.failureSummary || "").slice(0, 160)),
    }))); }"""
_AXE_RESULT = "() => window.__axeViolations"

_TOGGLE_SCHEME = "form[data-md-component='palette'] label:visible"
SCHEMES = {"default": "light", "slate": "dark"}  # the theme's name of each colour scheme


class ReaderTab:
    """One open tab of a screen (phone or desktop), going from page to page as a reader does and
    switching the colour scheme with the page's own toggle; it records the console errors of the
    page it shows."""

    def __init__(self, context):
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, url: str) -> None:
        self.errors.clear()
        self.response = self.page.goto(url, wait_until="commit")

    def loaded(self) -> bool:
        self.page.wait_for_load_state("load")
        return self.response is not None and self.response.status == 200

    def settle(self) -> bool:
        return self.page.evaluate(_SETTLED)

    def scheme(self) -> str:
        return SCHEMES.get(self.page.get_attribute("body", "data-md-color-scheme"), "unknown")

    def toggle_scheme(self) -> None:
        before = self.page.get_attribute("body", "data-md-color-scheme")
        # the control a reader clicks, clicked where the pointer is not: a pointer left on the toggle
        # would hold its tooltip open over the next page
        self.page.locator(_TOGGLE_SCHEME).first.dispatch_event("click")
        self.page.wait_for_function("b => document.body.getAttribute('data-md-color-scheme') !== b", arg=before)

    def start_axe(self, *, colour_rules_only: bool = False) -> None:
        if not self.page.evaluate("() => typeof axe !== 'undefined'"):
            self.page.add_script_tag(url=AXE_PATH)
        run_only = ({"type": "rule", "values": AXE_COLOUR_RULES} if colour_rules_only
                    else {"type": "tag", "values": AXE_TAGS})
        self.page.evaluate(_AXE_START, run_only)

    def axe_violations(self) -> list[dict]:
        return self.page.evaluate(_AXE_RESULT)


@pytest.fixture(scope="module")
def reader_tabs(reader_contexts):
    return {size: ReaderTab(reader_contexts[size, "light"]) for size in VIEWPORTS}


def test_every_page_as_readers_meet_it(reader_tabs, base_url, page_path):
    """Each page on a phone (390×844) and a desktop (1440×900), in both colour schemes (the page's
    own toggle switches from one to the other, as a reader does):

    - HTTP 200, no console error, no request to another host, every formula typeset, every image
      loaded;
    - axe-core (WCAG 2 A and AA rules): no serious or critical violation, which includes colour
      contrast, links told apart by more than colour, and scrollable regions a keyboard can reach
      (every rule in the scheme the page opens in, on both screens; the colour rules in the other,
      on the desktop);
    - on a desktop, in each section the first underlined mention of a term is a link (its tooltip
      stays); on a term page, no test's name is visible on either screen (the names wait in the
      collapsed table, which is closed).
    """
    blocked_before = len(_requests["blocked"])
    for tab in reader_tabs.values():  # both loads go on at once
        tab.open(base_url + page_path)
    problems, schemes = [], {size: [] for size in reader_tabs}
    for size, tab in reader_tabs.items():
        if not tab.loaded():
            problems.append(f"{size}: HTTP {tab.response and tab.response.status}")
    tabs = {size: tab for size, tab in reader_tabs.items() if tab.response and tab.response.status == 200}
    for round_ in range(2):  # the scheme the tab was left in, then the other one
        # axe runs on both screens in the first scheme; in the second, on the desktop alone and for
        # the colour rules only (the colours are the same on both screens)
        axe_sizes = [size for size in tabs if not round_ or size == "desktop"]
        for size, tab in tabs.items():
            if round_:
                tab.toggle_scheme()
            scheme = tab.scheme()
            schemes[size].append(scheme)
            where = f"{size}, {scheme}"
            if not tab.settle():
                problems.append(f"{where}: not settled in 10 s (math, concept map or fonts)")
            state = tab.page.evaluate(_PAGE_STATE)
            for key in ("raw_math", "katex_errors", "broken_images"):
                if state[key]:
                    problems.append(f"{where}: {key.replace('_', ' ')}: {state[key][:3]}")
            if not round_:
                problems += _reader_text_problems(tab.page, page_path, size)
            if size in axe_sizes:
                tab.start_axe(colour_rules_only=bool(round_))  # the two screens' runs go on side by side
        for size in axe_sizes:
            tab = tabs[size]
            violations = tab.axe_violations()
            for v in violations:
                _axe_counts[v["id"]] = _axe_counts.get(v["id"], 0) + v["count"]
            if violations:
                problems.append(f"{size}, {schemes[size][-1]}: axe-core: "
                                + json.dumps(violations, indent=1, ensure_ascii=False))
    for size, tab in tabs.items():
        if sorted(schemes[size]) != ["dark", "light"]:
            problems.append(f"{size}: colour schemes seen {schemes[size]}, not light and dark")
        if tab.errors:
            problems.append(f"{size}: console errors: {tab.errors}")
    foreign = _requests["blocked"][blocked_before:]
    if foreign:
        problems.append(f"requests to other hosts: {foreign}")
    _pages_loaded.append(page_path)
    assert not problems, f"{page_path}:\n" + "\n".join(problems)


def _reader_text_problems(page, page_path: str, size: str) -> list[str]:
    """What the text of the page shows a reader: no test name on a term page (the full table is
    closed), and on a desktop every first mention of a term in a section is a link."""
    problems = []
    if page_path in TERM_PAGE_PATHS:
        words = set(re.findall(r"\btest_\w+", page.evaluate(_VISIBLE_TEXT)))
        shown = sorted(words & set(TEST_NAMES))
        _visible_test_names[f"{page_path} ({size})"] = len(shown)
        if shown:
            problems.append(f"{size}: visible test names {shown[:5]}")
        if page.locator(".admonition.success details[open]").count():
            problems.append(f"{size}: the full verification table is open by default")
    if size == "desktop":
        mentions = page.evaluate(_FIRST_MENTIONS)
        _mentions[page_path] = (mentions["abbrs"], mentions["links"])
        if mentions["unlinked"]:
            problems.append(f"first mentions that are not links: {mentions['unlinked'][:8]}")
    return problems

def test_home_speaks_to_the_readers_pointer(reader_contexts, base_url):
    """Home: the terms under one heading per family; "tap" on a phone, "hover" and "/" on a desktop."""
    for size, expected, absent in (("phone", "Tap", ("Hover", "press /")), ("desktop", "Hover", ("Tap",))):
        page = reader_contexts[size, "light"].new_page()
        page.goto(base_url, wait_until="domcontentloaded")
        text = page.locator("article").inner_text()
        assert expected in text and not any(word in text for word in absent), (size, text[:600])
        assert page.locator("article h3").count() >= 5
        page.close()


def test_the_index_has_letters_only_and_no_duplicate(context, base_url):
    page = context.new_page()
    page.goto(base_url + "glossary/", wait_until="domcontentloaded")
    headings = [h.strip().rstrip("¶").strip() for h in page.locator("article h2").all_inner_texts()]
    assert headings[0] == "#" and all(len(h) == 1 and "A" <= h <= "Z" for h in headings[1:]), headings
    entries = [e.split(":")[0].split(" — ")[0].strip().lower().replace("×", "x")
               for e in page.locator("article li").all_inner_texts()]
    assert len(entries) == len(set(entries)), sorted({e for e in entries if entries.count(e) > 1})


@pytest.mark.parametrize("query, address", [
    (label, term.page.removesuffix(".md") + "/#" + term.anchor)
    for term in TERMS if term.anchor for label in (term.name,)
])
def test_search_for_a_term_opens_its_own_section(search_box, query, address):
    hrefs = search_box.search(query)
    first = urlparse(hrefs[0])
    assert first.path.endswith("/" + address.split("#")[0]) and first.fragment == address.split("#")[1], hrefs[:3]


def test_search_snippets_are_text_not_source(search_box):
    search_box.search("relu")
    snippets = search_box.page.locator(".md-search-result__article").all_inner_texts()
    assert snippets
    for text in snippets:
        assert "\\(" not in text and "\\[" not in text and "@njit" not in text and "def _" not in text, text[:300]


_map_widths: dict[str, tuple[int, int]] = {}  # screen -> (drawn map width, column width)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_concept_map_fits_and_no_arrow_crosses_a_box(reader_contexts, base_url, size):
    """dagre's layout: within the column on a desktop, top to bottom on a phone (scrolled, never
    shrunk past reading), every prerequisite an arrow, and no arrow through a box it does not join."""
    page = reader_contexts[size, "light"].new_page()
    page.goto(base_url + "concept-map/", wait_until="networkidle")
    page.locator(".concept-map__drawing").wait_for(state="attached", timeout=10000)
    report = page.evaluate(r"""() => {
        const map = document.querySelector(".concept-map");
        const boxes = [...map.querySelectorAll(".concept-map__node")].map(a => ({id: a.dataset.id,
            x: a.offsetLeft, y: a.offsetTop, w: a.offsetWidth, h: a.offsetHeight}));
        const crossings = [];
        for (const path of map.querySelectorAll(".concept-map__edges > path")) {
            const length = path.getTotalLength();
            for (let at = 0; at <= length; at += 2) {
                const p = path.getPointAtLength(at);
                for (const b of boxes) {
                    if (b.id === path.dataset.from || b.id === path.dataset.to) continue;
                    if (p.x > b.x + 1 && p.x < b.x + b.w - 1 && p.y > b.y + 1 && p.y < b.y + b.h - 1)
                        crossings.push(`${path.dataset.from}->${path.dataset.to} through ${b.id}`);
                }
            }
        }
        const scale = new DOMMatrix(getComputedStyle(map.querySelector(".concept-map__drawing")).transform).a;
        return {drawn: map.getBoundingClientRect().width ? Number(map.dataset.width) : 0, column: map.clientWidth,
                boxes: boxes.length, arrows: map.querySelectorAll(".concept-map__edges > path").length,
                crossings: [...new Set(crossings)], scale, vertical: map.classList.contains("concept-map--vertical"),
                textPx: parseFloat(getComputedStyle(map.querySelector(".concept-map__node")).fontSize) * scale};
    }""")
    page.close()
    _map_widths[size] = (report["drawn"], report["column"])
    edges = sum(len(t.prerequisites) for t in TERMS)
    assert report["arrows"] == edges and report["boxes"] >= len({p for t in TERMS for p in t.prerequisites})
    assert not report["crossings"], report["crossings"][:10]
    assert report["textPx"] >= 9, f"labels shrunk to {report['textPx']:.1f} px"
    if size == "desktop":
        assert report["drawn"] <= report["column"], report
    else:
        assert report["vertical"], report


def test_a_wide_figure_opens_at_its_own_size_on_a_phone(reader_contexts, base_url):
    page = reader_contexts["phone", "light"].new_page()
    page.goto(base_url + "terms/backpropagation/", wait_until="networkidle")
    button = page.locator("button.figure-zoom").first
    button.wait_for(state="visible", timeout=5000)
    shown = button.locator("img").evaluate("img => [img.clientWidth, img.naturalWidth]")
    button.click()
    large = page.locator("dialog.figure-dialog[open] img")
    large.wait_for(state="visible", timeout=5000)
    assert large.evaluate("img => img.clientWidth") >= shown[1] > shown[0]
    page.keyboard.press("Escape")
    page.locator("dialog.figure-dialog").wait_for(state="detached", timeout=5000)


def test_hovering_a_term_shows_its_tooltip(context, base_url):
    page = context.new_page()
    page.goto(base_url + "glossary/", wait_until="networkidle")
    term = TERMS[0]
    abbr = page.locator("abbr", has_text=term.synonyms[0]).first
    abbr.hover()
    tooltip = page.locator(".md-tooltip2, .md-tooltip").filter(has_text=term.definition[:40])
    tooltip.first.wait_for(state="visible", timeout=5000)


# the result list, its first links, and the line above it ("3 matching documents", ...)
_RESULT_STATE = r"""() => ({
    meta: document.querySelector('.md-search-result__meta').textContent.trim(),
    hrefs: [...document.querySelectorAll('.md-search-result__item > a')].map(a => a.href),
})"""


class SearchBox:
    """The search box of one open page, used for every query in turn.

    A query is answered asynchronously by the search worker, one answer per query, in the order
    the queries were sent; the page sends a query when a keyup finds a new value in the box. So
    one query at a time, each proven to be the one on screen:

    1. empty the box (the keyup sends ""), and wait until the worker's answer to the empty query
       is shown: no result and the placeholder line ("Type to start searching");
    2. write the query and release a key (one keyup: exactly one query sent), and wait until the
       placeholder line is replaced. The only answer still to come after step 1 is the answer to
       this query, so the list now shown is this query's and no other's.

    Typing character by character would send one query per prefix, with no way to tell from the
    page which of their answers is on screen: that is why each test used to open a fresh page.
    """

    def __init__(self, page):
        self.page = page
        self.box = page.locator("input.md-search__input")
        config = json.loads(page.locator("#__config").text_content())
        self.placeholder = config["translations"]["search.result.placeholder"]
        # before any answer the line says "Initializing search"; the first answer (the worker
        # loads the index first) may be the placeholder, for the empty box
        before = page.evaluate(_RESULT_STATE)["meta"]
        self.box.click()
        self._send("a")  # a first query, so that emptying the box below always sends one
        self.page.wait_for_function(
            "m => !m.includes(document.querySelector('.md-search-result__meta').textContent.trim())",
            arg=[before, self.placeholder], timeout=30000,
        )

    def _send(self, value: str) -> None:
        self.box.fill(value)  # fill() fires input events only; the search reads the box on keyup
        self.box.press("End")  # one keyup: the value is sent to the worker once

    def search(self, query: str) -> list[str]:
        """The links of the result list for ``query`` (each result's article link, in order)."""
        self._send("")
        self.page.wait_for_function(
            """p => document.querySelector('.md-search-result__meta').textContent.trim() === p
                   && document.querySelectorAll('.md-search-result__list > *').length === 0""",
            arg=self.placeholder, timeout=10000,
        )
        self._send(query)
        self.page.wait_for_function(
            "p => document.querySelector('.md-search-result__meta').textContent.trim() !== p",
            arg=self.placeholder, timeout=10000,
        )
        state = self.page.evaluate(_RESULT_STATE)
        assert self.box.input_value() == query
        # search.highlight puts the query terms each result matched in ?h=: they are this query's
        words = query.lower()
        for href in state["hrefs"]:
            for term in parse_qs(urlparse(href).query).get("h", [""])[0].split():
                assert term in words, f"{query!r}: result {href} was found for another query"
        return state["hrefs"]


@pytest.fixture(scope="module")
def search_box(browser, base_url):
    ctx = _new_context(browser)
    page = ctx.new_page()
    page.goto(base_url, wait_until="networkidle")
    yield SearchBox(page)
    ctx.close()


@pytest.mark.parametrize(
    "query, page",
    [(label, term.page) for term in TERMS for label in (term.name, *term.synonyms)],
)
def test_search_lists_the_term_page_first_for_every_name_and_synonym(search_box, query, page):
    """Every query runs in the same page, one after the other (see SearchBox)."""
    hrefs = search_box.search(query)
    expected = page.removesuffix(".md") + "/"
    assert hrefs, f"{query!r}: no result"
    assert urlparse(hrefs[0]).path.endswith("/" + expected), f"{query!r}: first results {hrefs[:3]}, not {expected}"


@pytest.mark.parametrize(
    "query, page",
    [("tensors", "terms/tensor/"), ("Neural networks", "terms/neural-network/"), ("learning rates", "terms/learning-rate/"),
     ("matrices", "terms/tensor/"), ("derivatives", "terms/differentiation/")],
)
def test_search_of_a_name_in_the_plural_lists_the_term_page_first(search_box, query, page):
    hrefs = search_box.search(query)
    assert hrefs and urlparse(hrefs[0]).path.endswith("/" + page), f"{query!r}: first results {hrefs[:3]}, not {page}"


@pytest.mark.parametrize(
    "query, page",
    [("chain", "terms/chain-rule/"), ("backprop algo", "terms/backpropagation/"), ("tens", "terms/tensor/")],
)
def test_search_of_a_partial_name_still_finds_the_page(search_box, query, page):
    """Queries that are no term's exact name keep the theme's ranking: each word is a prefix."""
    hrefs = search_box.search(query)
    assert any(urlparse(href).path.endswith("/" + page) for href in hrefs[:10]), f"{query!r}: {hrefs[:10]}"


def test_copy_button_copies_the_snippet_exactly(context, base_url):
    page = context.new_page()
    page.goto(base_url, wait_until="networkidle")
    block = page.locator(".highlight").filter(has_text="binary_crossentropy").first
    code = block.locator("code").inner_text()
    block.hover()
    block.locator("button.md-code__button[data-md-type='copy'], button.md-clipboard").first.click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.strip() == code.strip()
    assert "from glossary_dl.losses import binary_crossentropy" in copied


def test_dark_mode_toggles(context, base_url):
    page = context.new_page()
    page.goto(base_url, wait_until="networkidle")
    before = page.get_attribute("body", "data-md-color-scheme")
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_timeout(200)
    after = page.get_attribute("body", "data-md-color-scheme")
    assert {before, after} == {"default", "slate"}


def test_instant_navigation_keeps_math_rendered(context, base_url):
    page = context.new_page()
    page.goto(base_url, wait_until="networkidle")
    page.locator("a[href$='terms/momentum/']").first.click()
    page.wait_for_url("**/terms/momentum/")
    page.wait_for_timeout(500)
    assert page.locator(".arithmatex").count() > 0, "the momentum page should show formulas"
    assert page.locator(".arithmatex:not(:has(.katex))").count() == 0


def test_notebook_pages_render_their_figures(context, base_url, site_dir):
    notebooks = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))
    assert notebooks
    for notebook in notebooks:
        page = context.new_page()
        page.goto(base_url + f"notebooks/{notebook.stem}/", wait_until="networkidle")
        images = page.locator(".jp-OutputArea-output img")
        assert images.count() >= 1, f"{notebook.name}: no figure"
        assert page.evaluate("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
        # JupyterLab's layout survives the build's stylesheet purge (docs/_hooks/css_purge.py)
        styled = page.evaluate("""() => {
            const style = selector => getComputedStyle(document.querySelector(selector));
            return [style('.jp-InputArea').display, style('.jp-OutputArea-child').display,
                    style('.jp-InputPrompt').fontFamily.includes('monospace'),
                    style('.jp-InputArea-editor').backgroundColor !== 'rgba(0, 0, 0, 0)']
        }""")
        assert styled == ["flex", "flex", True, True], f"{notebook.name}: notebook cells unstyled: {styled}"


SCREENSHOTS = {
    # name: (address, what to bring into view first; None: the top of the page)
    "term-page": ("terms/momentum/", None),
    "needs-line": ("terms/loss-function/", ".glossary-needs"),
    "verified-box": ("terms/loss-function/", ".admonition.success"),
    "test-file-page": ("verification/tests/test_losses/", None),
}


def test_screenshots_phone_and_desktop_light_and_dark(browser, base_url):
    """What a reader sees, saved in artifacts/ to be looked at: a term page, a block's Needs line
    and a test file's page, on each screen in each colour scheme (the scheme the system asks for).
    A fresh context each: the theme keeps a palette chosen with the toggle in the context's storage."""
    ARTIFACTS.mkdir(exist_ok=True)
    for (size, viewport), scheme in itertools.product(VIEWPORTS.items(), ("light", "dark")):
        ctx = _new_context(browser, viewport, scheme)
        page = ctx.new_page()
        for name, (address, target) in SCREENSHOTS.items():
            page.goto(base_url + address, wait_until="networkidle")
            page.wait_for_function(_SETTLED, timeout=15000)
            if target:
                page.locator(target).first.scroll_into_view_if_needed()
                page.wait_for_timeout(400)  # the header's title slides from site name to page title
            page.mouse.move(1, 1)  # no hover tooltip in the picture
            assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == (
                "slate" if scheme == "dark" else "default")
            shot = ARTIFACTS / f"{name}-{size}-{scheme}.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000, shot
        ctx.close()
    for name in SCREENSHOTS:
        for size in VIEWPORTS:
            light, dark = (ARTIFACTS / f"{name}-{size}-{scheme}.png" for scheme in ("light", "dark"))
            assert light.read_bytes() != dark.read_bytes(), (name, size)


# ---------------------------------------------------------------- accessibility


@pytest.fixture(scope="module")
def reader_contexts(browser, base_url):
    """One browser context per screen and colour scheme, each serving axe-core at AXE_PATH."""
    contexts = {}
    for size, viewport in VIEWPORTS.items():
        for scheme in ("light", "dark"):
            ctx = _new_context(browser, viewport, scheme)
            ctx.route("**" + AXE_PATH, lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
            contexts[size, scheme] = ctx
    yield contexts
    for ctx in contexts.values():
        ctx.close()


def test_browser_report(capsys):
    """Last in the module: the counts for the closing note, and no request ever left the machine."""
    with capsys.disabled():
        print(
            f"\nbrowser: {len(_pages_loaded)} pages loaded, {_requests['served']} requests served by "
            f"127.0.0.1, {len(_requests['blocked'])} requests to other hosts blocked"
        )
        if _visible_test_names:
            print(f"visible test names on term pages: {sum(_visible_test_names.values())}")
        if _mentions:
            print(f"underlined terms and links among them: {sum(a for a, _ in _mentions.values())} and "
                  f"{sum(b for _, b in _mentions.values())}; optimizer page: {_mentions.get('terms/optimizer/')}")
        if _map_widths:
            print(f"concept map (drawn width, column width) by screen: {_map_widths}")
        if _axe_counts:
            print(f"axe-core serious/critical violations (nodes) by rule: {_axe_counts}")
    assert not _requests["blocked"], _requests["blocked"][:5]
