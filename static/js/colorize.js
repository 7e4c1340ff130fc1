// The Colorize page: upload (picker or drag-and-drop), live job cards over the
// studio socket, cancel, before/after comparison and downloads.
import { HintCanvas } from "./hints.js";
import { JobList, el } from "./jobs.js";

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
const jobList = new JobList(jobsRoot, { csrf, resultLabel: "Colorized", socketState });

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
  body.append("gamut", document.getElementById("gamut-select").value);
  if (!hintPanel.hidden && hintCanvas.hints.length) body.append("hints", JSON.stringify(hintCanvas.hints));
  files.forEach((f) => body.append("images", f, f.name));
  const button = document.getElementById("submit-button");
  button.disabled = true;
  try {
    const response = await fetch(form.action, { method: "POST", body, headers: { "X-CSRFToken": csrf, Accept: "application/json" } });
    const data = await response.json().catch(() => ({ jobs: [], errors: [{ file: "", message: `Upload failed (${response.status}).` }] }));
    data.jobs.forEach((job) => jobList.upsert(job));
    // A notice (the queue is down: the jobs are kept and start later) is shown with the errors.
    showErrors(data.notice ? [...data.errors, { file: "", message: data.notice }] : data.errors);
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

