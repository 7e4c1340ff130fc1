// The Upscale page: upload (or a result chained from another tool), pick a model;
// PRSR jobs show their samples side by side beside the input at the same display
// size (nearest neighbour, so the invented pixels stay visible); RRDBNet jobs show
// a before/after slider at full resolution with zoom.
import { initAllCompares } from "./compare.js";
import { exampleCycle } from "./examples.js";
import { JobList, el } from "./jobs.js";
import { pressOnly } from "./toggles.js";
import { answerMessages, postJobs, showMessages, watchDropZone } from "./upload.js";

const form = document.getElementById("upload-form");
const fileInput = document.getElementById("file-input");
const dropZone = document.getElementById("drop-zone");
const chosenList = document.getElementById("chosen-files");
const errorsList = document.getElementById("upload-errors");
const modelSelect = document.getElementById("model-select");
const samplerSettings = document.getElementById("sampler-settings");
const temperature = document.getElementById("temperature");
const temperatureValue = document.getElementById("temperature-value");
const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
const chainUrl = form.dataset.chainUrl;

let files = [];
const jobList = new JobList(document.getElementById("jobs"), {
  csrf, resultLabel: "Upscaled", socketState: document.getElementById("socket-state"), renderResult,
});

function drawsSamples(job) { return job.params && "samples" in job.params; }

function renderResult(job) {
  return drawsSamples(job) ? [samplesView(job)] : zoomCompare(job);
}

function samplesView(job) {
  const figures = [el("figure", { class: "sample input" },
    el("img", { src: job.original_url, alt: "Input", class: "pixelated" }),
    el("figcaption", { class: "muted small" }, "input"))];
  job.samples.forEach((sample, i) => figures.push(el("figure", { class: "sample", "data-sample": String(i) },
    el("img", { src: sample.url, alt: `Sample ${i + 1}`, class: "pixelated" }),
    el("figcaption", { class: "small" }, `sample ${i + 1} `,
      el("a", { href: `${sample.url}?download=1&format=png` }, "PNG"), " · ",
      el("a", { class: "upscale-this", href: sample.upscale_url }, "Upscale this")))));
  const caption = el("p", { class: "muted small" },
    `temperature ${job.params.temperature} · seed ${job.params.seed} (sample k uses seed + k)`);
  return el("div", {}, el("div", { class: "samples" }, ...figures), caption);
}

function zoomCompare(job) {
  const result = el("img", { class: "compare-result", src: job.result_url, alt: "Upscaled" });
  const stack = el("div", { class: "compare-stack" }, result,
    el("img", { class: "compare-original pixelated", src: job.original_url, alt: "Original" }));
  const frame = el("div", { class: "zoom-frame" }, stack);
  const root = el("div", { class: "zoom-compare", "data-compare": "" }, frame,
    el("input", { class: "compare-range", type: "range", min: "0", max: "100", value: "50", "aria-label": "Before / after" }));
  const buttons = [["Fit", 0], ["1:1", 1], ["2×", 2], ["4×", 4]].map(([label, zoom]) => {
    const button = el("button", { type: "button", class: "button small secondary", "data-zoom": String(zoom) }, label);
    button.addEventListener("click", () => {
      // Full resolution is the result's own pixels: 1:1 is its natural width, not the card's.
      stack.style.width = zoom ? `${result.naturalWidth * zoom}px` : "";
      pressOnly(buttons, button);
    });
    return button;
  });
  pressOnly(buttons, buttons[0]);
  return [root, el("p", { class: "zoom-buttons" }, "Zoom ", ...buttons)];
}

const exampleButton = document.getElementById("example");

function updateSettings() {
  const option = modelSelect.selectedOptions[0];
  samplerSettings.hidden = option?.dataset.sampler !== "1";
  if (exampleButton) exampleButton.hidden = !option?.dataset.examples;
}

// An example face (models trained on procedural faces have them: inference/examples.py) becomes the
// chosen file, as if picked: a first try that already suits the model.
if (exampleButton) {
  const nextExample = exampleCycle(Number(exampleButton.dataset.count));
  exampleButton.addEventListener("click", async () => {
    const example = await nextExample(modelSelect.selectedOptions[0].dataset.examples);
    if (!example) {
      showMessages(errorsList, ["The example could not be loaded; try again."]);
      return;
    }
    setFiles([new File([example.blob], `example-face-${example.index + 1}.png`, { type: "image/png" })]);
  });
}
modelSelect.addEventListener("change", updateSettings);
temperature.addEventListener("input", () => { temperatureValue.textContent = Number(temperature.value).toFixed(2); });
updateSettings();

function setFiles(list) {
  files = [...list];
  chosenList.replaceChildren(...files.map((f) => el("li", {}, `${f.name} (${(f.size / 1e6).toFixed(1)} MB)`)));
}

watchDropZone(dropZone, fileInput, setFiles);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorsList.replaceChildren();
  if (!chainUrl && !files.length) { showMessages(errorsList, ["Choose at least one image."]); return; }
  const body = new FormData();
  body.append("model", modelSelect.value);
  if (!samplerSettings.hidden) {
    for (const name of ["temperature", "samples", "seed"]) body.append(name, document.getElementById(name).value);
  }
  if (chainUrl) body.append("sample", form.dataset.chainSample);
  files.forEach((f) => body.append("images", f, f.name));
  const button = document.getElementById("submit-button");
  button.disabled = true;
  try {
    const answer = await postJobs(chainUrl || form.action, body, csrf);
    answer.jobs.forEach((job) => jobList.upsert(job));
    showMessages(errorsList, answerMessages(answer));
    if (answer.jobs.length) setFiles([]);
  } finally {
    button.disabled = false;
    if (fileInput) fileInput.value = "";
  }
});


initAllCompares();
