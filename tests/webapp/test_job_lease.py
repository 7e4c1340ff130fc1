"""A job runs at most once at a time: `mark_running` is a compare-and-set on the row's lease."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from webapp.studio.models import Job, JobCancelled

from .conftest import make_item

pytestmark = pytest.mark.django_db


def running_job(owner) -> Job:
    job = make_item(owner).job
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED, lease="", finished_at=None)
    first = Job.objects.get(pk=job.pk)
    assert first.mark_running()
    return first


def expire(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_LEASE_S + 1))


def test_a_second_message_cannot_claim_a_job_whose_lease_is_alive(owner):
    first = running_job(owner)
    second = Job.objects.get(pk=first.pk)
    assert not second.mark_running()
    assert first.heartbeat() and not Job.stranded().filter(pk=first.pk).exists()


def test_after_the_lease_runs_out_the_job_is_stranded_and_its_old_holder_is_fenced_off(owner):
    first = running_job(owner)
    expire(first)
    assert Job.stranded().filter(pk=first.pk).exists()
    second = Job.objects.get(pk=first.pk)
    assert second.requeue() and second.status == Job.Status.QUEUED
    assert not Job.objects.get(pk=first.pk).requeue()  # another sweeper finds nothing left to do
    assert second.mark_running() and second.attempts == first.attempts + 1
    assert not first.heartbeat()
    with pytest.raises(JobCancelled):
        first.report_progress(0.5, "late")
    first.mark_failed("the old holder speaks too late")
    assert Job.objects.get(pk=first.pk).status == Job.Status.RUNNING and second.heartbeat()


def test_a_queued_job_that_never_reached_the_queue_is_stranded_after_a_grace(owner):
    job = make_item(owner).job
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED, enqueued_at=None)
    assert not Job.stranded(job.created_at + timedelta(seconds=1)).filter(pk=job.pk).exists()
    assert Job.stranded(job.created_at + timedelta(seconds=11)).filter(pk=job.pk).exists()
