// Edit: paint over a 64 × 64 face; every stroke segment goes over /ws/edit/ (messages in
// webapp/studio/frames.py) and the server answers with the edited picture. The page keeps
// the start and every segment sent, so undo/redo start again and replay (render() is
// deterministic), and "Save to gallery" posts the same start and strokes as a batch job.
import { packFrame } from "./frames.js";
import { LiveStream } from "./stream.js";
import { pressOnly, sizeDots } from "./toggles.js";

const SIDE = 64;
const MAX_PER_MESSAGE = 48;  // the server takes at most 64 strokes and 8 KiB per message
const $ = (id) => document.getElementById(id);
const page = $("edit-page");
const canvas = $("edit-canvas");
const context = canvas.getContext("2d");
const readout = $("readout");

let start = null;        // { seed } or { photo: Blob (PNG) }, with { mix_seed, mix } once a second face is picked
let strokes = [];        // [{ points, colour, radius, group }], group = the whole stroke it belongs to
let redoStack = [];      // whole strokes undone: arrays of segments
let applied = 0;         // how many of `strokes` the server has applied since the start
let lastPicture = null;  // Blob of the newest answer
let startPicture = null; // the first answer after a start (a random face's own picture)
let size = 6;
let group = 0;
let settings = {};       // brush settings of a continued edit ({ steps, step_size }); the server's defaults otherwise

const stream = new LiveStream("/ws/edit/", {
  onReply: (image, header) => {
    applied = header.strokes;
    lastPicture = image;
    if (applied === 0) startPicture = image;
    show(image);
    readout.textContent = `${header.strokes} strokes · ${Math.round(header.server_ms)} ms`;
    if (applied < strokes.length) request();
  },
  onMessage: (message) => { if (message.type === "start") request(); },
  onError: (message) => { readout.textContent = message; },
  onBusy: (busy) => { canvas.dataset.stream = busy ? "busy" : "idle"; },
  onState: (state) => {
    readout.textContent = state;
    if (state === "connected") applied = 0;  // a new socket: the setup starts again, strokes are replayed
  },
});

function model() { return $("model-select").value; }

async function show(blob) {
  const bitmap = await createImageBitmap(blob);
  context.imageSmoothingEnabled = false;
  context.drawImage(bitmap, 0, 0, SIDE, SIDE);
  canvas.dataset.strokes = String(applied);
  canvas.dataset.unsent = String(strokes.length - applied);
}

// The next request: the strokes the server has not applied yet, built when it goes out.
function request() {
  stream.offer(async (seq) => {
    const batch = strokes.slice(applied, applied + MAX_PER_MESSAGE)
      .map(({ points, colour, radius }) => ({ points, colour, radius }));
    return JSON.stringify({ type: "stroke", seq, from: applied, strokes: batch });
  });
}

async function begin(newStart, keep = false) {
  start = newStart;
  if (!keep) { strokes = []; redoStack = []; }
  applied = 0;
  const mix = { mix_seed: start.mix_seed ?? null, mix: start.mix ?? 0 };
  $("mix-field").hidden = start.mix_seed === undefined;
  $("mix").value = String(mix.mix);
  if (start.seed !== undefined) {
    stream.setup(JSON.stringify({ type: "start", model: model(), seed: start.seed, ...mix, ...settings }), "start");
  } else {
    stream.setup(await packFrame({ type: "photo", model: model(), ...mix, ...settings }, start.photo), "start");
  }
}

const randomSeed = () => Math.floor(Math.random() * 2 ** 31);
function randomFace() {
  begin({ seed: randomSeed() });
}

// The interpolation slider: the start's latent moves towards a second random face; a new start, strokes replayed.
function mixWith(mixSeed, mix) {
  if (start === null) return;
  begin({ ...start, mix_seed: mixSeed, mix }, true);
}

// A photo's centre square at 256 × 256 PNG: the socket and the saved job get the same pixels.
async function photoStart(file) {
  const bitmap = await createImageBitmap(file);
  const side = Math.min(bitmap.width, bitmap.height);
  const square = new OffscreenCanvas(256, 256);
  square.getContext("2d").drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side,
    0, 0, 256, 256);
  begin({ photo: await square.convertToBlob({ type: "image/png" }) });
}

// Painting: each pointer move adds a segment from the last point; segments of one drag share a group.
let drag = null;
function point(event) {
  const box = canvas.getBoundingClientRect();
  const clamp = (v) => Math.min(1, Math.max(0, v));
  return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
}
function addSegment(points) {
  // A size is the brush's diameter in pixels of the 64 × 64 picture.
  strokes.push({ points, colour: $("colour").value, radius: size / 2 / SIDE, group: drag.group });
  canvas.dataset.unsent = String(strokes.length - applied);
  request();
}
canvas.addEventListener("pointerdown", (event) => {
  if (start === null) return;
  canvas.setPointerCapture(event.pointerId);
  drag = { group: ++group, last: point(event) };
  redoStack = [];
  addSegment([drag.last]);
});
canvas.addEventListener("pointermove", (event) => {
  if (drag === null) return;
  const next = point(event);
  const [dx, dy] = [next[0] - drag.last[0], next[1] - drag.last[1]];
  if (Math.hypot(dx, dy) * SIDE < Math.max(1, size / 2)) return;  // a new segment every half brush
  addSegment([drag.last, next]);
  drag.last = next;
});
for (const end of ["pointerup", "pointercancel"]) canvas.addEventListener(end, () => { drag = null; });

function undo() {
  if (!strokes.length) return;
  const last = strokes[strokes.length - 1].group;
  redoStack.push(strokes.filter((s) => s.group === last));
  strokes = strokes.filter((s) => s.group !== last);
  begin(start, true);
}
function redo() {
  if (!redoStack.length) return;
  strokes.push(...redoStack.pop());
  if (applied <= strokes.length) request();
}
$("undo").addEventListener("click", undo);
$("redo").addEventListener("click", redo);
document.addEventListener("keydown", (event) => {
  if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== "z") return;
  event.preventDefault();
  (event.shiftKey ? redo : undo)();
});
sizeDots(document.querySelectorAll("[data-size]"));
for (const button of document.querySelectorAll("[data-size]")) {
  button.addEventListener("click", () => {
    pressOnly(document.querySelectorAll("[data-size]"), button);
    size = Number(button.dataset.size);
  });
}
$("random-face").addEventListener("click", randomFace);
$("mix-face").addEventListener("click", () => mixWith(randomSeed(), 0.5));
$("mix").addEventListener("input", () => mixWith(start.mix_seed, Number($("mix").value)));
$("photo").addEventListener("change", (event) => { if (event.target.files[0]) photoStart(event.target.files[0]); });
$("model-select").addEventListener("change", () => { if (start) begin(start, true); });

$("download").addEventListener("click", () => {
  if (!lastPicture) return;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(lastPicture);
  link.download = "edit.png";
  link.click();
});

$("save")?.addEventListener("click", async () => {
  const state = $("save-state");
  const image = start?.photo ?? startPicture;
  if (!image) return;
  const form = new FormData();
  form.append("images", image, "edit.png");
  form.append("model", model());
  form.append("seed", start.seed ?? "");
  form.append("mix_seed", start.mix_seed ?? "");
  form.append("mix", String(start.mix ?? 0));
  for (const [key, value] of Object.entries(settings)) form.append(key, String(value));
  form.append("strokes", JSON.stringify(strokes.map(({ points, colour, radius }) => ({ points, colour, radius }))));
  state.textContent = "saving…";
  const response = await fetch(page.dataset.saveUrl, {
    method: "POST", body: form,
    headers: { "X-CSRFToken": document.querySelector("[name=csrfmiddlewaretoken]").value },
  });
  const body = await response.json().catch(() => ({}));
  state.textContent = response.ok ? "Saved: it renders as a job and appears in your gallery."
    : (body.errors?.[0]?.message ?? "Could not save.");
});

// "Continue editing" a saved edit: its start (seed and mix, or its stored photo), settings and strokes, replayed.
// Segments that go on where the previous one ended, in the same colour and size, are one stroke for undo.
async function continueFrom(saved) {
  const option = [...$("model-select").options].find((o) => o.value === saved.model && !o.disabled);
  if (option) $("model-select").value = saved.model;
  settings = Object.fromEntries(["steps", "step_size"].filter((k) => saved[k] != null).map((k) => [k, saved[k]]));
  const from = saved.seed != null ? { seed: saved.seed }
    : { photo: await (await fetch(saved.photo_url)).blob() };
  if (saved.mix_seed != null) Object.assign(from, { mix_seed: saved.mix_seed, mix: saved.mix });
  const same = (a, b) => a.radius === b.radius && a.colour.join() === b.colour.join()
    && a.points[a.points.length - 1].join() === b.points[0].join();
  strokes = [];
  for (const { points, colour, radius } of saved.strokes) {
    const segment = { points, colour, radius };
    const previous = strokes[strokes.length - 1];
    segment.group = previous && points.length > 1 && same(previous, segment) ? previous.group : ++group;
    strokes.push(segment);
  }
  redoStack = [];
  begin(from, true);
}

if (page.dataset.from) continueFrom(JSON.parse(page.dataset.from));
else randomFace();
