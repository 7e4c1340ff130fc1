"""The sweeper: the database is the source of truth for jobs, the queue only delivers them.

Every batch worker runs `sweep()` when it is ready and then every
JOB_SWEEP_INTERVAL_S, in a thread of its main process (never in a pool child,
which may be busy for minutes). A worker is what every deployment runs, with
or without `manage.py studio`, so no extra process (Celery beat) is needed.
Several workers sweeping at once is harmless: `Job.requeue` is a
compare-and-set, so each stranded job is queued again once.
"""
import logging
import threading
import time

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import close_old_connections, connection, models

from .models import Job, JobSample, StyleImage

log = logging.getLogger(__name__)

UPLOAD_TEMP_MAX_AGE_S = 24 * 3600
# Visitors' unclaimed work and orphan files are judged in hours and days: once an hour is plenty.
HOUSEKEEPING_INTERVAL_S = 3600
BATCH = 500  # jobs per sweep: a backlog drains over a few sweeps, no sweep holds the database long


def sweep() -> int:
    """Queue again every stranded job (`Job.stranded`); returns how many were."""
    from .events import publish

    requeued = 0
    for job in Job.stranded().order_by("created_at")[:BATCH]:
        was = job.status
        if job.requeue():
            requeued += 1
            log.warning("job %s was %s with no live task behind it; queued again", job.id, was)
            publish(job)
    return requeued


def remove_upload_temp_files(max_age_s: float = UPLOAD_TEMP_MAX_AGE_S) -> int:
    """Delete spooled uploads older than `max_age_s`: what a killed web process left behind.
    A live upload's temporary file exists only while its request is read and handled."""
    removed = 0
    cutoff = time.time() - max_age_s
    for path in settings.FILE_UPLOAD_TEMP_DIR.glob("*"):
        try:
            if path.is_file() and path.stat().st_mtime <= cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # its request finished meanwhile
            pass
    return removed


# Where the studio stores files (models._random_name folders), and the rows that refer to them.
STORED_FOLDERS = ("originals", "uploads", "results", "thumbnails", "styles")
STORED_MODELS = (Job, JobSample, StyleImage)


def orphan_max_age_s() -> float:
    """How old an unreferenced file must be to go: older than any job can run, so a result
    stored a moment before its row is marked done is never taken for an orphan."""
    return max(3600.0, 2.0 * settings.CELERY_TASK_TIME_LIMIT)


def remove_orphan_files(max_age_s: float | None = None) -> int:
    """Delete stored files no row refers to: what a web process or worker killed between
    storing a file and committing its row left behind. Returns how many went."""
    cutoff = time.time() - (orphan_max_age_s() if max_age_s is None else max_age_s)
    referenced = set()
    for model in STORED_MODELS:
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        for row in model.objects.values_list(*fields):
            referenced.update(name for name in row if name)
    removed = 0
    for folder in STORED_FOLDERS:
        for name in _stored_files(folder):
            try:
                if name not in referenced and default_storage.get_modified_time(name).timestamp() <= cutoff:
                    default_storage.delete(name)
                    removed += 1
            except FileNotFoundError:  # deleted meanwhile
                pass
    return removed


def _stored_files(folder: str):
    """Every file under `folder` of the media storage (two levels: folder/xx/name)."""
    if not default_storage.exists(folder):
        return
    buckets, files = default_storage.listdir(folder)
    yield from (f"{folder}/{name}" for name in files)
    for bucket in buckets:
        yield from (f"{folder}/{bucket}/{name}" for name in default_storage.listdir(f"{folder}/{bucket}")[1])


def _loop(stop: threading.Event) -> None:
    from .cleanup import cleanup_visitors

    last_housekeeping = float("-inf")
    while True:
        try:
            close_old_connections()
            sweep()
            remove_upload_temp_files()
            if time.monotonic() - last_housekeeping >= HOUSEKEEPING_INTERVAL_S:
                last_housekeeping = time.monotonic()
                cleanup_visitors()
                remove_orphan_files()
        except Exception:  # the database may be restarting: try again next time
            log.warning("job sweep failed", exc_info=True)
        finally:
            connection.close()  # nothing held between sweeps, nothing inherited by a forked pool child
        if stop.wait(settings.JOB_SWEEP_INTERVAL_S):
            return


def start(stop: threading.Event | None = None) -> threading.Thread:
    """Sweep now and then every JOB_SWEEP_INTERVAL_S in a daemon thread."""
    thread = threading.Thread(target=_loop, args=(stop or threading.Event(),), name="job-sweeper", daemon=True)
    thread.start()
    return thread
