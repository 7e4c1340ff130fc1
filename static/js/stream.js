// Newest wins over a live socket, for every live tool (Sketch, Stylize, …); the
// messages and the server's side of the rules are in webapp/studio/frames.py.
//
//   const stream = new LiveStream("/ws/sketch/", { onReply, onMessage, onError, onState, onBusy });
//   stream.setup(message, "config");  // sent on every (re)connect; requests wait for its reply
//   stream.offer(async (seq) => data); // the newest request, built only when it goes out
//
// One request is in flight at a time; a newer offer replaces the pending one; a
// reply older than the one shown is ignored; a request the server could not render
// in time goes out again unless a newer one waits. When the socket drops, it reconnects
// after an exponential back-off with jitter, sends the setup again, and then the
// newest pending request (or the one that was in flight and lost).
import { unpackFrame } from "./frames.js";

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

// The wait before reconnect attempt `attempt` (0, 1, …): doubles up to the cap, and is
// drawn from its upper half so that many pages dropped together do not return together.
export function backoff(attempt, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return ceiling / 2 + (random() * ceiling) / 2;
}

export class LiveStream {
  constructor(path, { onReply, onMessage = () => {}, onError = () => {}, onState = () => {}, onBusy = () => {} }) {
    Object.assign(this, { path, onReply, onMessage, onError, onState, onBusy });
    this.seq = 0;
    this.shownSeq = 0;
    this.inFlight = null;  // { seq, build, sentAt }
    this.pending = null;   // the newest request's build function
    this.setupMessage = null;
    this.setupReply = null;
    this.setupDone = false;
    this.attempt = 0;
    this.scheduled = false;
    this.open();
  }

  get ready() {
    return this.socket.readyState === WebSocket.OPEN && (this.setupMessage === null || this.setupDone);
  }

  get idle() { return this.inFlight === null && this.pending === null; }

  // The message that prepares the socket (a config, a photo); `replyType` is the type of its answer.
  setup(message, replyType) {
    Object.assign(this, { setupMessage: message, setupReply: replyType, setupDone: false });
    this.shownSeq = this.seq;  // replies to requests made before it are out of date
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(message);
  }

  // `build(seq)` returns the request to send (text or frame bytes), or null to skip it.
  offer(build) {
    this.pending = build;
    this.changed();
    this.schedule();
  }

  open() {
    this.onState("connecting…");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${this.path}`);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.setupDone = false;
    socket.addEventListener("open", () => {
      this.onState("connected");
      if (this.setupMessage !== null) socket.send(this.setupMessage);
      this.schedule();
    });
    socket.addEventListener("message", (event) => {
      this.attempt = 0;  // the server answers: the next drop starts the back-off afresh
      this.receive(event.data);
    });
    socket.addEventListener("close", () => this.dropped());
  }

  dropped() {
    // The request in flight died with the socket: it goes out again unless a newer one waits.
    if (this.inFlight) {
      this.pending ??= this.inFlight.build;
      this.inFlight = null;
    }
    const delay = backoff(this.attempt++);
    this.onState(`offline, reconnecting in ${Math.ceil(delay / 1000)} s…`);
    setTimeout(() => this.open(), delay);
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => { this.scheduled = false; this.pump(); });
  }

  async pump() {
    if (this.pending === null || this.inFlight !== null || !this.ready) return;
    const build = this.pending;
    const seq = ++this.seq;
    this.pending = null;
    this.inFlight = { seq, build, sentAt: null };
    let data = null;
    try {
      data = await build(seq);
    } catch {
      this.onError("This request could not be prepared.");
    }
    if (this.inFlight?.seq !== seq) return;  // the socket dropped meanwhile; dropped() queued it again
    if (data === null || data === undefined) {
      this.settle();
      return;
    }
    this.inFlight.sentAt = performance.now();
    this.socket.send(data);
  }

  settle() {
    this.inFlight = null;
    this.changed();
    this.schedule();
  }

  changed() { this.onBusy(!this.idle); }

  receive(data) {
    if (typeof data === "string") {
      let message;
      try { message = JSON.parse(data); } catch { return; }
      if (message.type === "error") {
        // An error naming our request ends it; one without a seq may have been about a frame we sent.
        if (this.inFlight && (message.seq === undefined || message.seq === this.inFlight.seq)) {
          if (message.retry) this.pending ??= this.inFlight.build;  // not rendered in time: still wanted
          this.settle();
        }
        this.onError(message.message);
        return;
      }
      this.onMessage(message);
      if (message.type === this.setupReply) {
        this.setupDone = true;
        this.schedule();
      }
      return;
    }
    const { header, image } = unpackFrame(data);
    let rtt = null;
    if (header.seq === this.inFlight?.seq) {
      rtt = performance.now() - this.inFlight.sentAt;
      this.settle();
    }
    if (header.seq <= this.shownSeq) return;  // never step back in time
    this.shownSeq = header.seq;
    this.onReply(image, { ...header, rtt });
  }
}
