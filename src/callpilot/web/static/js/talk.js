// Talk mode (demos): the microphone as a new call over the browser-audio WebSocket (/v1/audio/browser).
// The AudioContext runs at 16 kHz, so the browser does the resampling; the worklet turns float samples into
// PCM16 and hands over ~200 ms chunks.

const CHUNK_SAMPLES = 3200; // 200 ms at 16 kHz

export class Talk {
  constructor(button, { onCall, onProblem, agentId }) {
    this.button = button;
    this.onCall = onCall;
    this.onProblem = onProblem;
    this.agentId = agentId;
    this.socket = null;
    this.context = null;
    this.media = null;
  }

  bind() {
    if (!navigator.mediaDevices || !window.AudioWorkletNode) {
      this.button.disabled = true;
      this.button.title = "Talk mode needs a microphone and AudioWorklet (https or localhost)";
      return;
    }
    this.button.addEventListener("click", () => (this.socket ? this.stop() : this.start()));
  }

  async start() {
    this.button.disabled = true;
    try {
      // No echo cancellation or noise suppression: nothing plays back in talk mode, and both change speech in
      // ways the recognizer was not trained on.
      this.media = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: true },
      });
      this.context = new AudioContext({ sampleRate: 16000 });
      await this.context.audioWorklet.addModule("/static/js/pcm-worklet.js");
      const source = this.context.createMediaStreamSource(this.media);
      const node = new AudioWorkletNode(this.context, "pcm16-capture",
                                        { processorOptions: { chunkSamples: CHUNK_SAMPLES } });
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const socket = new WebSocket(`${scheme}://${location.host}/v1/audio/browser`);
      socket.binaryType = "arraybuffer";
      this.socket = socket;
      const callId = `talk-${Date.now().toString(36)}`;
      socket.onopen = () => socket.send(JSON.stringify({
        type: "start", call_id: callId, agent_id: this.agentId, role: "customer", sample_rate: 16000,
      }));
      socket.onmessage = (message) => {
        const reply = JSON.parse(message.data);
        if (reply.type === "started") {
          node.port.onmessage = (chunk) => socket.readyState === WebSocket.OPEN && socket.send(chunk.data);
          source.connect(node);
          this.onCall(reply.call_id);
          this.button.setAttribute("aria-pressed", "true");
          this.button.textContent = "■ Stop talking";
          this.button.disabled = false;
        } else if (reply.type === "error") {
          this.onProblem(reply.message || "the server refused the audio stream");
        }
      };
      socket.onclose = () => this.release();
    } catch (error) {
      this.onProblem(`could not start the microphone: ${error.message}`);
      this.release();
    }
  }

  stop() {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "stop" }));
    this.button.disabled = true;
  }

  release() {
    if (this.media) this.media.getTracks().forEach((t) => t.stop());
    if (this.context) this.context.close();
    this.media = this.context = this.socket = null;
    this.button.setAttribute("aria-pressed", "false");
    this.button.textContent = "● Talk";
    this.button.disabled = false;
  }
}
