"""The Celery app: queues `batch` (uploads, full renders) and `live` (frames, previews)."""
import logging
import os
import threading

from celery import Celery
from celery.signals import worker_ready
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("atelier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("batch"), Queue("live"))
app.autodiscover_tasks()


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
