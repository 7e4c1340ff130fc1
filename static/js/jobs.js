// Job cards shared by the upload tools: live status over the studio socket,
// cancel, before/after comparison, downloads. A card never steps back from a
// finished state, and a reconnect asks the server for the jobs still running.
import { initAllCompares } from "./compare.js";
import { connectStudio } from "./socket.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

export function compareView(job, resultLabel = "Result") {
  return el("div", { class: "compare", "data-compare": "" },
    el("img", { class: "compare-result", src: job.result_url, alt: resultLabel }),
    el("img", { class: "compare-original", src: job.original_url, alt: "Original" }),
    el("input", { class: "compare-range", type: "range", min: "0", max: "100", value: "50", "aria-label": "Before / after" }));
}

function isFinished(job) { return ["done", "failed", "cancelled"].includes(job.status); }

/** What a screen reader says when a job reaches `job.status`. */
function statusSentence(job) {
  const name = job.name || "photo";
  switch (job.status) {
    case "queued": return `${name}: waiting for a worker.`;
    case "running": return `${name}: running.`;
    case "done": return `${name}: done.`;
    case "failed": return `${name} failed: ${job.message || "the job failed."}`;
    case "cancelled": return `${name}: cancelled.`;
    default: return `${name}: ${job.status}.`;
  }
}

export class JobList {
  // renderResult(job) -> [elements]: a page's own view of a finished job (default: before/after slider).
  constructor(root, { csrf, resultLabel = "Result", socketState = null, renderResult = null }) {
    this.root = root;
    this.csrf = csrf;
    this.resultLabel = resultLabel;
    this.renderResult = renderResult;
    this.jobs = new Map();
    const initial = document.getElementById("initial-jobs");
    if (initial) JSON.parse(initial.textContent).reverse().forEach((job) => this.upsert(job));
    this.announcer = document.getElementById("jobs-announcer"); // after the jobs already there: nothing new to say
    connectStudio({
      onJob: (job) => this.upsert(job),
      onState: (state) => {
        if (!socketState) return;
        socketState.textContent = `updates: ${state}`;
        socketState.dataset.state = state;
      },
      onReconnect: () => this.refreshActive(),
    });
  }

  upsert(job) {
    const known = this.jobs.get(job.id);
    // Events can arrive out of order around a reconnect: never step back from a finished state.
    if (known && isFinished(known) && !isFinished(job)) return;
    this.jobs.set(job.id, job);
    // Only changes of state are read out (progress ticks would drown everything else).
    if (this.announcer && known?.status !== job.status) this.announcer.textContent = statusSentence(job);
    let card = document.getElementById(`job-${job.id}`);
    if (!card) {
      card = el("article", { id: `job-${job.id}`, class: "job" });
      this.root.prepend(card);
    }
    this.render(card, job);
  }

  render(card, job) {
    card.dataset.status = job.status;
    card.setAttribute("aria-busy", String(!isFinished(job)));
    const children = [
      el("header", {}, el("strong", {}, job.name || "photo"), " ",
        el("span", { class: `status status-${job.status}` }, job.status), " ",
        el("span", { class: "muted small" }, `${job.model} · ${job.width}×${job.height}`)),
    ];
    if (job.notice) children.push(el("p", { class: "notice info small" }, job.notice));
    if (job.status === "done") {
      children.push(...(this.renderResult ? this.renderResult(job) : [compareView(job, this.resultLabel)]));
      const actions = el("p", { class: "actions" },
        el("a", { class: "button small", href: `${job.result_url}?download=1&format=png` }, "Download PNG"),
        el("a", { class: "button small secondary", href: `${job.result_url}?download=1&format=jpeg` }, "Download JPEG"));
      // Chaining: the result becomes Upscale's input without leaving the server.
      if (job.samples?.length === 1) actions.append(el("a", { class: "button small secondary upscale-this", href: job.samples[0].upscale_url }, "Upscale this"));
      if (job.edit_url) actions.append(el("a", { class: "button small secondary continue-editing", href: job.edit_url }, "Continue editing"));
      if (job.item_url) actions.append(el("a", { class: "button small secondary", href: job.item_url }, "Open in gallery"));
      children.push(actions);
      if (job.timings?.run_s !== undefined) children.push(el("p", { class: "muted small" }, `rendered in ${job.timings.run_s} s`));
    } else if (job.status === "failed") {
      children.push(el("p", { class: "notice error" }, job.message || "The job failed."));
    } else if (job.status === "cancelled") {
      children.push(el("p", { class: "muted" }, "Cancelled."));
    } else {
      children.push(el("progress", { max: "1", value: String(job.progress || 0), "aria-label": `Progress of ${job.name || "photo"}` }));
      children.push(el("p", { class: "muted small" }, job.status === "queued" ? "waiting for a worker…" : (job.stage || "running")));
      const cancel = el("button", { class: "button small secondary", type: "button" }, "Cancel");
      cancel.addEventListener("click", () => this.cancel(job));
      children.push(cancel);
    }
    card.replaceChildren(...children);
    initAllCompares(card);
  }

  async cancel(job) {
    const response = await fetch(job.cancel_url, { method: "POST", headers: { "X-CSRFToken": this.csrf, Accept: "application/json" } });
    const data = await response.json().catch(() => null);
    if (data?.job) this.upsert(data.job);
  }

  async refreshActive() {
    for (const job of this.jobs.values()) {
      if (isFinished(job)) continue;
      const response = await fetch(job.url, { headers: { Accept: "application/json" } });
      if (response.ok) this.upsert((await response.json()).job);
    }
  }
}
