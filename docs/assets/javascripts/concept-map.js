// The concept map: the registry's prerequisite graph (written into the page by the build as
// JSON), laid out by dagre (docs/assets/vendor/dagre, from npm) and drawn as boxes that are
// ordinary links over one SVG layer of arrows. Left to right where the column is wide, top to
// bottom on a phone; scaled down to the column's width when it is only a little wider, and
// otherwise scrolled (with a tab stop) rather than shrunk past reading.
const MAP_FONT_PX = 13;
const MAP_MIN_SCALE = 0.72;

// dagre (49 KiB) is fetched only by a page that has a map, from the site beside this script.
const DAGRE_URL = new URL("../vendor/dagre/dagre.min.js", document.currentScript.src).href;

function loadDagre() {
  loadDagre.loading ??= new Promise((resolve) => {
    const script = Object.assign(document.createElement("script"), { src: DAGRE_URL });
    script.addEventListener("load", resolve);
    script.addEventListener("error", resolve);  // then the list of links stays
    document.head.append(script);
  });
  return loadDagre.loading;
}

function drawConceptMaps() {
  const maps = document.querySelectorAll(".concept-map");
  if (maps.length && typeof dagre === "undefined" && !loadDagre.loading) {
    loadDagre().then(drawConceptMaps);
    return;
  }
  maps.forEach(drawConceptMap);
  document.dispatchEvent(new Event("glossary:rendered"));  // readers.js: a tab stop if it scrolls
}

function boxWidth(label) {
  const ruler = drawConceptMaps.ruler ??= document.createElement("canvas").getContext("2d");
  ruler.font = `${MAP_FONT_PX}px ${getComputedStyle(document.body).fontFamily}`;
  return Math.ceil(ruler.measureText(label).width) + 20;
}

// The stretches of the rank axis that no box covers, in order.
function freeGaps(nodes, axis, size) {
  const spans = nodes.map((n) => [n[axis] - n[size] / 2, n[axis] + n[size] / 2]).sort((a, b) => a[0] - b[0]);
  const gaps = [];
  let end = -Infinity;
  for (const [start, stop] of spans) {
    if (start > end && end > -Infinity) gaps.push([end, start]);
    end = Math.max(end, stop);
  }
  return gaps;
}

// A line across the rank axis between two positions that touches no box: the middle of the
// free gap that covers most of the stretch between them (a waypoint may lie inside a gap).
function gapBetween(gaps, a, b) {
  const [low, high] = a < b ? [a, b] : [b, a];
  let best = null, bestOverlap = 0;
  for (const [start, stop] of gaps) {
    const overlap = Math.min(stop, high) - Math.max(start, low);
    if (overlap > bestOverlap) { best = [Math.max(start, low), Math.min(stop, high)]; bestOverlap = overlap; }
  }
  return best ? (best[0] + best[1]) / 2 : (a + b) / 2;
}

function drawConceptMap(container) {
  if (typeof dagre === "undefined") return;  // the list of links stays
  const graph = JSON.parse(container.querySelector(".concept-map__graph").textContent);
  const column = container.clientWidth;
  const vertical = column < 700;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: vertical ? "TB" : "LR", nodesep: vertical ? 10 : 8, ranksep: vertical ? 34 : 40,
               edgesep: 8, marginx: 4, marginy: 4 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { ...node, width: boxWidth(node.label), height: 26 });
  for (const [from, to] of graph.edges) g.setEdge(from, to);
  dagre.layout(g);
  const { width, height } = g.graph();
  const fit = column / width;
  const scale = fit >= 1 ? 1 : fit >= MAP_MIN_SCALE ? fit : 1;

  const drawing = document.createElement("div");
  drawing.className = "concept-map__drawing";
  drawing.style.width = `${width}px`;
  drawing.style.height = `${height}px`;
  drawing.style.transform = `scale(${scale})`;
  const svgNS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("class", "concept-map__edges");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("aria-hidden", "true");
  svg.innerHTML = '<defs><marker id="concept-map-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" ' +
    'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="currentColor"/></marker></defs>';
  // Arrows run in the free gaps between the ranks: out of a box's side, along the gap, into
  // the next box's side, through dagre's waypoints (its dummy nodes) in the ranks between;
  // so no arrow crosses a box.
  const across = vertical ? "y" : "x", along = vertical ? "x" : "y";
  const gaps = freeGaps(g.nodes().map((id) => g.node(id)), across, vertical ? "height" : "width");
  for (const e of g.edges()) {
    const from = g.node(e.v), to = g.node(e.w);
    const half = (node) => (vertical ? node.height : node.width) / 2;
    const points = [
      { [across]: from[across] + half(from), [along]: from[along] },
      ...g.edge(e).points.slice(1, -1),
      { [across]: to[across] - half(to), [along]: to[along] },
    ];
    const route = [points[0]];
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1], b = points[i];
      const middle = gapBetween(gaps, a[across], b[across]);
      route.push({ [across]: middle, [along]: a[along] }, { [across]: middle, [along]: b[along] }, b);
    }
    const path = document.createElementNS(svgNS, "path");
    path.setAttribute("d", route.map((p, i) => `${i ? "L" : "M"} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(" "));
    path.setAttribute("data-from", e.v);
    path.setAttribute("data-to", e.w);
    path.setAttribute("marker-end", "url(#concept-map-arrow)");
    svg.append(path);
  }
  drawing.append(svg);
  for (const id of g.nodes()) {
    const node = g.node(id);
    const link = document.createElement("a");
    link.className = "concept-map__node";
    link.href = node.href;
    link.title = node.title;
    link.textContent = node.label;
    link.dataset.id = id;
    Object.assign(link.style, { left: `${node.x - node.width / 2}px`, top: `${node.y - node.height / 2}px`,
                                width: `${node.width}px`, height: `${node.height}px` });
    drawing.append(link);
  }
  container.querySelector(".concept-map__drawing")?.remove();
  container.querySelector(".concept-map__list").hidden = true;
  container.style.height = `${height * scale}px`;
  container.classList.toggle("concept-map--vertical", vertical);
  container.append(drawing);
  container.dataset.width = String(Math.round(width * scale));
}

if (typeof document$ !== "undefined") document$.subscribe(drawConceptMaps);
else document.addEventListener("DOMContentLoaded", drawConceptMaps);
let conceptMapWidth = window.innerWidth;
window.addEventListener("resize", () => {
  if (window.innerWidth !== conceptMapWidth) { conceptMapWidth = window.innerWidth; drawConceptMaps(); }
});
