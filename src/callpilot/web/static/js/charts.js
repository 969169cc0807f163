// Tiny SVG charts: a sparkline, bars and a stacked bar. Written by hand because the pages load nothing from
// a CDN and a charting library would be the pages' largest file by far for three shapes.

const NS = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// Values in -1..1 over time.
export function sparkline(svg, values) {
  svg.replaceChildren();
  const w = Number(svg.getAttribute("width"));
  const h = Number(svg.getAttribute("height"));
  svg.append(svgEl("line", { x1: 0, x2: w, y1: h / 2, y2: h / 2, class: "axis" }));
  if (values.length < 2) return;
  const step = w / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${((1 - (v + 1) / 2) * (h - 2) + 1).toFixed(1)}`);
  svg.append(svgEl("polyline", { points: points.join(" "), class: "spark-line" }));
}

// Labelled bars; each bar gets a <title> so the numbers are there for screen readers and on hover.
export function bars(svg, items, { labelEvery = 1 } = {}) {
  svg.replaceChildren();
  const w = Number(svg.getAttribute("width"));
  const h = Number(svg.getAttribute("height"));
  const max = Math.max(1, ...items.map((i) => i.value));
  const slot = w / Math.max(1, items.length);
  items.forEach((item, i) => {
    const bh = ((h - 18) * item.value) / max;
    const bar = svgEl("rect", { x: i * slot + 1, y: h - 16 - bh, width: Math.max(1, slot - 2), height: bh,
                                class: `bar ${item.cls || ""}` });
    const title = svgEl("title", {});
    title.textContent = `${item.label}: ${item.value}`;
    bar.append(title);
    svg.append(bar);
    if (i % labelEvery === 0) {
      const text = svgEl("text", { x: i * slot + slot / 2, y: h - 3, "text-anchor": "middle", class: "tick" });
      text.textContent = item.label;
      svg.append(text);
    }
  });
}
