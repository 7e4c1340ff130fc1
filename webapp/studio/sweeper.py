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
from django.db import close_old_connections, connection

from .models import Job

log = logging.getLogger(__name__)

UPLOAD_TEMP_MAX_AGE_S = 24 * 3600
# Visitors' unclaimed work is judged in days: once an hour is plenty.
VISITOR_CLEANUP_INTERVAL_S = 3600
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


def _loop(stop: threading.Event) -> None:
    from .cleanup import cleanup_visitors

    last_cleanup = float("-inf")
    while True:
        try:
            close_old_connections()
            sweep()
            remove_upload_temp_files()
            if time.monotonic() - last_cleanup >= VISITOR_CLEANUP_INTERVAL_S:
                last_cleanup = time.monotonic()
                cleanup_visitors()
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
