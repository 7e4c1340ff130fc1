"""The Celery app: queues `batch` (uploads, full renders) and `live` (frames, previews)."""
import os

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
