// The Colorize page: upload (picker or drag-and-drop), live job cards over the
// studio socket, cancel, before/after comparison and downloads.
import { HintCanvas } from "./hints.js";
import { JobList, el } from "./jobs.js";
import { answerMessages, postJobs, showMessages, watchDropZone } from "./upload.js";

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

watchDropZone(dropZone, fileInput, setFiles);
modelSelect.addEventListener("change", updateHintPanel);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorsList.replaceChildren();
  if (!files.length) { showMessages(errorsList, ["Choose at least one image."]); return; }
  const body = new FormData();
  body.append("model", modelSelect.value);
  body.append("gamut", document.getElementById("gamut-select").value);
  if (!hintPanel.hidden && hintCanvas.hints.length) body.append("hints", JSON.stringify(hintCanvas.hints));
  files.forEach((f) => body.append("images", f, f.name));
  const button = document.getElementById("submit-button");
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


