"""The Celery app: queues `batch` (uploads, full renders) and `live` (frames, previews)."""
import logging
import os
import threading

from celery import Celery
from celery.signals import celeryd_init, worker_ready
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("atelier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("batch"), Queue("live"))
app.autodiscover_tasks()


@celeryd_init.connect
def live_worker_acks_in_memory(conf, options, **kwargs):
    """A worker of the live queue alone keeps its unacknowledged messages in memory.

    Redis's transport otherwise copies every message it delivers into an unacked hash
    and deletes it on the ack, two MULTI/EXEC pipelines a frame: a third of a live
    worker's Python time under bench/sketch_load.py. That copy exists to deliver a
    message again after a worker dies, which a live frame does not want (its tasks are
    at most once, acks_late=False): the client's watchdog times it out and its next
    drawing replaces it. Batch workers keep the copy (docs/reliability.md).
    """
    if set(options.get("queues") or ()) == {"live"}:
        conf.broker_transport_options = {**conf.broker_transport_options, "ack_emulation": False}


@worker_ready.connect
def start_job_sweeper(sender, **kwargs):
    """Batch workers re-queue jobs that lost their task (webapp/studio/sweeper.py)."""
    if "batch" in sender.app.amqp.queues.consume_from:
        from webapp.studio import sweeper

        sweeper.start()


@worker_ready.connect
def prepare_live_worker(sender, **kwargs):
    """Live workers: no log line per frame (Celery's "received"/"succeeded" go to DEBUG), the process
    tuned for live work (LIVE_TORCH_THREADS; inference/live.py: prepare_live_process), and the Sketch
    models of LIVE_WARM_MODELS loaded and warmed up so the first frame does not wait for them."""
    if "live" not in sender.app.amqp.queues.consume_from:
        return
    for name in ("celery.app.trace", "celery.worker.strategy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from django.conf import settings

    from inference.live import prepare_live_process
    from webapp.studio.live import warm_live_models

    prepare_live_process(settings.LIVE_TORCH_THREADS)  # before any torch work: previews need it too

    threading.Thread(target=warm_live_models, name="live-warm-up", daemon=True).start()
