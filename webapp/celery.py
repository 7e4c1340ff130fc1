"""The Celery app: queues `batch` (uploads, full renders) and `live` (frames, previews)."""
import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("atelier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("batch"), Queue("live"))
app.autodiscover_tasks()
