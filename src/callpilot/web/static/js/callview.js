// One call's live view, folded from its events: transcript, suggestions, questions, checklist, alerts,
// sentiment, signals and customer context. The agent desktop and the supervisor's drill-in both use it; the
// supervisor's is read-only (no feedback buttons).

import { sparkline } from "./charts.js";
import { clock, el, markedText, pct, redactedText, sentimentWord } from "./dom.js";

const MAX_CARDS = 6;
const TREND_POINTS = 40;
const SPEAKERS = { agent: "Agent", customer: "Customer" };
const FEEDBACK = [["helpful", "Helpful"], ["not_helpful", "Not helpful"], ["irrelevant", "Irrelevant"]];
const SIGNAL_NAMES = {
  frustration: "Customer frustration", human_requested: "Customer asked for a person",
  repeated_question: "Customer repeated a question", confusion: "Customer seems confused",
  long_silence: "Long silence", talk_over: "Talking over each other",
};

export class CallView {
  // els: any of transcript, jump, cards, cardsEmpty, questions, checklist, alerts, banners, context, title,
  // meta, clock, meter, sentimentText, trend, wrapup. hooks: onFeedback(card, kind), onWrapupChange(),
  // onEnded(), onStarted().
  constructor(callId, els, { readOnly = false, hooks = {} } = {}) {
    this.callId = callId;
    this.els = els;
    this.readOnly = readOnly;
    this.hooks = hooks;
    this.segments = new Map(); // segment_id -> {li, text, speaker, marks}
    this.partials = new Map(); // speaker -> li
    this.cards = new Map(); // suggestion_id -> {li, card}
    this.cardByDoc = new Map(); // doc_id -> suggestion_id
    this.questions = new Map();
    this.checklist = new Map();
    this.banners = new Map();
    this.trend = [];
    this.startedAt = null;
    this.endedAt = null;
    this.status = "live";
    this.agentId = null;
    this.stick = true;
    this.clear();
    this.followScroll();
  }

  clear() {
    for (const key of ["transcript", "cards", "questions", "checklist", "alerts", "banners"]) {
      if (this.els[key]) this.els[key].replaceChildren();
    }
    if (this.els.context) this.els.context.replaceChildren();
    if (this.els.cardsEmpty) this.els.cardsEmpty.hidden = false;
    if (this.els.meter) this.els.meter.value = 0;
    this.setText("sentimentText", "–");
    if (this.els.sentimentText) delete this.els.sentimentText.dataset.mood;
    if (this.els.trend) sparkline(this.els.trend, []);
    this.setText("meta", "");
    this.setText("clock", "");
  }

  // --- events ------------------------------------------------------------------------------------------
  apply(event) {
    const handler = this[`on${event.type}`];
    if (handler) handler.call(this, event.data, event);
  }

  onCallStarted(data, event) {
    this.startedAt = new Date(event.recorded_at);
    this.agentId = data.agent_id;
    this.setText("title", `Call ${this.callId}`);
    const meta = [data.agent_name || data.agent_id, data.queue].filter(Boolean).join(" · ");
    this.setText("meta", meta);
    this.contextRow("Agent", data.agent_name || data.agent_id);
    if (data.queue) this.contextRow("Queue", data.queue);
    if (data.customer_id) this.contextRow("Customer id", data.customer_id);
    if (data.customer_phone_masked) this.contextRow("Phone", data.customer_phone_masked);
    for (const [key, value] of Object.entries(data.crm_metadata || {})) {
      if (value !== null && typeof value !== "object") this.contextRow(key.replaceAll("_", " "), String(value));
    }
    if (this.hooks.onStarted) this.hooks.onStarted(data);
  }

  onCustomerIdentified(data) {
    if (!data.found) {
      this.contextRow(`CRM (${data.crm})`, "no record for this number");
      return;
    }
    const label = `${data.record_type || "record"} ${data.record_id || ""}`.trim();
    const value = data.record_url && /^https?:\/\//.test(data.record_url)
      ? el("a", { href: data.record_url, target: "_blank", rel: "noopener" }, label) : label;
    this.contextRow(`CRM (${data.crm})`, value);
    if (data.matches > 1) this.contextRow("Note", `${data.matches} records share this number; showing the first`);
  }

  onSegmentReceived(data) {
    if (!this.els.transcript) return;
    if (!data.final) {
      let li = this.partials.get(data.speaker);
      if (!li) {
        li = this.segmentItem(data, true);
        this.partials.set(data.speaker, li);
        this.els.transcript.append(li);
      } else {
        li.querySelector(".text").replaceChildren(...redactedText(data.text));
        li.querySelector(".at").textContent = clock(data.start);
        this.els.transcript.append(li); // stays last, even if an earlier utterance of the speaker had no final
      }
      this.scrolled();
      return;
    }
    const partial = this.partials.get(data.speaker);
    if (partial) {
      partial.remove();
      this.partials.delete(data.speaker);
    }
    if (this.segments.has(data.segment_id)) return;
    const li = this.segmentItem(data, false);
    this.segments.set(data.segment_id, { li, text: data.text, speaker: data.speaker, marks: [] });
    this.els.transcript.append(li);
    this.scrolled();
  }

  onSegmentRedactionAmended(data) {
    const seg = this.segments.get(data.segment_id);
    if (!seg) return;
    seg.text = data.text;
    seg.marks = [];
    this.renderSegment(seg);
  }

  onSuggestionsProvided(data) {
    if (!this.els.cards) return;
    for (const card of [...data.suggestions].reverse()) {
      const previous = this.cardByDoc.get(card.doc_id);
      if (previous) {
        this.cards.get(previous).li.remove();
        this.cards.delete(previous);
      }
      const li = this.cardItem(card);
      this.cards.set(card.suggestion_id, { li, card });
      this.cardByDoc.set(card.doc_id, card.suggestion_id);
      this.els.cards.prepend(li);
    }
    while (this.els.cards.children.length > MAX_CARDS) {
      const dropped = this.els.cards.lastElementChild;
      const entry = this.cards.get(dropped.dataset.suggestion);
      if (entry) this.cardByDoc.delete(entry.card.doc_id);
      this.cards.delete(dropped.dataset.suggestion);
      dropped.remove();
    }
    if (this.els.cardsEmpty) this.els.cardsEmpty.hidden = this.els.cards.children.length > 0;
  }

  onSuggestionFeedbackGiven(data) {
    const entry = this.cards.get(data.suggestion_id);
    if (!entry) return;
    if (data.feedback === "clicked") {
      entry.li.classList.add("opened");
      return;
    }
    for (const button of entry.li.querySelectorAll("button[data-feedback]")) {
      button.setAttribute("aria-pressed", String(button.dataset.feedback === data.feedback));
    }
    entry.li.dataset.feedback = data.feedback;
  }

  onClarifyingQuestionsAsked(data) {
    if (!this.els.questions) return;
    for (const q of data.questions) {
      if (this.questions.has(q.question_id)) continue;
      const li = el("li", { class: "question", "data-slot": q.slot },
                    el("span", { class: "tick", "aria-hidden": "true" }, "?"), el("span", {}, q.text),
                    el("span", { class: "sr-only status" }, "not answered yet"));
      this.questions.set(q.question_id, li);
      this.els.questions.append(li);
    }
  }

  onClarifyingQuestionAnswered(data) {
    const li = this.questions.get(data.question_id);
    if (!li) return;
    li.classList.add("answered");
    li.querySelector(".tick").textContent = "✓";
    li.querySelector(".status").textContent = "answered";
  }

  onChecklistStarted(data) {
    if (!this.els.checklist) return;
    this.els.checklist.replaceChildren();
    this.checklist.clear();
    for (const item of data.checklist) {
      const li = el("li", { class: "check pending", "data-rule": item.rule_id, "data-severity": item.severity },
                    el("span", { class: "tick", "aria-hidden": "true" }, "○"),
                    el("span", { class: "what" }, item.description,
                       el("small", { class: "muted" }, ` ${item.window}`)),
                    el("span", { class: "sr-only status" }, "pending"));
      this.checklist.set(item.rule_id, li);
      this.els.checklist.append(li);
    }
  }

  onRequirementMet(data) {
    this.tick(data.rule_id, "met", "✓", "done");
  }

  onRequirementMissed(data) {
    this.tick(data.rule_id, "missed", "✗", "missed");
    this.alert({ severity: data.severity, title: data.message, detail: data.reason, kind: "missed" });
  }

  onRuleViolated(data) {
    this.alert({ severity: data.severity, title: data.message, evidence: data.evidence, kind: "violation",
                 at: data.at });
    const seg = this.segments.get(data.segment_id);
    if (seg) {
      seg.marks.push([data.char_start, data.char_end, "violation"]);
      this.renderSegment(seg);
      seg.li.classList.add("flagged");
    }
  }

  onSentimentScored(data) {
    const customer = data.smoothed.customer;
    if (customer === undefined) return;
    if (this.els.meter) this.els.meter.value = customer;
    this.setText("sentimentText", `${sentimentWord(customer)} (${customer.toFixed(2)})`);
    if (this.els.sentimentText) this.els.sentimentText.dataset.mood = sentimentWord(customer);
    this.trend.push(customer);
    if (this.trend.length > TREND_POINTS) this.trend.shift();
    if (this.els.trend) sparkline(this.els.trend, this.trend);
    if (!data.episode_open) this.dropBanner("escalation");
  }

  onEscalationSuggested(data) {
    this.banner("escalation", "warning", "Escalation suggested", `${data.reason} ${data.suggested_action}`);
    this.alert({ severity: "warning", title: "Escalation suggested", detail: data.suggested_action,
                 kind: "escalation" });
  }

  onSignalDetected(data) {
    const name = SIGNAL_NAMES[data.signal] || data.signal.replaceAll("_", " ");
    this.banner(`signal-${data.signal}`, "info", name, data.suggested_action || data.detail);
  }

  onSignalsTracked(data) {
    for (const key of [...this.banners.keys()]) {
      if (key.startsWith("signal-") && !data.active.includes(key.slice(7))) this.dropBanner(key);
    }
  }

  onAnalyzerFailed(data) {
    // A failing analyzer does not stop the call; the agent should know which help is missing, and whether
    // it comes back (a permanent failure, or one past the failure limit, disables it for this call).
    const what = { assist: "Suggestions", rules: "Compliance checks", sentiment: "Sentiment", signals: "Signals",
                   context: "Context", pii: "Redaction", aftercall: "The wrap-up" }[data.analyzer] || data.analyzer;
    this.banner(`failed-${data.analyzer}`, "warning", `${what} unavailable`,
                `${data.permanent ? "stopped" : "failed once"}: ${data.category}`);
  }

  onCallbackRecommended(data) {
    this.banner("callback", "info", "Callback recommended", data.reason);
  }

  onCallEnded(data, event) {
    this.status = "ended";
    this.endedAt = new Date(event.recorded_at);
    for (const li of this.partials.values()) li.remove();
    this.partials.clear();
    this.setText("meta", `${this.els.meta ? this.els.meta.textContent : ""} · ended (${data.status})`);
    if (this.hooks.onEnded) this.hooks.onEnded(data);
  }

  onCallAnalyzed() { this.wrapupChanged(); }
  onReviewRequested() { this.wrapupChanged(); }
  onAnalysisEdited() { this.wrapupChanged(); }
  onAnalysisApproved() { this.wrapupChanged(); }

  // --- rendering -----------------------------------------------------------------------------------------
  tickClock() {
    if (!this.els.clock || !this.startedAt) return;
    const end = this.endedAt || new Date();
    this.els.clock.textContent = clock((end - this.startedAt) / 1000);
  }

  wrapupChanged() {
    if (this.hooks.onWrapupChange) this.hooks.onWrapupChange();
  }

  segmentItem(data, partial) {
    const li = el("li", { class: `seg ${data.speaker}${partial ? " partial" : ""}`,
                          "data-segment": partial ? null : data.segment_id },
                  el("span", { class: "who" }, SPEAKERS[data.speaker] || data.speaker),
                  el("span", { class: "at muted" }, clock(data.start)),
                  el("p", { class: "text" }, ...redactedText(data.text)));
    if (partial) li.setAttribute("aria-label", `${SPEAKERS[data.speaker] || data.speaker} is speaking`);
    return li;
  }

  renderSegment(seg) {
    seg.li.querySelector(".text").replaceChildren(...markedText(seg.text, seg.marks));
  }

  cardItem(card) {
    const [start, end] = card.highlight || [0, 0];
    const snippet = card.snippet;
    const title = card.source && /^https?:\/\//.test(card.source)
      ? el("a", { href: card.source, target: "_blank", rel: "noopener", onclick: () => this.feedback(card, "clicked") },
           card.title)
      : el("button", { type: "button", class: "linkish", onclick: () => this.feedback(card, "clicked") }, card.title);
    const li = el("li", { class: "card", "data-suggestion": card.suggestion_id },
                  el("h3", { class: "card-title" }, title),
                  el("p", { class: "snippet" }, snippet.slice(0, start),
                     el("mark", {}, snippet.slice(start, end)), snippet.slice(end)),
                  el("p", { class: "card-foot muted" },
                     el("span", { class: "conf", title: "confidence" }, pct(card.confidence)),
                     card.source ? el("span", { class: "source" }, ` · ${card.source}`) : null));
    if (!this.readOnly) {
      const buttons = el("div", { class: "feedback", role: "group", "aria-label": `feedback on ${card.title}` });
      for (const [kind, label] of FEEDBACK) {
        buttons.append(el("button", { type: "button", class: "btn small", "data-feedback": kind,
                                      "aria-pressed": "false", "aria-label": `${label}: ${card.title}`,
                                      onclick: () => this.feedback(card, kind) }, label));
      }
      li.append(buttons);
    }
    return li;
  }

  feedback(card, kind) {
    if (!this.readOnly && this.hooks.onFeedback) this.hooks.onFeedback(card, kind);
  }

  tick(ruleId, status, mark, words) {
    const li = this.checklist.get(ruleId);
    if (!li) return;
    li.classList.remove("pending", "met", "missed");
    li.classList.add(status);
    li.querySelector(".tick").textContent = mark;
    li.querySelector(".status").textContent = words;
  }

  alert({ severity, title, evidence, detail, kind, at }) {
    if (!this.els.alerts) return;
    const li = el("li", { class: `alert sev-${severity} ${kind}` },
                  el("strong", {}, title),
                  at !== undefined ? el("span", { class: "muted" }, ` at ${clock(at)}`) : null,
                  evidence ? el("q", { class: "evidence" }, ...redactedText(evidence)) : null,
                  detail ? el("p", { class: "muted" }, detail) : null);
    this.els.alerts.prepend(li);
  }

  banner(key, level, title, text) {
    if (!this.els.banners) return;
    this.dropBanner(key);
    const li = el("div", { class: `banner ${level}`, "data-banner": key },
                  el("strong", {}, title), text ? el("span", {}, ` ${text}`) : null,
                  el("button", { type: "button", class: "close", "aria-label": `dismiss: ${title}`,
                                 onclick: () => this.dropBanner(key) }, "×"));
    this.banners.set(key, li);
    this.els.banners.append(li);
  }

  dropBanner(key) {
    const old = this.banners.get(key);
    if (old) old.remove();
    this.banners.delete(key);
  }

  contextRow(label, value) {
    if (!this.els.context) return;
    this.els.context.append(el("dt", {}, label), el("dd", {}, value));
  }

  setText(name, text) {
    if (this.els[name]) this.els[name].textContent = text;
  }

  // Auto-scroll while the reader is at the bottom; once they scroll up, stay put and offer a way back.
  followScroll() {
    const list = this.els.transcript;
    if (!list) return;
    list.addEventListener("scroll", () => {
      this.stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 24;
      if (this.els.jump && this.stick) this.els.jump.hidden = true;
    });
    if (this.els.jump) {
      this.els.jump.onclick = () => {
        this.stick = true;
        list.scrollTop = list.scrollHeight;
        this.els.jump.hidden = true;
      };
    }
  }

  scrolled() {
    const list = this.els.transcript;
    if (this.stick) list.scrollTop = list.scrollHeight;
    else if (this.els.jump) this.els.jump.hidden = false;
  }
}
