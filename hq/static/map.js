// The provinces on a map of Iran (F4), coloured by the figure the dashboard ranks by: darker is
// more. A picture beside the ranked bars, which stay the accessible list; a province with no
// figure is left grey. The outlines are hq/static/iran-provinces.svg (scripts/make_iran_map.py).
"use strict";
const IranMap = (() => {
  const LOW = [233, 241, 237], HIGH = [11, 107, 71]; // #e9f1ed .. the accent green
  const NONE = "#d5dbe0";
  const same = (s) => String(s || "").replace(/ي/g, "ی").replace(/ك/g, "ک").replace(/\s+/g, " ").trim();
  let svg = null;

  async function load(box) {
    const r = await fetch(box.dataset.src);
    if (!r.ok) return;
    const doc = new DOMParser().parseFromString(await r.text(), "image/svg+xml");
    svg = document.importNode(doc.documentElement, true);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-labelledby", "map-title");
    box.replaceChildren(svg);
  }

  function shade(share) {
    const c = LOW.map((lo, i) => Math.round(lo + (HIGH[i] - lo) * share));
    return `rgb(${c.join(",")})`;
  }

  // items: [{key, label, value, shown}], top: the largest value; onPick(key) drills down
  function paint(items, top, onPick) {
    if (!svg) return;
    const byName = new Map(items.map((g) => [same(g.label), g]));
    for (const shape of svg.querySelectorAll("[data-province]")) {
      const g = byName.get(same(shape.dataset.province));
      const v = g ? g.value : null;
      shape.setAttribute("fill", v === null || v === undefined ? NONE : shade(top ? Math.max(0, v) / top : 0));
      shape.setAttribute("stroke", "#ffffff");
      shape.setAttribute("stroke-width", "2");
      shape.replaceChildren();
      const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      title.textContent = shape.dataset.province + (g ? ": " + g.shown : "");
      shape.append(title);
      shape.style.cursor = g ? "pointer" : "default";
      shape.onclick = g ? () => onPick(g.key) : null;
    }
  }

  return {load, paint};
})();
