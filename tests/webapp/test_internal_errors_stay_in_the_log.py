"""A bug in a job or a live render shows its owner a sentence; the exception and traceback go to the log."""
import logging
from pathlib import Path

import pytest
from django.urls import reverse

from webapp.studio.live import render_style_preview
from webapp.studio.models import Job
from webapp.studio.tasks import RENDER_FAILED, run_job
from webapp.studio.tools import open_original

from .conftest import grey_photo, upload

pytestmark = pytest.mark.usefixtures("installed_models")


def _logged_tracebacks(caplog) -> str:
    return "\n".join(record.exc_text or "" for record in caplog.records if record.levelno >= logging.ERROR)


def test_a_job_failing_on_a_bug_shows_a_sentence_and_logs_the_traceback(client, db, caplog):
    response = client.post(reverse("submit_jobs", args=["colorize"]), {"images": [upload("p.png", grey_photo())], "model": "eccv16"})
    job = Job.objects.get(pk=response.json()["jobs"][0]["id"])
    job.mark_running()
    open_original(job)  # the worker's first step: the upload becomes the prepared PNG
    job.refresh_from_db()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)
    Path(job.original.path).write_bytes(b"the stored original was damaged on disk")  # Pillow raises, unplanned

    with caplog.at_level(logging.ERROR):
        run_job(str(job.pk))

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.as_event()["message"] == RENDER_FAILED
    assert "Error" not in RENDER_FAILED and "cannot identify" not in job.as_event()["message"]
    logged = _logged_tracebacks(caplog)
    assert "Traceback" in logged and "UnidentifiedImageError" in logged


def test_a_live_render_failing_on_a_bug_answers_a_sentence_and_logs_the_traceback(caplog):
    with caplog.at_level(logging.ERROR):
        answer = render_style_preview({}, "abc", seq=7)  # not base64: binascii raises, unplanned

    assert answer["type"] == "live.error" and answer["seq"] == 7
    assert answer["message"] == "The preview could not be rendered; the error was logged."
    logged = _logged_tracebacks(caplog)
    assert "Traceback" in logged and "binascii.Error" in logged
