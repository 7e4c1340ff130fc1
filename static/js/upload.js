// What every page that submits pictures shares: a drop zone beside its file
// picker, and posting to the studio's job endpoints, whose answer is
// {jobs, errors, notice?} (webapp/studio/views.py).
import { el } from "./jobs.js";

/** Call onFiles(FileList) when files are picked with `input` or dropped on `zone`. */
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

/** Show `messages` as the items of the list `list`. */
export function showMessages(list, messages) {
  list.replaceChildren(...messages.map((message) => el("li", {}, message)));
}
