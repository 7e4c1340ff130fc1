// The Sketch page: canvas + live stream (static/js/stream.js) + controls + save to gallery.
import { SketchCanvas } from "./canvas.js";
import { exampleCycle } from "../examples.js";
import { packFrame } from "../frames.js";
import { LiveStream } from "../stream.js";
import { connectStudio } from "../socket.js";
import { pressOnly, sizeDots } from "../toggles.js";

const $ = (id) => document.getElementById(id);
const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
const output = $("sketch-output");
const readout = $("readout");
const errors = $("sketch-errors");
let outputUrl = null;
const shown = [];  // timestamps of results shown, for frames per second
const select = $("model-select");

// The drawing as a frame, encoded when it goes out, so it is always the newest one.
const drawing = (seq) => new Promise((resolve) => {
  canvas.canvas.toBlob((blob) => resolve(blob && packFrame({ seq }, blob)), "image/png");
});
const canvas = new SketchCanvas($("sketch-canvas"), { onChange: () => { stream.offer(drawing); keepSoon(); } });

const optionOf = (name) => [...select.options].find((o) => o.value === name);
// What a model draws on, from its <option>: line drawings, label maps (with their
// palette's colours) or photos.
const inputOf = (name) => {
  const option = optionOf(name);
  return option && { kind: option.dataset.kind, palette: option.dataset.palette.trim() };
};
// The address of a model's first example drawing ("" when it has none).
const examplesOf = (name) => optionOf(name)?.dataset.examples || "";
// The materials whose colours a style-conditioned model takes ([] for other models).
const materialsOf = (name) => (optionOf(name)?.dataset.style || "").split(" ").filter(Boolean);
// A drawing made for one model means the same to another when both take the same kind of
// input (and, for label maps, the same labels in the same colours).
const sameInput = (a, b) => Boolean(a && b && a.kind === b.kind && (a.kind !== "label_map" || a.palette === b.palette));

// The model the canvas is set up for (null before the first config reply) and the model
// last asked of the server. Settings (dropout, variation, normalisation) never touch the
// canvas: only a reply naming another model does, and that model was agreed to in
// modelChosen(): it takes the same input, or the drawing was blank, or the person agreed
// to clear it.
let canvasModel = null;
let askedModel = select.value;
let swapExample = false;  // the model change under way replaces an untouched example (modelChosen)

// The drawing outlives a reload or a visit elsewhere: this browser keeps the last one (as a
// picture, with its model and colours) and the page starts from it, as one step that Undo takes away.
const KEPT = "atelier.sketch.drawing";
let keepTimer = null;
function keepSoon() {
  clearTimeout(keepTimer);
  keepTimer = setTimeout(() => {
    try {
      if (canvas.blank) {
        localStorage.removeItem(KEPT);
      } else {
        const png = canvas.canvas.toDataURL("image/png");
        localStorage.setItem(KEPT, JSON.stringify({ model: canvasModel, style, png }));
      }
    } catch { /* storage full or switched off: the drawing is simply not kept */ }
  }, 400);
}
const kept = (() => {
  try { return JSON.parse(localStorage.getItem(KEPT)); } catch { return null; }
})();
// The kept drawing's model, while it is still installed.
const keptModel = kept && optionOf(kept.model)?.disabled === false ? kept.model : null;
if (keptModel) select.value = askedModel = keptModel;

// What the canvas starts with: the kept drawing; on a first visit, as the pix2pix demos do, the
// model's first example, so the first picture is a landscape rather than a blank; else nothing.
const STARTED = "atelier.sketch.started";
function startDrawing(model) {
  if (keptModel && sameInput(inputOf(keptModel), inputOf(model))) {
    if (kept.style) useStyle(kept.style);
    openImage(kept.png);
    return;
  }
  let firstVisit = false;
  try {
    firstVisit = localStorage.getItem(STARTED) === null;
    localStorage.setItem(STARTED, "1");
  } catch { /* storage switched off: every visit starts blank */ }
  if (firstVisit && examplesOf(model)) loadExample();
}

function useModel(config) {
  const palette = config.palette || [];
  const labels = config.kind === "label_map" && palette.length > 0;
  document.querySelectorAll(".label-only").forEach((b) => { b.hidden = !labels; });
  const clear = canvasModel === null || !sameInput(inputOf(canvasModel), inputOf(config.model));
  const first = canvasModel === null;
  canvasModel = config.model;
  if (clear) {
    canvas.configure({
      size: config.input_size,
      paper: labels ? palette[0].color : "#ffffff",
      ink: labels ? (palette[1] || palette[0]).color : "#000000",
      crisp: labels,
      palette: labels ? palette.map((entry) => entry.color) : [],
    });
  } else {
    canvas.resize(config.input_size);
  }
  $("example").hidden = !examplesOf(config.model);
  if (first) startDrawing(config.model);
  else if (clear && swapExample && examplesOf(config.model)) loadExample();
  swapExample = false;
  renderPalette(labels ? palette : []);
  renderStyle();
  if (!labels && ["rect", "fill"].includes(canvas.tool)) selectTool("pen");
}

const stream = new LiveStream("/ws/sketch/", {
  onMessage(config) {
    // A reconnect, or a changed setting, answers with the model already drawn for.
    if (config.type === "config" && config.model !== canvasModel) useModel(config);
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
  onError: showError,
  onState(state) {
    readout.textContent = state;
    output.dataset.connection = state;
  },
  // Whether a drawing is still on its way (tests wait for "idle" rather than for time).
  onBusy(busy) { output.dataset.stream = busy ? "busy" : "idle"; },
});

// Starting points: an example drawing (static/js/examples.js; each press the next one) or a
// picture file. Either lands on the canvas as one operation, so Undo takes it away; an example
// nobody has drawn on gives way on a change of model (modelChosen).
const MAX_OPEN_PIXELS = 40e6;  // beyond this a picture would take hundreds of MB to decode
const nextExample = exampleCycle(Number($("example").dataset.count));

async function loadExample() {
  const example = await nextExample(examplesOf(canvasModel));
  if (!example) {
    showError("The example could not be loaded; try again.");
    return;
  }
  // A style-conditioned model is given the example scene's colours too, so it paints that scene.
  if (example.style) useStyle(example.style);
  await openPicture(example.blob, { example: true });
}

async function openPicture(blob, options) {
  const url = URL.createObjectURL(blob);
  try {
    await openImage(url, options);
  } finally {
    URL.revokeObjectURL(url);
  }
}

async function openImage(src, options) {
  const picture = new Image();
  try {
    // Loading reads the size; the pixels are decoded only when the canvas draws them.
    picture.src = src;
    await new Promise((resolve, reject) => { picture.onload = resolve; picture.onerror = reject; });
    if (picture.naturalWidth * picture.naturalHeight > MAX_OPEN_PIXELS) {
      throw new RangeError(`This picture is too large to open (at most ${MAX_OPEN_PIXELS / 1e6} megapixels).`);
    }
    await canvas.open(picture, options);
  } catch (error) {
    showError(error instanceof RangeError ? error.message : "This file could not be opened as a picture.");
  }
}

$("example").addEventListener("click", loadExample);
$("open-drawing").addEventListener("change", async (e) => {
  const [file] = e.target.files;
  e.target.value = "";  // the same file can be opened again after an undo
  if (file) await openPicture(file);
});

function showError(message) {
  errors.replaceChildren(Object.assign(document.createElement("li"), { textContent: message }));
}

function options() {
  const materials = materialsOf(askedModel);
  return {
    model: askedModel,
    dropout: $("dropout").checked,
    norm: $("norm").value,
    seed: $("dropout").checked ? Number($("variation").dataset.seed || 0) : null,
    style: Object.fromEntries(Object.entries(style).filter(([material]) => materials.includes(material))),
  };
}

// A style-conditioned model's colours ("Colours"): the colour asked for each material it knows,
// as a person picks them or an example brings them; an unticked material is the model's choice.
// Like every setting, a change goes to the server as a new config and never touches the drawing.
let style = {};  // material -> "#rrggbb"
// What an unticked colour well starts at: a plain daylight colour for each landscape material.
const STARTING_COLOURS = {
  sky: "#7ea7dc", horizon: "#b7cde6", cloud: "#eeeff4", mountain: "#7b7b8c", water: "#3c6e8c", grass: "#5b8a3a",
};

function renderStyle() {
  const materials = materialsOf(canvasModel);
  $("style-colours").hidden = !materials.length;
  $("style-materials").replaceChildren(...materials.map((material) => {
    const label = Object.assign(document.createElement("label"), { className: "style-colour" });
    const given = Object.assign(document.createElement("input"), { type: "checkbox", checked: material in style });
    const colour = Object.assign(document.createElement("input"), {
      type: "color", value: style[material] || STARTING_COLOURS[material] || "#808080",
    });
    colour.setAttribute("aria-label", `${material} colour`);
    given.dataset.material = colour.dataset.material = material;
    given.addEventListener("change", () => {
      if (given.checked) style[material] = colour.value;
      else delete style[material];
      styleChanged();
    });
    colour.addEventListener("input", () => {
      given.checked = true;
      style[material] = colour.value;
      styleChanged();
    });
    label.append(given, material, colour);
    return label;
  }));
}

function useStyle(colours) {
  style = { ...colours };
  renderStyle();
  styleChanged();
}

function styleChanged() {
  keepSoon();
  if (canvasModel !== null) reconfigure();
}

$("style-auto").addEventListener("click", () => useStyle({}));

function renderPalette(entries) {
  const root = $("palette");
  root.hidden = !entries.length;
  root.replaceChildren(...entries.map((entry) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "swatch" + (entry.color === canvas.ink ? " active" : "");
    button.setAttribute("aria-pressed", String(entry.color === canvas.ink));
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
  showCursor();
}

document.querySelectorAll(".tool").forEach((b) => b.addEventListener("click", () => selectTool(b.dataset.tool)));
sizeDots(document.querySelectorAll(".size"));
document.querySelectorAll(".size").forEach((b) => b.addEventListener("click", () => {
  canvas.size = Number(b.dataset.size);
  pressOnly(document.querySelectorAll(".size"), b);
}));

// The brush cursor: a circle of the brush's size as the canvas is displayed (the canvas
// holds the model's input size and CSS scales it), following the pointer.
const brush = $("brush-cursor");
let pointer = null;  // the last pointer position over the canvas, in client pixels
function showCursor() {
  const painting = pointer && ["pen", "eraser"].includes(canvas.tool);
  brush.hidden = !painting;
  if (!painting) return;
  const rect = canvas.canvas.getBoundingClientRect();
  const side = (canvas.size * rect.width) / canvas.canvas.width;
  brush.style.width = brush.style.height = `${side}px`;
  brush.style.transform = `translate(${pointer.x - rect.left - side / 2}px, ${pointer.y - rect.top - side / 2}px)`;
}
// A finger covers the spot it paints: the circle is for mouse and pen pointers.
const follow = (e) => { pointer = e.pointerType === "touch" ? null : { x: e.clientX, y: e.clientY }; showCursor(); };
canvas.canvas.addEventListener("pointermove", follow);
canvas.canvas.addEventListener("pointerenter", follow);
canvas.canvas.addEventListener("pointerleave", () => { pointer = null; showCursor(); });
document.querySelectorAll(".size").forEach((b) => b.addEventListener("click", showCursor));
// Every tool and size button says whether it is pressed (after the cursor: selectTool shows it).
selectTool(canvas.tool);
pressOnly(document.querySelectorAll(".size"), document.querySelector(".size.active"));

// Side by side, the squares are as large as the width allows but no taller than the
// window below the controls, so both, and the readout under them, fit one screen.
const stage = $("sketch-stage");
function fitStage() {
  const top = stage.getBoundingClientRect().top + window.scrollY;
  const caption = output.nextElementSibling.getBoundingClientRect().height;
  const side = Math.floor(window.innerHeight - top - caption - 16);
  stage.style.setProperty("--sketch-side", `${Math.max(side, 240)}px`);
}
window.addEventListener("resize", fitStage);
new ResizeObserver(fitStage).observe(document.querySelector(".sketch-controls"));
document.querySelector(".more-models")?.addEventListener("toggle", fitStage);
fitStage();

// The picture at 512 CSS pixels: the browser enlarges the model's output smoothly while
// the model still renders at its own size. Below the controls a 512 px square is taller
// than a laptop's window, so the page scrolls until the squares and readout are in view.
$("large-output").addEventListener("change", (e) => {
  $("sketch-page").classList.toggle("large-output", e.target.checked);
  const bottom = stage.getBoundingClientRect().bottom + window.scrollY;
  if (e.target.checked && bottom > window.scrollY + window.innerHeight) {
    window.scrollTo({ top: bottom - window.innerHeight + 8 });
  }
});
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
const KINDS = { sketch: "line drawings", label_map: "label maps", photo: "photos" };
const mismatch = (title, from, to) => (from.kind === to.kind
  ? `${title} uses other labels than your drawing.`
  : `${title} takes ${KINDS[to.kind] || to.kind}, not ${KINDS[from.kind] || from.kind}.`);

// A model change keeps the drawing when the new model takes the same input; otherwise
// it asks first, and "Keep my drawing" stays with the old model.
function modelChosen() {
  const target = select.value;
  const from = inputOf(canvasModel), to = inputOf(target);
  // An untouched example is not the person's drawing: it gives way, to the new model's own example.
  swapExample = canvas.onlyExample && !sameInput(from, to);
  if (canvasModel === null || canvas.blank || swapExample || sameInput(from, to)) {
    askedModel = target;
    reconfigure();
    return;
  }
  const dialog = $("model-change");
  const title = select.selectedOptions[0].textContent.trim();
  $("model-change-text").textContent = `${mismatch(title, from, to)} Switching clears your drawing and its undo history.`;
  dialog.returnValue = "";
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "switch") {
      askedModel = target;
      reconfigure();
    } else {
      select.value = askedModel;
    }
  }, { once: true });
  dialog.showModal();
}
select.addEventListener("change", modelChosen);
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
      for (const [k, v] of Object.entries(opts)) {
        if (v !== null) body.append(k, typeof v === "object" ? JSON.stringify(v) : String(v));
      }
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
