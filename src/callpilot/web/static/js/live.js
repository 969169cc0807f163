// A call's (or every call's) events over the WebSocket stream, resumed by position after any disconnect.
//
// The server streams events after a position, history first (callpilot/streams/follow.py). After a drop,
// a server restart included, this reconnects with backoff and asks for the events after the last position
// it handed on; any event at or before that position is skipped. So the page sees each event once, in order.
// The browser's EventSource would reconnect by itself, but only on a fixed delay, without telling the page
// how long, and it dispatches SSE events by name, so a page would have to know every event type up front.

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_POLICY = 1008;
const UNKNOWN_CALL_RETRIES = 5; // a link opened a moment before its call starts: look again a few times

export class LiveStream {
  // path: the stream's WebSocket path (/v1/calls/ID/events/ws or /v1/stream/ws); after: resume position.
  // onUnauthorized: called on close code 4401 (signed out, or the key changed); may sign in and start() again.
  constructor(path, { after = 0, onEvent, onState = () => {}, heartbeatSeconds = 15, onUnauthorized = null }) {
    this.path = path;
    this.after = after;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onUnauthorized = onUnauthorized;
    this.unknownCall = 0;
    this.silenceMs = heartbeatSeconds * 2500; // two and a half heartbeats without a frame: a dead connection
    this.attempt = 0;
    this.stopped = false;
    this.socket = null;
    this.timer = null;
    this.watchdog = null;
  }

  start() {
    this.stopped = false;
    this.open();
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    if (this.socket) this.socket.close(1000, "page closed the stream");
  }

  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}${this.path}?after=${this.after}`;
    this.onState(this.attempt ? "reconnecting" : "connecting", {});
    const socket = new WebSocket(url);
    this.socket = socket;
    this.alive(); // also catches a handshake that never completes
    socket.onopen = () => {
      this.onState("live", {});
      this.alive();
    };
    socket.onmessage = (message) => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.unknownCall = 0; // reset on a frame, not on open: a server that accepts and drops still backs off
      this.alive();
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame.position === undefined) return this.control(frame);
      if (frame.position <= this.after) return; // already handed on before a reconnect
      this.after = frame.position;
      this.onEvent(frame);
    };
    socket.onclose = (event) => {
      clearTimeout(this.watchdog);
      if (this.socket !== socket || this.stopped) return;
      if (event.code === CLOSE_POLICY && this.unknownCall < UNKNOWN_CALL_RETRIES) {
        this.unknownCall += 1;
        this.retry();
        return;
      }
      if (event.code === CLOSE_UNAUTHORIZED || event.code === CLOSE_POLICY) {
        this.stopped = true;
        this.onState("refused", { code: event.code, reason: event.reason });
        if (event.code === CLOSE_UNAUTHORIZED && this.onUnauthorized) this.onUnauthorized(this);
        return;
      }
      this.retry();
    };
  }

  control(frame) {
    if (frame.type === "heartbeat" || frame.type === "pong") return;
    if (frame.type === "error" && frame.code === "slow_consumer") return; // the close that follows retries
    if (this.onControl) this.onControl(frame);
  }

  // No frame for 2.5 heartbeats: the connection is dead even if the browser has not noticed (a half-open TCP
  // connection can take a minute to close). Drop it without waiting for its close handshake, and retry.
  alive() {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      const dead = this.socket;
      this.socket = null; // its late events are ignored (onclose checks which socket it is)
      if (dead) dead.close(4000, "no heartbeat");
      if (!this.stopped) this.retry();
    }, this.silenceMs);
  }

  retry() {
    clearTimeout(this.timer);
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.8 + Math.random() * 0.4)); // jitter: a restarted server is not stampeded
    this.attempt += 1;
    this.onState("offline", { retryInMs: delay, attempt: this.attempt });
    this.timer = setTimeout(() => this.open(), delay);
  }
}

// The connection badge every page shows.
export function showConnection(element, state, detail) {
  const words = {
    live: "● live",
    connecting: "connecting…",
    reconnecting: "reconnecting…",
    idle: "waiting for a call",
    offline: `disconnected: retrying in ${Math.ceil((detail.retryInMs || 0) / 1000)} s`,
    refused: `refused: ${detail.reason || detail.code}`,
  };
  element.dataset.state = state;
  element.textContent = words[state] || state;
}
