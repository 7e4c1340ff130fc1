// The Sketch page: canvas + stream + controls + save to gallery.
import { SketchCanvas } from "./canvas.js";
import { SketchStream } from "./stream.js";
import { connectStudio } from "../socket.js";

const $ = (id) => document.getElementById(id);
const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
const output = $("sketch-output");
const readout = $("readout");
const errors = $("sketch-errors");
let dirty = true;
let palette = [];
let outputUrl = null;
const shown = [];  // timestamps of results shown, for frames per second

const canvas = new SketchCanvas($("sketch-canvas"), { onChange: () => { dirty = true; } });

const stream = new SketchStream({
  onConfig(config) {
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
    dirty = true;
  },
  onResult(blob, info) {
    if (outputUrl) URL.revokeObjectURL(outputUrl);
    outputUrl = URL.createObjectURL(blob);
    output.src = outputUrl;
    output.dataset.seq = info.seq;
    const now = performance.now();
    shown.push(now);
    while (shown.length && now - shown[0] > 2000) shown.shift();
    const fps = shown.length > 1 ? ((shown.length - 1) * 1000) / (now - shown[0]) : 0;
    const rate = shown.length > 2 ? `${fps.toFixed(1)} fps` : "– fps";
    readout.textContent = `${rate} · ${info.rtt.toFixed(0)} ms round trip · server ${info.server_ms.toFixed(0)} ms · batch ${info.batch}`;
    errors.replaceChildren();
  },
  onError(message) {
    errors.replaceChildren(Object.assign(document.createElement("li"), { textContent: message }));
  },
  onState(state) { readout.textContent = state; },
});

function options() {
  return {
    model: $("model-select").value,
    dropout: $("dropout").checked,
    norm: $("norm").value,
    seed: $("dropout").checked ? Number($("variation").dataset.seed || 0) : null,
  };
}

// Send the newest drawing at most once per animation frame, and only with nothing in flight.
function pump() {
  if (dirty && stream.ready) {
    dirty = false;
    canvas.canvas.toBlob((blob) => { if (blob) stream.send(blob); }, "image/png");
  }
  requestAnimationFrame(pump);
}

function renderPalette(entries) {
  const root = $("palette");
  root.hidden = !entries.length;
  root.replaceChildren(...entries.map((entry, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "swatch" + (i === 1 ? " active" : "");
    button.style.setProperty("--swatch", entry.color);
    button.title = entry.name;
    button.innerHTML = `<span></span>${entry.name}`;
    button.addEventListener("click", () => {
      root.querySelectorAll(".swatch").forEach((b) => b.classList.toggle("active", b === button));
      canvas.ink = entry.color;
      if (canvas.tool === "eraser") selectTool("pen");
    });
    return button;
  }));
}

function selectTool(tool) {
  canvas.tool = tool;
  document.querySelectorAll(".tool").forEach((b) => {
    b.classList.toggle("active", b.dataset.tool === tool);
    b.setAttribute("aria-pressed", b.dataset.tool === tool);
  });
}

document.querySelectorAll(".tool").forEach((b) => b.addEventListener("click", () => selectTool(b.dataset.tool)));
document.querySelectorAll(".size").forEach((b) => b.addEventListener("click", () => {
  canvas.size = Number(b.dataset.size);
  document.querySelectorAll(".size").forEach((o) => o.classList.toggle("active", o === b));
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
const reconfigure = () => { stream.configure(options()); dirty = true; };
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

stream.configure(options());
requestAnimationFrame(pump);
