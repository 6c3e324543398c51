// Render math with the vendored KaTeX (no CDN). pymdownx.arithmatex (generic
// mode) wraps formulas in .arithmatex elements with \( \) and \[ \] delimiters;
// notebook pages keep $ and $$ in their markdown cells.
function renderMath() {
  const options = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
      { left: "$", right: "$", display: false },
    ],
    ignoredClasses: ["highlight", "jp-CodeCell", "jp-OutputArea-output"],
    throwOnError: false,
  };
  document.querySelectorAll(".arithmatex").forEach((el) => renderMathInElement(el, options));
  document.querySelectorAll(".jp-MarkdownOutput, .jp-RenderedMarkdown").forEach((el) =>
    renderMathInElement(el, options)
  );
  // the page's size changed: readers.js gives the formulas now too wide a tab stop
  document.dispatchEvent(new Event("glossary:rendered"));
}
// navigation.instant swaps page content without a reload: render on every swap.
if (typeof document$ !== "undefined") {
  document$.subscribe(renderMath);
} else {
  document.addEventListener("DOMContentLoaded", renderMath);
}
