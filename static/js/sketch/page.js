// The Sketch page: canvas + live stream (static/js/stream.js) + controls + save to gallery.
import { SketchCanvas } from "./canvas.js";
import { packFrame } from "../frames.js";
import { LiveStream } from "../stream.js";
import { connectStudio } from "../socket.js";
import { pressOnly } from "../toggles.js";

const $ = (id) => document.getElementById(id);
const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
const output = $("sketch-output");
const readout = $("readout");
const errors = $("sketch-errors");
let palette = [];
let shownConfig = null;
let outputUrl = null;
const shown = [];  // timestamps of results shown, for frames per second

// The drawing as a frame, encoded when it goes out, so it is always the newest one.
const drawing = (seq) => new Promise((resolve) => {
  canvas.canvas.toBlob((blob) => resolve(blob && packFrame({ seq }, blob)), "image/png");
});
const canvas = new SketchCanvas($("sketch-canvas"), { onChange: () => stream.offer(drawing) });

const stream = new LiveStream("/ws/sketch/", {
  onMessage(config) {
    if (config.type !== "config") return;
    // A reconnect answers with the same config: keep the drawing then.
    const same = shownConfig && shownConfig.model === config.model && shownConfig.input_size === config.input_size;
    shownConfig = config;
    if (same) return;
    palette = config.palette || [];
    const labels = config.kind === "label_map" && palette.length;
    document.querySelectorAll(".label-only").forEach((b) => { b.hidden = !labels; });
    renderPalette(labels ? palette : []);
    canvas.configure({
      size: config.input_size,
      paper: labels ? palette[0].color : "#ffffff",
      ink: labels ? (palette[1] || palette[0]).color : "#000000",
    });
    if (!labels && ["rect", "fill"].includes(canvas.tool)) selectTool("pen");
  },
  onReply(blob, info) {
    if (outputUrl) URL.revokeObjectURL(outputUrl);
    outputUrl = URL.createObjectURL(blob);
    output.src = outputUrl;
    output.dataset.seq = info.seq;
    const now = performance.now();
    shown.push(now);
    while (shown.length && now - shown[0] > 2000) shown.shift();
    const fps = shown.length > 1 ? ((shown.length - 1) * 1000) / (now - shown[0]) : 0;
    const rate = shown.length > 2 ? `${fps.toFixed(1)} fps` : "– fps";
    const rtt = info.rtt === null ? "–" : info.rtt.toFixed(0);
    readout.textContent = `${rate} · ${rtt} ms round trip · server ${info.server_ms.toFixed(0)} ms · batch ${info.batch}`;
    errors.replaceChildren();
  },
  onError(message) {
    errors.replaceChildren(Object.assign(document.createElement("li"), { textContent: message }));
  },
  onState(state) {
    readout.textContent = state;
    output.dataset.connection = state;
  },
  // Whether a drawing is still on its way (tests wait for "idle" rather than for time).
  onBusy(busy) { output.dataset.stream = busy ? "busy" : "idle"; },
});

function options() {
  return {
    model: $("model-select").value,
    dropout: $("dropout").checked,
    norm: $("norm").value,
    seed: $("dropout").checked ? Number($("variation").dataset.seed || 0) : null,
  };
}

function renderPalette(entries) {
  const root = $("palette");
  root.hidden = !entries.length;
  root.replaceChildren(...entries.map((entry, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "swatch" + (i === 1 ? " active" : "");
    button.setAttribute("aria-pressed", String(i === 1));
    button.style.setProperty("--swatch", entry.color);
    button.title = entry.name;
    button.innerHTML = `<span></span>${entry.name}`;
    button.addEventListener("click", () => {
      pressOnly(root.querySelectorAll(".swatch"), button);
      canvas.ink = entry.color;
      if (canvas.tool === "eraser") selectTool("pen");
    });
    return button;
  }));
}

function selectTool(tool) {
  canvas.tool = tool;
  const buttons = document.querySelectorAll(".tool");
  pressOnly(buttons, [...buttons].find((b) => b.dataset.tool === tool));
}

document.querySelectorAll(".tool").forEach((b) => b.addEventListener("click", () => selectTool(b.dataset.tool)));
selectTool(canvas.tool); // every tool and size button says whether it is pressed
pressOnly(document.querySelectorAll(".size"), document.querySelector(".size.active"));
// The brush dots are sized here: the Content-Security-Policy allows no inline styles.
document.querySelectorAll(".size span").forEach((dot) => {
  dot.style.width = dot.style.height = `${dot.parentElement.dataset.size}px`;
});
document.querySelectorAll(".size").forEach((b) => b.addEventListener("click", () => {
  canvas.size = Number(b.dataset.size);
  pressOnly(document.querySelectorAll(".size"), b);
}));
$("undo").addEventListener("click", () => canvas.undo());
$("redo").addEventListener("click", () => canvas.redo());
$("clear").addEventListener("click", () => canvas.clear());
document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") {
    e.preventDefault();
    e.shiftKey ? canvas.redo() : canvas.undo();
  }
});
const reconfigure = () => {
  stream.setup(JSON.stringify({ type: "config", ...options() }), "config");
  stream.offer(drawing);
};
$("model-select").addEventListener("change", reconfigure);
$("norm").addEventListener("change", reconfigure);
$("dropout").addEventListener("change", reconfigure);
$("variation").addEventListener("click", () => {
  $("variation").dataset.seed = String(Math.floor(Math.random() * 2 ** 31));
  $("dropout").checked = true;
  reconfigure();
});

$("download").addEventListener("click", async () => {
  if (!output.src) return;
  const bitmap = await createImageBitmap(await (await fetch(output.src)).blob());
  const c = Object.assign(document.createElement("canvas"), { width: bitmap.width, height: bitmap.height });
  c.getContext("2d").drawImage(bitmap, 0, 0);
  const link = Object.assign(document.createElement("a"), { href: c.toDataURL("image/png"), download: "sketch.png" });
  link.click();
});

// Saving renders the drawing again as a batch job with the same settings, so the
// gallery keeps the sketch, the picture, the model and the settings, and can re-run it.
const saveButton = $("save");
if (saveButton) {
  const saveState = $("save-state");
  const saving = new Map();
  saveButton.addEventListener("click", () => {
    canvas.canvas.toBlob(async (blob) => {
      const body = new FormData();
      const opts = options();
      for (const [k, v] of Object.entries(opts)) if (v !== null) body.append(k, String(v));
      body.append("images", blob, "sketch.png");
      saveState.textContent = "saving…";
      const response = await fetch(saveButton.dataset.url, { method: "POST", body, headers: { "X-CSRFToken": csrf, Accept: "application/json" } });
      const data = await response.json();
      if (!response.ok) { saveState.textContent = data.errors.map((e) => e.message).join(" "); return; }
      for (const job of data.jobs) saving.set(job.id, job);
    }, "image/png");
  });
  connectStudio({
    onJob(job) {
      if (!saving.has(job.id)) return;
      if (job.status === "done" && job.item_url) {
        saveState.innerHTML = "";
        saveState.append("Saved: ", Object.assign(document.createElement("a"), { href: job.item_url, textContent: "open in gallery" }));
      } else if (job.status === "failed") {
        saveState.textContent = job.message;
      }
    },
  });
}

reconfigure();
