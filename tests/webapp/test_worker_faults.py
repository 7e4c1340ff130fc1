"""Faults: a worker killed mid-job, cancelling queued and running jobs, a broken model.

A job's stored original is swapped for a named pipe before a worker starts, so
the worker blocks while reading it: the job is provably mid-run when the test
acts, with no timing luck involved.
"""
import os
import threading
from pathlib import Path

import pytest

from inference import registry
from tests.waiting import wait_for
from webapp.studio.models import Job

from .conftest import grey_photo, upload

pytestmark = [pytest.mark.django_db(transaction=True)]


def submit(client) -> Job:
    response = client.post("/tools/colorize/jobs/", {"images": [upload("p.png", grey_photo())], "model": "eccv16"})
    return Job.objects.get(pk=response.json()["jobs"][0]["id"])


def status_of(job: Job) -> str:
    job.refresh_from_db()
    return job.status


@pytest.fixture
def submit_blocked(celery_worker):
    """Submit a job whose original the worker cannot read until `release()` is called."""
    threads = []

    def submit_blocked_job(client):
        celery_worker.stop()
        job = submit(client)
        path = Path(job.original.path)
        data = path.read_bytes()
        path.unlink()
        os.mkfifo(path)
        celery_worker.start()

        def release():
            def write():
                with open(path, "wb") as fifo:  # blocks until the worker opens it for reading
                    fifo.write(data)
                path.unlink()
                path.write_bytes(data)
            thread = threading.Thread(target=write, daemon=True)
            thread.start()
            threads.append(thread)

        return job, release

    yield submit_blocked_job
    for thread in threads:
        thread.join(30)


def test_job_whose_worker_dies_is_redelivered_and_finished(owner_client, celery_worker, submit_blocked):
    job, release = submit_blocked(owner_client)
    wait_for(lambda: status_of(job) == Job.Status.RUNNING)
    celery_worker.kill()  # SIGKILL to the whole worker, mid-job
    assert status_of(job) == Job.Status.RUNNING

    celery_worker.start()
    wait_for(lambda: (job.refresh_from_db() or job.attempts >= 2), timeout=90)
    release()
    wait_for(lambda: status_of(job) in (Job.Status.DONE, Job.Status.FAILED), timeout=90)
    assert job.status == Job.Status.DONE, job.message
    assert job.result.name and job.original.name


def test_cancelling_a_running_job_stops_it_and_keeps_no_result(owner_client, submit_blocked):
    job, release = submit_blocked(owner_client)
    wait_for(lambda: status_of(job) == Job.Status.RUNNING)
    response = owner_client.post(f"/jobs/{job.id}/cancel/")
    assert response.status_code == 200 and response.json()["job"]["status"] == "cancelled"
    release()
    # The next job runs after the cancelled one: once it is done, the cancelled one has been through the worker.
    follower = submit(owner_client)
    wait_for(lambda: status_of(follower) == Job.Status.DONE, timeout=90)
    assert status_of(job) == Job.Status.CANCELLED
    assert not job.result.name and not hasattr(job, "gallery_item")


def test_cancelling_a_queued_job_means_it_never_runs(owner_client, submit_blocked):
    blocker, release = submit_blocked(owner_client)
    wait_for(lambda: status_of(blocker) == Job.Status.RUNNING)
    queued = submit(owner_client)
    assert status_of(queued) == Job.Status.QUEUED
    assert owner_client.post(f"/jobs/{queued.id}/cancel/").status_code == 200
    release()
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
