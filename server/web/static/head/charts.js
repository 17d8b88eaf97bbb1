// Tiny inline-SVG charts for the head's pages: no library, no network, prints as is.
"use strict";

// Paired bars (a, b) per label as inline SVG; no library, no network.
function barChart(rows, legend, max) {
  const W = 420, H = 150, pad = 24, bw = (W - pad * 2) / Math.max(rows.length, 1);
  const top = Math.max(max || 0, ...rows.map((r) => Math.max(r.a, r.b)), 1);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H + 44}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("direction", "ltr");
  const add = (tag, attrs, text) => {
    const n = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    svg.append(n);
  };
  add("line", {x1: pad, x2: W - 4, y1: H + 4, y2: H + 4, stroke: "#c5ced6"});
  add("line", {x1: pad, x2: W - 4, y1: 4, y2: 4, stroke: "#eef1f4"});
  add("text", {x: pad - 4, y: 12, "text-anchor": "end"}, digits(Math.round(top)));
  add("text", {x: pad - 4, y: H + 4, "text-anchor": "end"}, digits(0));
  const every = Math.ceil(rows.length / 16);  // at most 16 labels on the axis
  rows.forEach((r, i) => {
    const x = pad + i * bw;
    const ha = (r.a / top) * H, hb = (r.b / top) * H;
    add("rect", {x: x + bw * 0.1, y: H - ha + 4, width: bw * 0.38, height: ha, class: "a"});
    add("rect", {x: x + bw * 0.52, y: H - hb + 4, width: bw * 0.38, height: hb, class: "b"});
    if (i % every === 0) add("text", {x: x + bw / 2, y: H + 18, "text-anchor": "middle"}, r.label);
  });
  add("rect", {x: pad, y: H + 32, width: 10, height: 8, class: "a"});
  add("text", {x: pad + 14, y: H + 40}, legend[0]);
  add("rect", {x: W / 2, y: H + 32, width: 10, height: 8, class: "b"});
  add("text", {x: W / 2 + 14, y: H + 40}, legend[1]);
  return svg;
}

