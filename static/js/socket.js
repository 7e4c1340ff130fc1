// The studio WebSocket (/ws/studio/; messages in webapp/studio/frames.py): job
// events for this person only. Reconnects with the live streams' back-off; after
// a reconnect the page asks the server for the jobs it follows, because events
// missed while offline are not replayed.
import { backoff } from "./stream.js";

export function connectStudio({ onJob, onState, onReconnect }) {
  let attempt = 0;
  let opened = false;
  let socket;

  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/studio/`);
    socket.addEventListener("open", () => {
      onState?.("live");
      if (opened) onReconnect?.();
      opened = true;
      attempt = 0;
    });
    socket.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      if (message.type === "job") onJob(message.job);
    });
    socket.addEventListener("close", () => {
      onState?.("offline, reconnecting…");
      setTimeout(open, backoff(attempt++));
    });
  }
  open();
  return { close: () => socket?.close() };
}
