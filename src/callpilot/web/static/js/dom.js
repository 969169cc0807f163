// Small DOM helpers shared by the pages (no framework: the pages are a few lists that grow).

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const PLACEHOLDER = /\[([A-Z][A-Z_]*)\]/g;

// Redacted text with each [ENTITY] placeholder shown as a typed chip.
export function redactedText(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push(document.createTextNode(text.slice(last, match.index)));
    const kind = match[1];
    parts.push(el("span", { class: "chip", title: `redacted ${kind.toLowerCase().replaceAll("_", " ")}`,
                            "aria-label": `redacted ${kind.toLowerCase().replaceAll("_", " ")}` },
                  kind.replaceAll("_", " ").toLowerCase()));
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(document.createTextNode(text.slice(last)));
  return parts;
}

// Text with marked ranges ([start, end, className]) and the placeholders as chips.
export function markedText(text, marks = []) {
  const sorted = [...marks].filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  const out = [];
  let at = 0;
  for (const [start, end, cls] of sorted) {
    if (start < at) continue; // overlapping marks: the first wins
    out.push(...redactedText(text.slice(at, start)));
    out.push(el("mark", { class: cls }, ...redactedText(text.slice(start, end))));
    at = end;
  }
  out.push(...redactedText(text.slice(at)));
  return out;
}

export function clock(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

// The cut is dashboard/today.py MOOD_CUT's, so today's chart counts what the rows say.
export function sentimentWord(score) {
  if (score === null || score === undefined) return "–";
  if (score <= -0.2) return "negative";
  if (score >= 0.2) return "positive";
  return "neutral";
}

export function pct(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`;
}
