// The wrap-up panel: the after-call analysis with its review status, editable fields (the low-confidence
// ones highlighted), approve, and where the result was delivered.

import { api, ApiError } from "./api.js";
import { el, pct } from "./dom.js";

const RESOLUTIONS = ["resolved", "unresolved", "escalated", "follow_up"];
const STATUS_WORDS = { analyzed: "written", pending_review: "needs your review", approved: "approved" };

export async function loadWrapup(callId) {
  const [analysis, deliveries] = await Promise.all([
    api(`/v1/calls/${encodeURIComponent(callId)}/analysis`).catch((error) => {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }),
    api(`/v1/calls/${encodeURIComponent(callId)}/deliveries`).catch(() => []),
  ]);
  return { analysis, deliveries };
}

// Render into `root`; with `reviewer` set the panel can edit and approve (the agent desktop).
export function renderWrapup(root, callId, { analysis, deliveries }, { reviewer = null, onSaved = () => {} } = {}) {
  if (!analysis) {
    root.replaceChildren(el("p", { class: "muted" }, "Writing the wrap-up…"));
    return;
  }
  const a = analysis.analysis;
  const editable = reviewer !== null && analysis.status !== "approved";
  const lowFields = new Set((analysis.review_reasons || [])
    .map((r) => /^fields\.([\w-]+)/.exec(r)).filter(Boolean).map((m) => m[1]));
  const lowDisposition = (analysis.review_reasons || []).some((r) => r.startsWith("disposition"));
  const form = el("form", { class: "wrapup-form", "aria-label": "wrap-up" });

  form.append(el("p", { class: `status st-${analysis.status}`, role: "status" },
                 `Revision ${analysis.revision} · ${STATUS_WORDS[analysis.status] || analysis.status}`,
                 analysis.approved_by ? ` by ${analysis.approved_by}` : "",
                 ` · ${a.engine} · confidence ${pct(a.confidence)}`));
  if ((analysis.review_reasons || []).length && analysis.status !== "approved") {
    form.append(el("ul", { class: "reasons", "aria-label": "why it needs review" },
                   analysis.review_reasons.map((r) => el("li", {}, r))));
  }
  const summary = el("textarea", { id: "wu-summary", name: "summary", rows: 4, readonly: !editable });
  summary.value = a.summary.text;
  form.append(el("label", { for: "wu-summary" }, "Summary"), summary);
  if (a.action_items.length) {
    form.append(el("h3", {}, "Action items"),
                el("ul", { class: "actions" }, a.action_items.map((item) =>
                  el("li", {}, `${item.text} `, el("span", { class: "muted" },
                                                   `(${item.owner}${item.due ? `, ${item.due}` : ""})`)))));
  }
  const disposition = el("input", { id: "wu-disposition", name: "disposition", value: a.disposition.value,
                                    readonly: !editable, class: lowDisposition ? "low" : null });
  const resolution = el("select", { id: "wu-resolution", name: "resolution", disabled: !editable },
                        RESOLUTIONS.map((r) => el("option", { value: r, selected: r === a.resolution }, r)));
  form.append(el("div", { class: "row" },
                 el("label", { for: "wu-disposition" }, "Disposition"), disposition,
                 el("span", { class: `conf${lowDisposition ? " low" : ""}` }, pct(a.disposition.confidence)),
                 el("label", { for: "wu-resolution" }, "Resolution"), resolution));

  const inputs = new Map();
  const rows = Object.entries(a.fields).map(([name, field]) => {
    const id = `wu-field-${name}`;
    const input = el("input", { id, name, readonly: !editable, class: lowFields.has(name) ? "low" : null,
                                value: field.value === null ? "" : String(field.value),
                                "aria-describedby": `${id}-conf` });
    inputs.set(name, { input, original: field.value });
    return el("tr", { class: lowFields.has(name) ? "low" : null },
              el("th", { scope: "row" }, el("label", { for: id }, name.replaceAll("_", " "))),
              el("td", {}, input),
              el("td", { id: `${id}-conf`, class: "conf" }, pct(field.confidence),
                 lowFields.has(name) ? el("span", { class: "flag" }, " check") : null,
                 field.note ? el("span", { class: "muted" }, ` ${field.note}`) : null));
  });
  if (rows.length) {
    form.append(el("table", { class: "fields" },
                   el("caption", {}, "CRM fields (confidence; ", el("span", { class: "flag" }, "check"),
                      " = below the review threshold)"),
                   el("tbody", {}, rows)));
  }
  const problem = el("p", { class: "error", role: "alert" });
  form.append(problem);

  if (editable) {
    const changes = () => {
      const body = {};
      if (summary.value.trim() !== a.summary.text) body.summary = summary.value.trim();
      if (disposition.value.trim() !== a.disposition.value) body.disposition = disposition.value.trim();
      if (resolution.value !== a.resolution) body.resolution = resolution.value;
      const fields = {};
      for (const [name, { input, original }] of inputs) {
        const value = typed(input.value, original);
        if (value !== original) fields[name] = value;
      }
      if (Object.keys(fields).length) body.fields = fields;
      return body;
    };
    const base = `/v1/calls/${encodeURIComponent(callId)}/analysis`;
    const save = async () => {
      const body = changes();
      if (Object.keys(body).length) {
        await api(`${base}/edits`, { method: "POST", body: { revision: analysis.revision, reviewer, ...body } });
      }
    };
    const act = (fn) => async (event) => {
      event.preventDefault();
      problem.textContent = "";
      for (const b of form.querySelectorAll("button")) b.disabled = true;
      let saved = false;
      try {
        await fn();
        saved = true;
      } catch (error) {
        problem.textContent = `Not saved: ${error.message}`;
      } finally {
        for (const b of form.querySelectorAll("button")) b.disabled = false;
      }
      if (saved) {
        root.wrapupDraft = null;
        onSaved();
      }
    };
    form.append(el("div", { class: "row buttons" },
                   el("button", { type: "button", class: "btn", onclick: act(save) }, "Save edits"),
                   el("button", { type: "submit", class: "btn primary" }, "Approve")));
    form.addEventListener("submit", act(async () => {
      await save();
      await api(`${base}/approve`, { method: "POST", body: { revision: analysis.revision, reviewer } });
    }));
  }
  if (editable) keepDraft(root, form, analysis.revision);
  root.replaceChildren(form, deliveryTable(deliveries));
}

// What the agent has typed but not saved survives a re-render of the same revision (a delivery or review event
// arriving mid-edit), focus and caret included; a new revision starts from what the server holds.
function keepDraft(root, form, revision) {
  const previous = root.wrapupDraft;
  const draft = previous && previous.revision === revision ? previous : { revision, values: {}, focused: null };
  root.wrapupDraft = draft;
  const controls = form.querySelectorAll("input, textarea, select");
  for (const control of controls) {
    if (control.name in draft.values) control.value = draft.values[control.name];
    control.addEventListener("input", () => { draft.values[control.name] = control.value; });
    control.addEventListener("focus", () => { draft.focused = control.name; });
    control.addEventListener("blur", () => { if (draft.focused === control.name) draft.focused = null; });
  }
  if (draft.focused) {
    const control = form.elements.namedItem(draft.focused);
    const caret = document.activeElement && document.activeElement.name === draft.focused
      && "selectionStart" in document.activeElement ? document.activeElement.selectionStart : null;
    queueMicrotask(() => {
      if (!control || !control.isConnected) return;
      control.focus();
      if (caret !== null && typeof control.setSelectionRange === "function") {
        try { control.setSelectionRange(caret, caret); } catch { /* a select has no caret */ }
      }
    });
  }
}

function typed(text, original) {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  if (typeof original === "number") {
    const n = Number(trimmed);
    return Number.isNaN(n) ? trimmed : n;
  }
  if (typeof original === "boolean") return ["true", "yes", "1"].includes(trimmed.toLowerCase());
  return trimmed;
}

function deliveryTable(deliveries) {
  if (!deliveries || !deliveries.length) {
    return el("p", { class: "muted deliveries-empty" }, "Nothing delivered yet: the wrap-up goes out once approved.");
  }
  return el("table", { class: "deliveries" },
            el("caption", {}, "Delivered"),
            el("thead", {}, el("tr", {}, ["Where", "What", "Status", "Tries", "Last error"]
              .map((h) => el("th", { scope: "col" }, h)))),
            el("tbody", {}, deliveries.map((d) => el("tr", { class: `dl-${d.status}` },
              el("td", {}, d.destination), el("td", {}, d.event_type), el("td", {}, d.status),
              el("td", {}, String(d.attempts)), el("td", {}, d.last_error || "")))));
}
