// The Stylize page: a style bank (styles grouped by the network that paints
// them), one weight per style, strength and colour options, a live preview
// over /ws/stylize/ (static/js/stream.js: newest request wins; messages in
// webapp/studio/frames.py), and full-resolution renders as jobs.
import { packFrame } from "../frames.js";
import { JobList, el } from "../jobs.js";
import { LiveStream } from "../stream.js";
import { answerMessages, postJobs, watchDropZone } from "../upload.js";

const $ = (id) => document.getElementById(id);
const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
const previewSide = Number($("stylize-config").dataset.previewSide);
const bank = JSON.parse($("style-bank-data").textContent);
const errors = $("stylize-errors");
const jobs = new JobList($("jobs"), { csrf, resultLabel: "Stylized", socketState: $("socket-state") });
const preview = $("style-preview");
const readout = $("preview-readout");

let photoFile = null;
let selection = { model: null, weights: {} };

function showError(message) { errors.replaceChildren(el("li", {}, message)); }

const stream = new LiveStream("/ws/stylize/", {
  onReply(image, info) {
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(image);
    preview.hidden = false;
    preview.dataset.seq = info.seq;
    const rtt = info.rtt === null ? "–" : info.rtt.toFixed(0);
    readout.textContent = `preview · ${rtt} ms round trip · server ${info.server_ms.toFixed(0)} ms`;
    errors.replaceChildren();
  },
  onError: showError,
  onState(state) {
    readout.textContent = `preview · ${state}`;
    preview.dataset.connection = state;
  },
  // Whether a preview is still on its way (tests wait for "idle" rather than for time).
  onBusy(busy) { preview.dataset.stream = busy ? "busy" : "idle"; },
});

async function scaledPhoto(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, previewSide / Math.max(bitmap.width, bitmap.height));
  const canvas = Object.assign(document.createElement("canvas"), {
    width: Math.round(bitmap.width * scale), height: Math.round(bitmap.height * scale) });
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/webp", 0.92));
}

function blend() {
  return {
    model: selection.model,
    weights: selection.weights,
    strength: Number($("strength").value),
    preserve_colour: $("preserve-colour").value,
  };
}

function ready() { return selection.model && (Object.keys(selection.weights).length || groupOf(selection.model)?.arch === "single"); }

// The newest settings go out at most once per animation frame, with one preview in flight.
function refresh() {
  if (!photoFile || !ready()) return;
  stream.offer((seq) => (ready() ? JSON.stringify({ type: "preview", seq, blend: blend() }) : null));
}

function groupOf(model) { return bank.find((g) => g.model === model); }

function select(group, key, weight) {
  if (selection.model !== group.model) {
    selection = { model: group.model, weights: {} };
    document.querySelectorAll(".style-card").forEach((card) => {
      if (card.dataset.model !== group.model) {
        card.classList.remove("chosen");
        card.querySelector("input[type=checkbox]").checked = false;
      }
    });
  }
  if (group.arch === "single") selection.weights = {};
  else if (weight > 0) selection.weights[key] = weight;
  else delete selection.weights[key];
  refresh();
}

function styleCard(group, style) {
  const weight = el("input", { type: "range", min: "0", max: "1", step: "0.05", value: "1", "aria-label": `Weight of ${style.name}` });
  const use = el("input", { type: "checkbox", "aria-label": `Use ${style.name}` });
  const card = el("div", { class: "style-card", "data-model": group.model, "data-key": style.key },
    cardPicture(group, style), el("label", {}, use, " ", style.name));
  if (group.arch !== "single") card.append(weight);
  const update = () => {
    card.classList.toggle("chosen", use.checked);
    select(group, style.key, use.checked ? Number(weight.value) : 0);
  };
  use.addEventListener("change", update);
  weight.addEventListener("input", () => { if (!use.checked) use.checked = true; update(); });
  if (!group.installed) { use.disabled = true; weight.disabled = true; }
  return card;
}

// A style's card shows that style applied to the reference landscape (rendered once per weights file,
// inference/style_previews.py), else the style's own picture; while a worker renders the preview, a
// plain frame that says so, replaced as soon as the preview can be loaded.
const PREVIEW_RETRY_MS = 3000;
const PREVIEW_TRIES = 60;

function previewImage(style) {
  return el("img", { src: style.preview, alt: `${style.name} applied to a landscape`, loading: "lazy", class: "style-preview" });
}

function cardPicture(group, style) {
  if (style.preview && style.preview_ready) return previewImage(style);
  const fallback = style.thumbnail ? el("img", { src: style.thumbnail, alt: "", loading: "lazy", class: "style-thumbnail" })
    : el("div", { class: "style-pending muted small" }, group.installed ? "preview being rendered" : "not installed");
  if (style.preview) awaitPreview(style, fallback);
  return fallback;
}

function awaitPreview(style, placeholder, tries = PREVIEW_TRIES) {
  const probe = new Image();
  probe.addEventListener("load", () => placeholder.replaceWith(previewImage(style)));
  probe.addEventListener("error", () => {
    if (tries > 1) setTimeout(() => awaitPreview(style, placeholder, tries - 1), PREVIEW_RETRY_MS);
  });
  probe.src = `${style.preview}&try=${tries}`; // a fresh address each time: no cached 404
}

// The install help's download addresses as links, as every other page's "not installed" notice has them
// (a sentence's comma or full stop after an address is not part of it).
function withLinks(text) {
  return text.split(/(https?:\/\/\S+?)(?=[.,;]?(?:\s|$))/)
    .map((part, i) => (i % 2 ? el("a", { href: part, rel: "noreferrer" }, part) : part));
}

function renderBank() {
  const root = $("style-bank");
  root.replaceChildren(...bank.map((group) => {
    const section = el("section", { class: "style-group", "data-model": group.model },
      el("h3", {}, group.title, " ", el("span", { class: "muted small" }, group.arch === "adain" ? "any picture" : group.arch === "multistyle" ? "blendable styles" : "one style")));
    if (!group.installed) section.append(el("p", { class: "notice warning small" }, "Not installed. ", ...withLinks(group.install_help)));
    else if (group.state === "not official") section.append(el("p", { class: "muted small" }, group.state_label));
    const cards = el("div", { class: "style-cards" }, ...group.styles.map((style) => styleCard(group, style)));
    if (group.arch === "adain" && !group.styles.length) cards.append(el("p", { class: "muted small" }, "Add your own style images below."));
    section.append(cards);
    return section;
  }));
}

watchDropZone($("drop-zone"), $("photo-input"), (files) => choosePhoto(files[0]));

async function choosePhoto(file) {
  if (!file) return;
  const photo = $("photo-preview");
  if (photo.src) URL.revokeObjectURL(photo.src);
  photo.src = URL.createObjectURL(file);
  photo.hidden = false;
  let frame;
  try {
    frame = await packFrame({ type: "photo" }, await scaledPhoto(file));
  } catch {
    showError("This file could not be read as an image.");
    return;
  }
  photoFile = file;
  stream.setup(frame, "photo");
  refresh();
}

$("strength").addEventListener("input", () => { $("strength-value").textContent = Number($("strength").value).toFixed(2); refresh(); });
$("preserve-colour").addEventListener("change", refresh);

$("add-style").addEventListener("click", () => $("style-upload").querySelector("input[type=file]").click());
$("style-upload").querySelector("input[type=file]").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const body = new FormData();
  body.append("image", file);
  const response = await fetch($("stylize-config").dataset.stylesUrl, { method: "POST", body, headers: { "X-CSRFToken": csrf, Accept: "application/json" } });
  const data = await response.json();
  if (!response.ok) { showError(data.errors.map((e) => e.message).join(" ")); return; }
  const group = bank.find((g) => g.arch === "adain");
  if (!group) { showError("No AdaIN model is available to paint with your own styles."); return; }
  group.styles.unshift(data.style);
  renderBank();
  event.target.value = "";
});

$("render").addEventListener("click", async () => {
  if (!photoFile) { showError("Choose a photo first."); return; }
  if (!ready()) { showError("Pick at least one style."); return; }
  const body = new FormData();
  body.append("model", selection.model);
  body.append("blend", JSON.stringify(blend()));
  body.append("images", photoFile, photoFile.name);
  const answer = await postJobs($("stylize-config").dataset.jobsUrl, body, csrf);
  answer.jobs.forEach((job) => jobs.upsert(job));
  const messages = answerMessages(answer);
  if (messages.length) showError(messages.join(" "));
});

renderBank();
