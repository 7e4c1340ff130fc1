// What every page that submits pictures shares: a drop zone beside its file
// picker, and posting to the studio's job endpoints, whose answer is
// {jobs, errors, notice?} (webapp/studio/views.py).
import { el } from "./jobs.js";

/**
 * Call onFiles(FileList) when files are picked with `input` or dropped on `zone`.
 * The zone is also the keyboard's way in: a button (Tab reaches it) that opens the
 * picker on Enter or Space, and on a click outside its own "choose" link.
 */
export function watchDropZone(zone, input, onFiles) {
  if (input) input.addEventListener("change", () => onFiles(input.files));
  if (!zone) return;
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("over"); });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.remove("over"); });
  }
  zone.addEventListener("drop", (e) => onFiles(e.dataTransfer.files));
  if (!input) return;
  zone.tabIndex = 0;
  zone.setAttribute("role", "button");
  if (!zone.hasAttribute("aria-label")) {
    zone.setAttribute("aria-label", input.multiple ? "Choose pictures, or drop them here" : "Choose a picture, or drop it here");
  }
  zone.addEventListener("keydown", (e) => {
    if (e.target !== zone || (e.key !== "Enter" && e.key !== " ")) return;
    e.preventDefault(); // Space would scroll the page, Enter would submit the form
    input.click();
  });
  zone.addEventListener("click", (e) => {
    // The label inside already opens the picker; its click and the input's bubble up here.
    if (!e.target.closest("label, input, a, button")) input.click();
  });
}

/** POST `body` with the CSRF token; resolves to the studio's answer, never throws. */
export async function postJobs(url, body, csrf) {
  let response;
  try {
    response = await fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrf, Accept: "application/json" } });
  } catch {
    return { jobs: [], errors: [{ file: "", message: "The upload did not reach the server. Check your connection and try again." }] };
  }
  const answer = await response.json().catch(() => null);
  return answer && Array.isArray(answer.jobs) ? answer
    : { jobs: [], errors: answer?.errors || [{ file: "", message: `Upload failed (${response.status}).` }] };
}

/** The answer's errors and its notice (the queue is down: the pictures are kept and start later), as sentences. */
export function answerMessages(answer) {
  const messages = answer.errors.map((e) => (e.file ? `${e.file}: ${e.message}` : e.message));
  return answer.notice ? [...messages, answer.notice] : messages;
}

/** Show `messages` as the items of the list `list` (an aria-live region in the page's template, so they are read out). */
export function showMessages(list, messages) {
  list.replaceChildren(...messages.map((message) => el("li", {}, message)));
}
