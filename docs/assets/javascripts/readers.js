// What the pages need in the browser, for every reader.
// A region that scrolls sideways (a wide table, a long code line, a wide formula) must be
// reachable with the keyboard: it gets a tab stop, and only while it actually overflows.
const SCROLLERS = ".md-typeset__scrollwrap, .md-typeset pre > code, .katex-display, .concept-map, .jp-OutputArea-output, .jp-OutputArea-output pre, .jp-InputArea-editor pre, .highlight-ipynb";

function tabStopsForScrollers() {
  document.querySelectorAll(SCROLLERS).forEach((el) => {
    const style = getComputedStyle(el);
    const scrolls = (overflow) => overflow === "auto" || overflow === "scroll";
    // as a browser counts it: any overflow, even of one pixel, along an axis that scrolls
    const overflows = (scrolls(style.overflowX) && el.scrollWidth > el.clientWidth)
      || (scrolls(style.overflowY) && el.scrollHeight > el.clientHeight);
    if (overflows && !el.hasAttribute("tabindex")) {
      el.setAttribute("tabindex", "0");
      el.dataset.readerTabStop = "";
    } else if (!overflows && el.dataset.readerTabStop !== undefined) {
      el.removeAttribute("tabindex");
      delete el.dataset.readerTabStop;
    }
  });
}

function onEveryPage(callback) {
  // navigation.instant swaps the content without a reload: run on every swap
  if (typeof document$ !== "undefined") document$.subscribe(callback);
  else document.addEventListener("DOMContentLoaded", callback);
}

onEveryPage(() => {
  tabStopsForScrollers();
  // math renders after this script: check again once it has, and when the window changes size
  setTimeout(tabStopsForScrollers, 100);
});
window.addEventListener("resize", tabStopsForScrollers);
// KaTeX's fonts arrive after the math is typeset and widen it: a formula can start to overflow then
window.addEventListener("load", tabStopsForScrollers);
if (document.fonts) document.fonts.ready.then(tabStopsForScrollers);
document.addEventListener("glossary:rendered", tabStopsForScrollers);  // math typeset, map drawn
document.addEventListener("toggle", tabStopsForScrollers, true);  // a <details> opened

// A figure wider than its column on this screen (a labelled graph shrunk onto a phone) opens,
// on a tap or Enter, at its own size in a dialog that scrolls both ways; Escape or the
// button closes it. The site's own script, not a plugin: it works whatever builds the pages.
function enlargeableFigures() {
  document.querySelectorAll(".md-typeset img").forEach((img) => {
    if (img.closest(".figure-zoom") || img.closest("a")) return;
    const wrap = () => {
      if (img.naturalWidth < img.clientWidth * 1.25 || img.closest(".figure-zoom")) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "figure-zoom";
      button.setAttribute("aria-label", `Enlarge the figure: ${img.alt || "figure"}`);
      img.replaceWith(button);
      button.append(img);
      button.addEventListener("click", () => openFigure(img));
    };
    if (img.complete) wrap();
    else img.addEventListener("load", wrap, { once: true });
  });
}

function openFigure(img) {
  const dialog = document.createElement("dialog");
  dialog.className = "figure-dialog";
  dialog.setAttribute("aria-label", img.alt || "Figure");
  const close = document.createElement("button");
  close.type = "button";
  close.className = "figure-dialog__close md-button";
  close.textContent = "Close";
  close.addEventListener("click", () => dialog.close());
  const view = document.createElement("div");
  view.className = "figure-dialog__view";
  view.tabIndex = 0;  // the enlarged figure scrolls: keyboard users scroll it with the arrows
  const large = img.cloneNode();
  large.style.width = `${img.naturalWidth}px`;
  view.append(large);
  dialog.append(close, view);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

onEveryPage(enlargeableFigures);
