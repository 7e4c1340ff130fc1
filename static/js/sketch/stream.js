// The live Sketch stream over /ws/sketch/.
// Binary frames both ways: 4-byte big-endian header length, a JSON header, the image.
//   client -> server {"seq": n} + PNG at the model's input size
//   server -> client {"seq", "server_ms", "forward_ms", "batch", "dropped"} + JPEG
// At most one frame is in flight; when the canvas changed meanwhile, the newest
// drawing is sent once the answer arrives. A result older than the one on
// screen is never shown.
import { packFrame, unpackFrame } from "../frames.js";

export class SketchStream {
  constructor({ onResult, onConfig, onError, onState }) {
    Object.assign(this, { onResult, onConfig, onError, onState });
    this.seq = 0;
    this.shownSeq = -1;
    this.inFlight = null;
    this.sentAt = new Map();
    this.config = null;
    this.open();
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.socket = new WebSocket(`${scheme}://${location.host}/ws/sketch/`);
    this.socket.binaryType = "arraybuffer";
    this.configured = false;
    this.socket.addEventListener("open", () => {
      this.onState("connected");
      if (this.config) this.socket.send(JSON.stringify({ type: "config", ...this.config }));
    });
    this.socket.addEventListener("close", () => {
      this.onState("offline, reconnecting…");
      this.inFlight = null;
      setTimeout(() => this.open(), 1000);
    });
    this.socket.addEventListener("message", (event) => this.receive(event.data));
  }

  configure(config) {
    this.config = config;
    this.configured = false;
    this.inFlight = null;
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "config", ...config }));
  }

  get ready() { return this.socket.readyState === WebSocket.OPEN && this.inFlight === null && this.configured; }

  async send(blob) {
    const seq = ++this.seq;
    this.inFlight = seq;
    const frame = await packFrame({ seq }, blob);
    this.sentAt.set(seq, performance.now());
    this.socket.send(frame);
  }

  receive(data) {
    if (typeof data === "string") {
      const message = JSON.parse(data);
      if (message.type === "config") { this.configured = true; this.onConfig(message); }
      if (message.type === "error") {
        if (message.seq === undefined || message.seq === this.inFlight) this.inFlight = null;
        this.onError(message.message);
      }
      return;
    }
    const { header, image } = unpackFrame(data, "image/jpeg");
    if (header.seq === this.inFlight) this.inFlight = null;
    const rtt = performance.now() - (this.sentAt.get(header.seq) ?? performance.now());
    this.sentAt.delete(header.seq);
    if (header.seq <= this.shownSeq) return;  // never step back in time
    this.shownSeq = header.seq;
    this.onResult(image, { ...header, rtt });
  }
}
