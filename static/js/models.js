// The Models page (staff): upload a weights file for one entry with a progress bar. XMLHttpRequest,
// because fetch() reports no upload progress; the server then checks the file as `models import` does
// (webapp/studio/views.py model_upload) and the row shows the entry's new state.

function send(form) {
  const bar = form.querySelector("progress");
  const status = form.querySelector(".model-upload-status");
  const button = form.querySelector("button[type=submit]");
  const request = new XMLHttpRequest();
  request.open("POST", form.action);
  request.setRequestHeader("Accept", "application/json");
  request.upload.addEventListener("progress", (event) => {
    if (!event.lengthComputable) return;
    bar.value = Math.round((100 * event.loaded) / event.total);
    form.dataset.progress = String(bar.value); // how far the upload got (tests read it)
    status.textContent = `Uploading… ${bar.value} %`;
  });
  // Every byte is sent: the server now reads the file into the network, which takes a while for big ones.
  request.upload.addEventListener("load", () => { bar.removeAttribute("value"); status.textContent = "Checking the file…"; });
  request.addEventListener("load", () => {
    button.disabled = false;
    bar.hidden = true;
    let answer = null;
    try { answer = JSON.parse(request.responseText); } catch { answer = null; }
    if (request.status >= 200 && request.status < 300 && answer) {
      const badge = form.closest("tr").querySelector(".badge");
      badge.textContent = answer.state_label;
      badge.dataset.state = answer.state;
      badge.className = `badge ${answer.state === "not official" ? "unofficial" : "ok"}`;
      status.textContent = answer.message;
      form.dataset.result = "installed";
      return;
    }
    const message = answer?.errors?.map((e) => e.message).join(" ");
    status.textContent = message || `The upload failed (${request.status} ${request.statusText}).`;
    form.dataset.result = "refused";
  });
  request.addEventListener("error", () => {
    button.disabled = false;
    bar.hidden = true;
    status.textContent = "The upload was interrupted: check the connection and try again.";
    form.dataset.result = "refused";
  });
  button.disabled = true;
  bar.hidden = false;
  bar.value = 0;
  delete form.dataset.result;
  status.textContent = "Uploading…";
  request.send(new FormData(form));
}

document.querySelectorAll("form.model-upload").forEach((form) => {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(form);
  });
});
