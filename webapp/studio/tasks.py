"""Celery tasks: thin adapters from a Job row to an `inference` pipeline."""
import logging
import threading
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection

from inference.errors import InferenceError

from .events import publish
from .models import Job, JobCancelled
from .tools import TOOLS, open_original

log = logging.getLogger(__name__)

# Progress events at most this often, so a fast pipeline doesn't flood the socket.
PROGRESS_INTERVAL_S = 0.25
# What the owner reads when a job fails on a bug: the details go to the log only.
RENDER_FAILED = "Something went wrong while rendering this image. The error was logged; try again, or another model."


class Heartbeat:
    """`with Heartbeat(job):` renews the job's lease every JOB_HEARTBEAT_S from a thread,
    so a long forward pass with no progress callback still shows a live task, and a
    worker that dies stops renewing it (the sweeper then queues the job again)."""

    def __init__(self, job: Job):
        self.job = job
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-{job.pk}", daemon=True)

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(settings.JOB_HEARTBEAT_S):
                if not self.job.heartbeat():
                    return  # cancelled or taken over: progress and the outcome will be refused too
        except Exception:  # a database hiccup: the next progress report or the sweeper will tell
            log.warning("heartbeat of job %s failed", self.job.pk, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self) -> "Heartbeat":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join()


@shared_task(name="studio.run_job", acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: str) -> None:
    job = Job.objects.filter(pk=job_id).first()
    if job is None or not job.mark_running():
        return  # deleted, cancelled, finished or running elsewhere: this message has nothing to do
    publish(job)
    with Heartbeat(job):
        _render(job)
    publish(job)


def _render(job: Job) -> None:
    started = time.perf_counter()
    last_event = [0.0]

    def progress(fraction: float, stage: str) -> None:
        job.report_progress(fraction, stage)
        now = time.perf_counter()
        if now - last_event[0] >= PROGRESS_INTERVAL_S:
            last_event[0] = now
            publish(job)

    try:
        image = open_original(job)
        rendered = TOOLS[job.tool].render(job, image, progress)
        job.store_samples(rendered if isinstance(rendered, list) else [rendered])
        timings = {
            "queued_s": round((job.started_at - job.created_at).total_seconds(), 3),
            "run_s": round(time.perf_counter() - started, 3),
            "attempts": job.attempts,
        }
        job.mark_done(timings)  # sends job_done: the gallery keeps the result
    except JobCancelled:
        job.refresh_from_db()
    except SoftTimeLimitExceeded:
        job.mark_failed("The job took longer than the time limit and was stopped.")
    except InferenceError as exc:
        job.mark_failed(str(exc))
    except Exception:
        log.exception("job %s failed", job.pk)
        job.mark_failed(RENDER_FAILED)


@shared_task(name="live.render_frame", ignore_result=True, acks_late=False)
def render_frame(model_name: str, options: dict, frame: bytes | str, reply_channel: str, seq: int,
                 sent_at: float | None = None) -> None:
    """Render one live frame and send it straight back to the client's channel.

    At most once, unlike batch jobs: a lost frame is simply replaced by the client's next one.
    ``frame``: the drawing's bytes (the consumer sends msgpack; base64 text is accepted too).
    """
    from .live import render_live_frame, send_reply

    send_reply(reply_channel, render_live_frame(model_name, options, frame, seq, sent_at))


@shared_task(name="live.preview_style", ignore_result=True, acks_late=False)
def preview_style(blend: dict, photo_b64: str, reply_channel: str, seq: int) -> None:
    """Render a low-resolution Stylize preview and send it straight back to the client's channel."""
    from .live import render_style_preview, send_reply

    send_reply(reply_channel, render_style_preview(blend, photo_b64, seq))


@shared_task(name="live.preview_colorize", ignore_result=True, acks_late=False)
def preview_colorize(preview: dict, photo_b64: str, reply_channel: str, seq: int) -> None:
    """Render a Colorize hint preview (and suggested colours) and send it straight back to the client's channel."""
    from .live import render_colorize_preview, send_reply

    send_reply(reply_channel, render_colorize_preview(preview, photo_b64, seq))


@shared_task(name="live.edit_update", ignore_result=True, acks_late=False)
def edit_update(model_name: str, params: dict, start: dict | None, state: dict | None, reply_channel: str, seq: int,
                epoch: int) -> None:
    """Apply one Edit request's strokes (webapp/studio/edit_live.py) and send the picture and the new state back."""
    from .edit_live import render_edit_update
    from .live import send_reply

    send_reply(reply_channel, render_edit_update(model_name, params, start, state, seq, epoch))


@shared_task(name="studio.render_style_previews", acks_late=True)
def render_style_previews(model_name: str) -> None:
    """Render the missing style-card previews of an installed style model (asked for by the Stylize page)."""
    from inference.registry import get_spec
    from inference.style_previews import render_previews

    try:
        render_previews(get_spec(model_name))
    except InferenceError:
        log.warning("could not render the style previews of %s", model_name, exc_info=True)
