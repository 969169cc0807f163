// The agent desktop: one call at a time. `?call=ID` pins a call; otherwise the page shows the newest live
// call (of `?agent=ID` when given) and moves on to the next one once the current call has ended.

import { api, signIn } from "./api.js";
import { CallView } from "./callview.js";
import { LiveStream, showConnection } from "./live.js";
import { Talk } from "./talk.js";
import { loadWrapup, renderWrapup } from "./wrapup.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const pinned = params.get("call");
const agentFilter = params.get("agent");
const POLL_MS = 2000;

let session = null;
let view = null;
let stream = null;
let wrapupTimer = null;
let deliveryPolls = 0;

function elements() {
  return {
    transcript: $("transcript"), jump: $("jump"), cards: $("cards"), cardsEmpty: $("cards-empty"),
    questions: $("questions"), checklist: $("checklist"), alerts: $("alerts"), banners: $("banners"),
    context: $("context"), title: $("call-title"), meta: $("call-meta"), clock: $("call-clock"),
    meter: $("sentiment-meter"), sentimentText: $("sentiment-text"), trend: $("sentiment-trend"),
  };
}

function open(callId) {
  if (stream) stream.stop();
  clearTimeout(wrapupTimer);
  deliveryPolls = 0;
  $("wrapup").hidden = true;
  $("wrapup-body").replaceChildren();
  document.body.dataset.call = callId;
  view = new CallView(callId, elements(), {
    hooks: {
      onFeedback: (card, kind) => sendFeedback(callId, card, kind),
      onEnded: () => { $("wrapup").hidden = false; },
      onWrapupChange: () => scheduleWrapup(callId),
    },
  });
  stream = new LiveStream(`/v1/calls/${encodeURIComponent(callId)}/events/ws`, {
    after: 0,
    heartbeatSeconds: session.heartbeat_seconds,
    onEvent: (event) => view.apply(event),
    onState: (state, detail) => showConnection($("conn"), state, detail),
    onUnauthorized: (again) => signIn().then(() => again.start()),
  }).start();
}

async function sendFeedback(callId, card, kind) {
  try {
    await api(`/v1/calls/${encodeURIComponent(callId)}/feedback`, {
      method: "POST", body: { suggestion_id: card.suggestion_id, feedback: kind, agent_id: view.agentId },
    });
  } catch (error) {
    view.banner("feedback-error", "warning", "Feedback not saved", error.message);
  }
}

function scheduleWrapup(callId) {
  clearTimeout(wrapupTimer);
  wrapupTimer = setTimeout(() => refreshWrapup(callId), 150); // one fetch for a burst of review events
}

const current = (callId) => view && view.callId === callId;

async function refreshWrapup(callId) {
  if (!current(callId)) return;
  $("wrapup").hidden = false;
  let data;
  try {
    data = await loadWrapup(callId);
  } catch (error) {
    view.banner("wrapup-error", "warning", "Wrap-up not loaded", error.message);
    return;
  }
  if (!current(callId)) return; // the desk moved on to another call while this was loading
  const reviewer = view.agentId || "agent";
  renderWrapup($("wrapup-body"), callId, data, { reviewer, onSaved: () => scheduleWrapup(callId) });
  // Deliveries are not call events: after approval, look again for a little while as they are queued and
  // go out (none yet, or some still pending).
  const settled = data.deliveries.length && !data.deliveries.some((d) => d.status === "pending");
  if (data.analysis && data.analysis.status === "approved" && !settled && deliveryPolls < 10) {
    deliveryPolls += 1;
    wrapupTimer = setTimeout(() => refreshWrapup(callId), 1000);
  }
}

async function newestLiveCall() {
  const live = await api("/v1/calls?status=live&limit=50");
  const mine = agentFilter ? live.filter((c) => c.agent_id === agentFilter) : live;
  return mine.length ? mine[0].call_id : null;
}

// Without a pinned call: look for the newest live call while there is none, or the current one has ended.
async function watchForCalls() {
  try {
    if (!view || view.status === "ended") {
      const next = await newestLiveCall();
      if (next && (!view || next !== view.callId)) open(next);
      else if (!view) showConnection($("conn"), "idle", {});
    }
  } catch (error) {
    showConnection($("conn"), "offline", { retryInMs: POLL_MS });
  }
  setTimeout(watchForCalls, POLL_MS);
}

async function main() {
  session = await signIn();
  setInterval(() => view && view.tickClock(), 1000);
  const talk = new Talk($("talk"), {
    onCall: (callId) => open(callId),
    onProblem: (text) => view ? view.banner("talk", "warning", "Talk mode", text) : alert(text),
    agentId: agentFilter || "web-agent",
  });
  talk.bind();
  if (pinned) open(pinned);
  else watchForCalls();
}

main().catch((error) => {
  $("conn").textContent = `error: ${error.message}`;
});
