// The supervisor dashboard: every call from the board, kept live by the all-calls stream; a drill-in shows
// one call's live view, read-only; today's numbers refresh as calls end.

import { api, signIn } from "./api.js";
import { CallView } from "./callview.js";
import { bars, sparkline } from "./charts.js";
import { clock, el, sentimentWord } from "./dom.js";
import { LiveStream, showConnection } from "./live.js";
import { loadWrapup, renderWrapup } from "./wrapup.js";

const $ = (id) => document.getElementById(id);
const ROW_REFRESH_MS = 300; // a call's row is re-read at most this often while its events stream in
const TODAY_REFRESH_MS = 2000; // today's numbers are re-read at most this often while calls change
const WRAPUP_REFRESH_MS = 300; // the drill-in's wrap-up is re-read at most this often
// The event types today's numbers are folded from (dashboard/today.py TODAY_TYPES): one of them arriving means
// the numbers may have changed.
const TODAY_TYPES = new Set(["CallStarted", "CallEnded", "CallAnalyzed", "AnalysisApproved", "RuleViolated",
                             "RequirementMissed", "SuggestionFeedbackGiven", "SentimentScored"]);

const rows = new Map(); // call_id -> board row
const pending = new Map(); // call_id -> timer
let sortKey = "duration";
let sortDir = -1;
let drill = null;
let session = null;
let todayTimer = null;

function duration(row) {
  if (!row.started_at) return 0;
  const end = row.ended_at ? new Date(row.ended_at) : new Date();
  return (end - new Date(row.started_at)) / 1000;
}

function visible(row) {
  const show = $("show").value;
  if (show === "live" && row.status !== "live") return false;
  if ($("only-alerts").checked && !row.alerts.length) return false;
  const words = $("filter").value.trim().toLowerCase();
  if (!words) return true;
  return [row.agent_name, row.agent_id, row.queue, row.call_id].filter(Boolean)
    .some((v) => v.toLowerCase().includes(words));
}

const SORTS = {
  agent: (r) => (r.agent_name || r.agent_id || "").toLowerCase(),
  queue: (r) => (r.queue || "").toLowerCase(),
  duration,
  sentiment: (r) => (r.customer_sentiment === null ? 2 : r.customer_sentiment),
  alerts: (r) => r.alerts.length,
};

function render() {
  const body = $("calls-body");
  const shown = [...rows.values()].filter(visible).sort((a, b) => {
    const ka = SORTS[sortKey](a);
    const kb = SORTS[sortKey](b);
    return (ka < kb ? -1 : ka > kb ? 1 : 0) * sortDir;
  });
  // Keep keyboard focus on the same control across a re-render (rows are rebuilt when their data changes).
  const focused = document.activeElement && document.activeElement.closest("tr[data-call]");
  const focusCall = focused ? focused.dataset.call : null;
  body.replaceChildren(...shown.map(rowItem));
  if (focusCall) {
    const again = body.querySelector(`tr[data-call="${CSS.escape(focusCall)}"] button`);
    if (again) again.focus();
  }
  $("calls-empty").hidden = shown.length > 0;
  for (const th of document.querySelectorAll("th button[data-sort]")) {
    th.parentElement.setAttribute("aria-sort", th.dataset.sort === sortKey
      ? (sortDir > 0 ? "ascending" : "descending") : "none");
  }
}

function tickDurations() {
  for (const tr of $("calls-body").children) {
    const row = rows.get(tr.dataset.call);
    if (row && row.status === "live") tr.querySelector("td.num").textContent = clock(duration(row));
  }
}

function rowItem(row) {
  const trend = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  trend.setAttribute("width", "72");
  trend.setAttribute("height", "18");
  trend.setAttribute("class", "spark");
  trend.setAttribute("aria-hidden", "true");
  sparkline(trend, row.trend);
  const mood = sentimentWord(row.customer_sentiment);
  const worst = row.alerts.find((a) => a.severity === "critical") || row.alerts[0];
  return el("tr", { "data-call": row.call_id, class: `${row.status}${row.escalation ? " escalating" : ""}` },
            el("td", {}, row.agent_name || row.agent_id || "–", el("div", { class: "muted small" }, row.call_id)),
            el("td", {}, row.queue || "–"),
            el("td", { class: "num" }, clock(duration(row)), row.status === "ended" ? " (ended)" : ""),
            el("td", { "data-mood": mood }, trend, ` ${mood}`),
            el("td", { class: worst ? `sev-${worst.severity}` : "" },
               row.alerts.length ? `${row.alerts.length}: ${worst.message}` : "–"),
            el("td", {}, row.escalation ? el("strong", { class: "sev-warning" }, "suggested") :
               (row.signals.length ? row.signals.join(", ").replaceAll("_", " ") : "–")),
            el("td", {}, el("button", { type: "button", class: "btn small", onclick: () => openDrill(row.call_id),
                                        "aria-label": `open call ${row.call_id}` }, "Open")));
}

function refreshRow(callId) {
  if (pending.has(callId)) return;
  pending.set(callId, setTimeout(async () => {
    pending.delete(callId);
    try {
      const row = await api(`/v1/dashboard/board/${encodeURIComponent(callId)}`);
      const current = rows.get(callId);
      // A slow answer must not overwrite a newer one (the board reload may have landed meanwhile).
      if (!current || row.seq >= current.seq) {
        rows.set(callId, row);
        render();
      }
    } catch (error) {
      // the row keeps its last state; the next event of the call tries again
    }
  }, ROW_REFRESH_MS));
}

function onEvent(event) {
  if (event.type === "CallStarted" || rows.has(event.call_id)) refreshRow(event.call_id);
  if (TODAY_TYPES.has(event.type)) scheduleToday();
  // The drill-in has its own stream of the call (from its first event); it is not fed from here as well.
}

function scheduleToday() {
  if (todayTimer) return;
  todayTimer = setTimeout(() => {
    todayTimer = null;
    loadToday();
  }, TODAY_REFRESH_MS);
}

async function loadToday() {
  try {
    await renderToday();
  } catch (error) {
    // the tiles keep their last numbers; the next change of a call tries again
    if (error.status === 401) signIn();
  }
}

async function renderToday() {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const t = await api(`/v1/dashboard/today?since=${encodeURIComponent(midnight.toISOString())}`);
  const saved = t.after_call_seconds_saved;
  const tiles = [
    ["Calls", String(t.calls), `${t.live} live`],
    ["Average handle time", t.avg_handle_seconds === null ? "–" : clock(t.avg_handle_seconds), `${t.ended} ended`],
    ["After-call time saved", `${(saved / 3600).toFixed(1)} h`,
     `${t.analyzed} wrap-ups × ${Math.round(t.manual_wrap_up_seconds / 60)} min (estimate)`],
    ["Compliance misses", String(t.compliance_misses),
     Object.entries(t.misses_by_rule).slice(0, 2).map(([k, v]) => `${k} ${v}`).join(", ") || "none"],
    ["Suggestion helpfulness", t.helpfulness === null ? "–" : `${Math.round(t.helpfulness * 100)}%`,
     `${t.feedback.helpful} helpful of ${t.feedback.helpful + t.feedback.not_helpful + t.feedback.irrelevant} rated`],
  ];
  $("today").replaceChildren(...tiles.map(([label, value, note]) =>
    el("div", { class: "tile", role: "group", "aria-label": label },
       el("div", { class: "tile-label" }, label), el("div", { class: "tile-value" }, value),
       el("div", { class: "muted small" }, note))));
  bars($("chart-hours"), t.calls_by_hour.map((value, hour) => ({ label: String(hour), value })), { labelEvery: 3 });
  bars($("chart-sentiment"), ["negative", "neutral", "positive"].map((label) =>
    ({ label, value: t.sentiment[label], cls: label })));
  bars($("chart-feedback"), [["helpful", "helpful"], ["not_helpful", "not helpful"], ["irrelevant", "irrelevant"],
                             ["clicked", "opened"]].map(([key, label]) => ({ label, value: t.feedback[key], cls: key })));
}

function openDrill(callId) {
  if (drill) {
    drill.stream.stop();
    clearTimeout(drill.wrapupTimer);
  }
  const opener = drill ? drill.opener : document.activeElement;
  $("drill").hidden = false;
  $("drill-h").textContent = `Call ${callId}`;
  $("drill-wrapup").replaceChildren();
  const current = { opener, wrapupTimer: null };
  const refreshWrapup = () => {
    // Wrap-up events come in bursts (analysed, edited, approved, delivered): read it once per burst, and
    // drop the answer if another call was opened meanwhile.
    clearTimeout(current.wrapupTimer);
    current.wrapupTimer = setTimeout(async () => {
      try {
        const wrapup = await loadWrapup(callId);
        if (drill === current) renderWrapup($("drill-wrapup"), callId, wrapup);
      } catch (error) {
        // shown again on the next wrap-up event
      }
    }, WRAPUP_REFRESH_MS);
  };
  current.view = new CallView(callId, {
    transcript: $("drill-transcript"), cards: $("drill-cards"), alerts: $("drill-alerts"),
    checklist: $("drill-checklist"), banners: $("drill-banners"),
  }, { readOnly: true, hooks: { onWrapupChange: refreshWrapup } });
  // Its own stream from the start of the call: the drill-in shows the whole call, then follows it live.
  current.stream = new LiveStream(`/v1/calls/${encodeURIComponent(callId)}/events/ws`, {
    after: 0, heartbeatSeconds: session.heartbeat_seconds, onEvent: (event) => current.view.apply(event),
    onUnauthorized: (stream) => signIn().then(() => stream.start()),
  }).start();
  drill = current;
  $("drill-close").focus();
}

function closeDrill() {
  if (!drill) return;
  drill.stream.stop();
  clearTimeout(drill.wrapupTimer);
  const { opener } = drill;
  drill = null;
  $("drill").hidden = true;
  // Back where the supervisor was: the row's Open button (rows are rebuilt, so find it again by call).
  const row = opener && opener.closest && opener.closest("tr[data-call]");
  const again = row && $("calls-body").querySelector(`tr[data-call="${CSS.escape(row.dataset.call)}"] button`);
  if (again) again.focus();
  else if (opener && opener.isConnected) opener.focus();
}

async function loadBoard() {
  const board = await api(`/v1/dashboard/board?status=${$("show").value}`);
  rows.clear();
  for (const row of board.calls) rows.set(row.call_id, row);
  render();
  return board.position;
}

async function main() {
  session = await signIn();
  for (const button of document.querySelectorAll("th button[data-sort]")) {
    button.addEventListener("click", () => {
      sortDir = sortKey === button.dataset.sort ? -sortDir : 1;
      sortKey = button.dataset.sort;
      render();
    });
  }
  $("filter").addEventListener("input", render);
  $("only-alerts").addEventListener("change", render);
  $("show").addEventListener("change", () => loadBoard());
  $("drill-close").addEventListener("click", closeDrill);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && drill) closeDrill(); });
  const position = await loadBoard();
  await loadToday();
  new LiveStream("/v1/stream/ws", {
    after: position, heartbeatSeconds: session.heartbeat_seconds, onEvent,
    onUnauthorized: (stream) => signIn().then(() => stream.start()),
    onState: (state, detail) => showConnection($("conn"), state, detail),
  }).start();
  setInterval(tickDurations, 1000);
}

main().catch((error) => {
  $("conn").textContent = `error: ${error.message}`;
});
