// The studio WebSocket (/ws/studio/): job events for this person only.
// Server -> client: {"type":"job","job":{...}} | {"type":"pong"} | {"type":"error","message":"..."}
// Reconnects with back-off; after a reconnect the page asks the server for
// the jobs it follows, because events missed while offline are not replayed.

export function connectStudio({ onJob, onState, onReconnect }) {
  let delay = 500;
  let opened = false;
  let socket;

  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/studio/`);
    socket.addEventListener("open", () => {
      onState?.("live");
      if (opened) onReconnect?.();
      opened = true;
      delay = 500;
    });
    socket.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      if (message.type === "job") onJob(message.job);
    });
    socket.addEventListener("close", () => {
      onState?.("offline, reconnecting…");
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    });
  }
  open();
  return { close: () => socket?.close() };
}
