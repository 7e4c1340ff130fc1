"""Faults: a worker killed mid-job, cancelling queued and running jobs.

The model file is swapped for a named pipe, so the worker blocks while
loading it: the job is provably mid-run when the test acts, with no timing luck.
"""
import os
import threading

import pytest

from inference import registry
from webapp.studio.models import Job

from .conftest import grey_photo, upload, wait_for

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def blocking_model(celery_worker):
    """Replace eccv16's weights with a FIFO; `release()` feeds the real bytes to whoever reads."""
    spec = registry.get_spec("eccv16")
    real = spec.path.with_suffix(".real")
    os.replace(spec.path, real)
    os.mkfifo(spec.path)
    writers = []

    def release():
        def write():
            with open(spec.path, "wb") as fifo:  # blocks until the worker opens it
                fifo.write(real.read_bytes())
        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        writers.append(thread)

    # A fresh worker: the running one may hold the model in memory already.
    celery_worker.stop()
    celery_worker.start()
    yield release
    for thread in writers:
        thread.join(30)
    os.remove(spec.path)
    os.replace(real, spec.path)


def submit(client) -> Job:
    response = client.post("/tools/colorize/jobs/", {"images": [upload("p.png", grey_photo())], "model": "eccv16"})
    return Job.objects.get(pk=response.json()["jobs"][0]["id"])


def status_of(job: Job) -> str:
    job.refresh_from_db()
    return job.status


def test_job_whose_worker_dies_is_redelivered_and_finished(owner_client, celery_worker, blocking_model):
    job = submit(owner_client)
    wait_for(lambda: status_of(job) == Job.Status.RUNNING)
    celery_worker.kill()  # SIGKILL to the whole worker, mid-job
    assert status_of(job) == Job.Status.RUNNING

    celery_worker.start()
    wait_for(lambda: (job.refresh_from_db() or job.attempts >= 2), timeout=90)
    blocking_model()
    wait_for(lambda: status_of(job) in (Job.Status.DONE, Job.Status.FAILED), timeout=90)
    assert job.status == Job.Status.DONE, job.message
    assert job.result.name and job.original.name


def test_cancelling_a_running_job_stops_it_and_keeps_no_result(owner_client, blocking_model):
    job = submit(owner_client)
    wait_for(lambda: status_of(job) == Job.Status.RUNNING)
    response = owner_client.post(f"/jobs/{job.id}/cancel/")
    assert response.status_code == 200 and response.json()["job"]["status"] == "cancelled"
    blocking_model()
    # The next job runs after the cancelled one: once it is done, the cancelled one has been through the worker.
    follower = submit(owner_client)
    wait_for(lambda: status_of(follower) == Job.Status.DONE, timeout=90)
    assert status_of(job) == Job.Status.CANCELLED
    assert not job.result.name and not hasattr(job, "gallery_item")


def test_cancelling_a_queued_job_means_it_never_runs(owner_client, celery_worker, blocking_model):
    blocker = submit(owner_client)
    wait_for(lambda: status_of(blocker) == Job.Status.RUNNING)
    queued = submit(owner_client)
    assert status_of(queued) == Job.Status.QUEUED
    assert owner_client.post(f"/jobs/{queued.id}/cancel/").status_code == 200
    blocking_model()
    wait_for(lambda: status_of(blocker) == Job.Status.DONE, timeout=90)
    follower = submit(owner_client)
    wait_for(lambda: status_of(follower) == Job.Status.DONE, timeout=90)
    queued.refresh_from_db()
    assert queued.status == Job.Status.CANCELLED and queued.attempts == 0 and not queued.result.name


def test_finished_job_cannot_be_cancelled(owner_client, celery_worker):
    job = submit(owner_client)
    wait_for(lambda: status_of(job) == Job.Status.DONE, timeout=90)
    assert owner_client.post(f"/jobs/{job.id}/cancel/").status_code == 409
    assert status_of(job) == Job.Status.DONE


def test_job_with_a_broken_model_fails_with_its_reason_and_keeps_its_original(owner_client, celery_worker):
    spec = registry.get_spec("eccv16")
    real = spec.path.with_suffix(".real")
    os.replace(spec.path, real)
    spec.path.write_bytes(b"this is not a checkpoint")
    try:
        celery_worker.stop()
        celery_worker.start()
        job = submit(owner_client)
        wait_for(lambda: status_of(job) in (Job.Status.DONE, Job.Status.FAILED), timeout=90)
    finally:
        os.replace(real, spec.path)
    assert job.status == Job.Status.FAILED and job.message
    assert owner_client.get(f"/jobs/{job.id}/original/").status_code == 200
