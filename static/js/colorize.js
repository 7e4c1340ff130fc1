// The Colorize page: upload (picker or drag-and-drop), live job cards over the
// studio socket, cancel, before/after comparison and downloads. With a model that
// takes hints (SIGGRAPH17) and one photo, the hint canvas shows the colourised
// preview live over /ws/colorize/ (static/js/stream.js: newest request wins;
// messages in webapp/studio/frames.py), with the colours the model finds likely
// at the selected hint; "Colorize" then renders the full photo with those hints.
import { packFrame } from "./frames.js";
import { HintCanvas } from "./hints.js";
import { JobList, el } from "./jobs.js";
import { LiveStream } from "./stream.js";
import { answerMessages, postJobs, showMessages, watchDropZone } from "./upload.js";

const $ = (id) => document.getElementById(id);
const form = $("upload-form");
const fileInput = $("file-input");
const chosenList = $("chosen-files");
const errorsList = $("upload-errors");
const modelSelect = $("model-select");
const gamutSelect = $("gamut-select");
const hintPanel = $("hint-panel");
const preview = $("hint-preview");
const readout = $("hint-readout");
const suggestions = $("hint-suggestions");
const previewSide = Number(hintPanel.dataset.previewSide) || 384;
// The hint canvas is drawn at most this wide; CSS scales it with the preview under it.
const CANVAS_SIDE = 640;
const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

let files = [];
let photo = null;         // { file, width, height }: the photo the hints are for
let photoUrl = null;
const jobList = new JobList($("jobs"), { csrf, resultLabel: "Colorized", socketState: $("socket-state") });

const hintCanvas = new HintCanvas($("hint-canvas"), $("hint-color"), { onChange: hintsChanged });

// Opened with the first photo: pages that never show hints need no preview socket.
let stream = null;
const openStream = () => new LiveStream("/ws/colorize/", {
  onReply(image, info) {
    if (preview.src && preview.src !== photoUrl) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(image);
    preview.classList.remove("waiting");
    preview.dataset.seq = info.seq;
    const rtt = info.rtt === null ? "–" : info.rtt.toFixed(0);
    readout.textContent = `preview · ${rtt} ms round trip · server ${info.server_ms.toFixed(0)} ms`;
    if (info.suggestions) showSuggestions(info.suggestions, paletteKeys.get(info.seq));
    paletteKeys.clear();
  },
  onError(message) { readout.textContent = message; },
  onState(state) { readout.textContent = `preview · ${state}`; preview.dataset.connection = state; },
  // Whether a preview is still on its way (tests wait for "idle" rather than for time).
  onBusy(busy) { preview.dataset.stream = busy ? "busy" : "idle"; },
});

function takesHints() { return modelSelect.selectedOptions[0]?.dataset.hints === "1"; }

// The palette costs a second forward pass: it is asked for only when the selected hint (or where it is)
// differs from the one the shown palette is for, not when the hint is only recoloured.
let paletteKey = null;
const paletteKeys = new Map();  // seq -> the palette key a request in flight asked for
const selectedKey = () => {
  const hint = hintCanvas.hints[hintCanvas.selected];
  return hint ? `${hintCanvas.selected}:${hint.x}:${hint.y}:${hintCanvas.hints.length}` : null;
};

function previewRequest(seq) {
  if (!photo || !takesHints()) return null;
  const message = { type: "preview", seq, model: modelSelect.value, gamut: gamutSelect.value, hints: hintCanvas.hints };
  const key = selectedKey();
  if (key !== null && key !== paletteKey) {
    message.suggest = hintCanvas.selected;
    paletteKeys.set(seq, key);
  }
  return JSON.stringify(message);
}

function refresh() {
  if (photo && stream && takesHints()) stream.offer(previewRequest);
}

function hintsChanged(hints, selected) {
  const count = hints.length;
  $("hint-count").textContent = `${count} hint${count === 1 ? "" : "s"}`;
  $("hint-delete").disabled = selected === null;
  if (selectedKey() !== paletteKey) suggestions.hidden = true;  // the palette shown is for another point
  $("hint-list").replaceChildren(...hints.map((hint, index) => {
    const label = `Hint ${index + 1}: ${(hint.x * 100).toFixed(1)} % across, ${(hint.y * 100).toFixed(1)} % down, ${hint.color}`;
    const button = el("button", { type: "button", class: "hint-item", "aria-pressed": String(index === selected) },
      el("span", { class: "hint-swatch", "aria-hidden": "true" }), label);
    button.querySelector(".hint-swatch").style.setProperty("--swatch", hint.color);
    button.addEventListener("click", () => hintCanvas.select(index === hintCanvas.selected ? null : index));
    return el("li", {}, button);
  }));
  refresh();
}

function showSuggestions(colours, key) {
  paletteKey = key;
  if (key !== selectedKey()) { suggestions.hidden = true; return; }
  suggestions.replaceChildren(el("span", { class: "muted small" }, "Likely here:"), ...colours.map((colour) => {
    const percent = Math.round(colour.probability * 100);
    const button = el("button", { type: "button", class: "hint-suggestion", "data-color": colour.color,
      title: `${colour.color} (${percent} %)`, "aria-label": `Use ${colour.color}, ${percent} % likely` });
    button.style.setProperty("--swatch", colour.color);
    button.addEventListener("click", () => {
      $("hint-color").value = colour.color;
      hintCanvas.recolour(colour.color);
    });
    return button;
  }));
  suggestions.hidden = false;
}

// A copy of the photo for the socket: its longer side at most `previewSide` px.
async function scaledPhoto(bitmap) {
  const scale = Math.min(1, previewSide / Math.max(bitmap.width, bitmap.height));
  const canvas = Object.assign(document.createElement("canvas"), {
    width: Math.max(1, Math.round(bitmap.width * scale)), height: Math.max(1, Math.round(bitmap.height * scale)) });
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

async function showPhoto(file) {
  if (photo?.file === file) return;
  const bitmap = await createImageBitmap(file);
  photo = null;  // no preview requests until the socket has this photo
  if (preview.src && preview.src !== photoUrl) URL.revokeObjectURL(preview.src);
  if (photoUrl) URL.revokeObjectURL(photoUrl);
  photoUrl = URL.createObjectURL(file);
  preview.src = photoUrl;  // grey (CSS) until the first preview arrives
  preview.classList.add("waiting");
  delete preview.dataset.seq;
  const scale = Math.min(1, CANVAS_SIDE / Math.max(bitmap.width, bitmap.height));
  hintCanvas.reset(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
  const frame = await packFrame({ type: "photo" }, await scaledPhoto(bitmap));
  stream ??= openStream();
  stream.setup(frame, "photo");
  photo = { file, width: bitmap.width, height: bitmap.height };
  refresh();
}

function setFiles(list) {
  files = [...list];
  chosenList.replaceChildren(...files.map((f) => el("li", {}, `${f.name} (${(f.size / 1e6).toFixed(1)} MB)`)));
  updateHintPanel();
}

function updateHintPanel() {
  hintPanel.hidden = !(takesHints() && files.length === 1);
  if (hintPanel.hidden) return;
  showPhoto(files[0]).then(refresh, () => { hintPanel.hidden = true; photo = null; });
}

// The position form: the same hint a click would add, typed in % or in the photo's pixels.
function addTypedHint() {
  if (!photo) return;
  const error = $("hint-form-error");
  const color = $("hint-form-color").value.trim();
  const across = Number($("hint-x").value);
  const down = Number($("hint-y").value);
  const [width, height] = $("hint-unit").value === "px" ? [photo.width, photo.height] : [100, 100];
  const unit = $("hint-unit").value === "px" ? "pixels" : "%";
  if (!/^#[0-9a-fA-F]{6}$/.test(color)) {
    error.textContent = "The colour must look like #rrggbb, for example #c0392b.";
  } else if ([across, down].some((v) => !Number.isFinite(v) || v < 0) || across > width || down > height) {
    error.textContent = `The position must be within the photo: 0 to ${width} across and 0 to ${height} down (${unit}).`;
  } else {
    error.textContent = "";
    hintCanvas.add(across / width, down / height, color.toLowerCase());
    $("hint-color").value = color.toLowerCase();
  }
}

$("hint-add").addEventListener("click", addTypedHint);
for (const id of ["hint-x", "hint-y", "hint-form-color"]) {
  // Enter adds the hint here; it must not submit the upload form around it.
  $(id).addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); addTypedHint(); }
  });
}
$("hint-delete").addEventListener("click", () => hintCanvas.remove());
$("hint-clear").addEventListener("click", () => hintCanvas.clear());
watchDropZone($("drop-zone"), fileInput, setFiles);
modelSelect.addEventListener("change", updateHintPanel);
gamutSelect.addEventListener("change", refresh);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorsList.replaceChildren();
  if (!files.length) { showMessages(errorsList, ["Choose at least one image."]); return; }
  const body = new FormData();
  body.append("model", modelSelect.value);
  body.append("gamut", gamutSelect.value);
  if (!hintPanel.hidden && hintCanvas.hints.length) body.append("hints", JSON.stringify(hintCanvas.hints));
  files.forEach((f) => body.append("images", f, f.name));
  const button = $("submit-button");
  button.disabled = true;
  try {
    const answer = await postJobs(form.action, body, csrf);
    answer.jobs.forEach((job) => jobList.upsert(job));
    showMessages(errorsList, answerMessages(answer));
    if (answer.jobs.length) setFiles([]);
  } finally {
    button.disabled = false;
    fileInput.value = "";
  }
});
