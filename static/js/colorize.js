// The Colorize page: upload (picker or drag-and-drop), live job cards over the
// studio socket, cancel, before/after comparison and downloads.
import { connectStudio } from "./socket.js";
import { initAllCompares } from "./compare.js";
import { HintCanvas } from "./hints.js";

const form = document.getElementById("upload-form");
const fileInput = document.getElementById("file-input");
const dropZone = document.getElementById("drop-zone");
const chosenList = document.getElementById("chosen-files");
const errorsList = document.getElementById("upload-errors");
const modelSelect = document.getElementById("model-select");
const hintPanel = document.getElementById("hint-panel");
const jobsRoot = document.getElementById("jobs");
const socketState = document.getElementById("socket-state");
const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
const hintCanvas = new HintCanvas(
  document.getElementById("hint-canvas"),
  document.getElementById("hint-color"),
  document.getElementById("hint-count"),
);
document.getElementById("hint-clear").addEventListener("click", () => hintCanvas.clear());

let files = [];
const jobs = new Map();

function setFiles(list) {
  files = [...list];
  chosenList.replaceChildren(...files.map((f) => el("li", {}, `${f.name} (${(f.size / 1e6).toFixed(1)} MB)`)));
  updateHintPanel();
}

function updateHintPanel() {
  const takesHints = modelSelect.selectedOptions[0]?.dataset.hints === "1";
  hintPanel.hidden = !(takesHints && files.length === 1);
  if (!hintPanel.hidden) hintCanvas.show(files[0]).catch(() => { hintPanel.hidden = true; });
}

fileInput.addEventListener("change", () => setFiles(fileInput.files));
modelSelect.addEventListener("change", updateHintPanel);
for (const type of ["dragenter", "dragover"]) {
  dropZone.addEventListener(type, (e) => { e.preventDefault(); dropZone.classList.add("over"); });
}
for (const type of ["dragleave", "drop"]) {
  dropZone.addEventListener(type, (e) => { e.preventDefault(); dropZone.classList.remove("over"); });
}
dropZone.addEventListener("drop", (e) => setFiles(e.dataTransfer.files));

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorsList.replaceChildren();
  if (!files.length) { showErrors([{ file: "", message: "Choose at least one image." }]); return; }
  const body = new FormData();
  body.append("model", modelSelect.value);
  if (!hintPanel.hidden && hintCanvas.hints.length) body.append("hints", JSON.stringify(hintCanvas.hints));
  files.forEach((f) => body.append("images", f, f.name));
  const button = document.getElementById("submit-button");
  button.disabled = true;
  try {
    const response = await fetch(form.action, { method: "POST", body, headers: { "X-CSRFToken": csrf, Accept: "application/json" } });
    const data = await response.json().catch(() => ({ jobs: [], errors: [{ file: "", message: `Upload failed (${response.status}).` }] }));
    data.jobs.forEach(upsertJob);
    showErrors(data.errors);
    if (data.jobs.length) setFiles([]);
  } catch {
    showErrors([{ file: "", message: "The upload did not reach the server. Check your connection and try again." }]);
  } finally {
    button.disabled = false;
    fileInput.value = "";
  }
});

function showErrors(errors) {
  errorsList.replaceChildren(...errors.map((e) => el("li", {}, e.file ? `${e.file}: ${e.message}` : e.message)));
}

function upsertJob(job) {
  const known = jobs.get(job.id);
  // Events can arrive out of order around a reconnect: never step back from a finished state.
  if (known && isFinished(known) && !isFinished(job)) return;
  jobs.set(job.id, job);
  let card = document.getElementById(`job-${job.id}`);
  if (!card) {
    card = el("article", { id: `job-${job.id}`, class: "job" });
    jobsRoot.prepend(card);
  }
  renderCard(card, job);
}

function isFinished(job) { return ["done", "failed", "cancelled"].includes(job.status); }

function renderCard(card, job) {
  card.dataset.status = job.status;
  const children = [
    el("header", {}, el("strong", {}, job.name || "photo"), " ",
      el("span", { class: `status status-${job.status}` }, job.status), " ",
      el("span", { class: "muted small" }, `${job.model} · ${job.width}×${job.height}`)),
  ];
  if (job.notice) children.push(el("p", { class: "notice info small" }, job.notice));
  if (job.status === "done") {
    const compare = el("div", { class: "compare", "data-compare": "" },
      el("img", { class: "compare-result", src: job.result_url, alt: "Colorized" }),
      el("img", { class: "compare-original", src: job.original_url, alt: "Original" }),
      el("input", { class: "compare-range", type: "range", min: "0", max: "100", value: "50", "aria-label": "Before / after" }));
    children.push(compare);
    const actions = el("p", { class: "actions" },
      el("a", { class: "button small", href: `${job.result_url}?download=1&format=png` }, "Download PNG"),
      el("a", { class: "button small secondary", href: `${job.result_url}?download=1&format=jpeg` }, "Download JPEG"));
    if (job.item_url) actions.append(el("a", { class: "button small secondary", href: job.item_url }, "Open in gallery"));
    children.push(actions);
    if (job.timings?.run_s !== undefined) children.push(el("p", { class: "muted small" }, `rendered in ${job.timings.run_s} s`));
  } else if (job.status === "failed") {
    children.push(el("p", { class: "notice error" }, job.message || "The job failed."));
  } else if (job.status === "cancelled") {
    children.push(el("p", { class: "muted" }, "Cancelled."));
  } else {
    children.push(el("progress", { max: "1", value: String(job.progress || 0) }));
    children.push(el("p", { class: "muted small" }, job.status === "queued" ? "waiting for a worker…" : (job.stage || "running")));
    const cancel = el("button", { class: "button small secondary", type: "button" }, "Cancel");
    cancel.addEventListener("click", () => cancelJob(job));
    children.push(cancel);
  }
  card.replaceChildren(...children);
  initAllCompares(card);
}

async function cancelJob(job) {
  const response = await fetch(job.cancel_url, { method: "POST", headers: { "X-CSRFToken": csrf, Accept: "application/json" } });
  const data = await response.json().catch(() => null);
  if (data?.job) upsertJob(data.job);
}

async function refreshActive() {
  for (const job of jobs.values()) {
    if (isFinished(job)) continue;
    const response = await fetch(`/jobs/${job.id}/`, { headers: { Accept: "application/json" } });
    if (response.ok) upsertJob((await response.json()).job);
  }
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

JSON.parse(document.getElementById("initial-jobs").textContent).reverse().forEach(upsertJob);
connectStudio({
  onJob: upsertJob,
  onState: (state) => { socketState.textContent = `updates: ${state}`; socketState.dataset.state = state; },
  onReconnect: refreshActive,
});
