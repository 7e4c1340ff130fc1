"""The database is the source of truth for jobs: a queue lost with a Redis restart, a broker that is
down when files are submitted, or a worker killed mid-job never loses a job.

Runs its own stack: a private redis-server that keeps nothing across a restart (the worst a service
Redis can do), Daphne and a batch worker on it, sharing the test database. The suite's own worker
is stopped meanwhile, so only this stack's sweeper can bring a job back. The worker's visibility
timeout is an hour: a job that comes back sooner was brought back by the sweeper, not by kombu.
"""
import json
import os
import signal
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import Worker, start_daphne
from tests.waiting import wait_for
from webapp import processes
from webapp.embedded_redis import EmbeddedRedis
from webapp.studio.models import Job

from .conftest import grey_photo
from .raw_websocket import RawWebSocket
from .site_client import SiteClient

pytestmark = [pytest.mark.django_db(transaction=True)]


class Stack:
    def __init__(self, base: Path):
        self.redis = EmbeddedRedis(base / "redis")
        env = {"REDIS_URL": self.redis.start(), "CELERY_VISIBILITY_TIMEOUT": "3600"}
        self.worker = Worker(base, lambda n: processes.worker_command(name=f"recovery{n}"), env=env)
        self.worker.start()
        self.daphne, self.port = start_daphne(base / "daphne.log", env)
        self.url = f"http://127.0.0.1:{self.port}"

    def restart_redis(self) -> None:
        self.redis.stop()
        self.redis.start()  # same port, empty: every queued message is gone

    def kill_and_restart_redis(self) -> None:
        """kill -9 (nothing flushed, every pooled connection left dangling), then start on the same port."""
        self.redis.process.send_signal(signal.SIGKILL)
        self.redis.process.wait()
        self.redis.start()

    def close(self) -> None:
        processes.stop(self.daphne)
        self.worker.stop()
        self.redis.stop()


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, installed_models, celery_worker, tmp_path_factory):
    celery_worker.stop()
    stack = Stack(tmp_path_factory.mktemp("recovery-stack"))
    yield stack
    stack.close()
    celery_worker.start()


def photos(n: int) -> list[tuple[str, bytes]]:
    return [(f"p{i}.png", grey_photo(seed=i)) for i in range(n)]


def all_done(ids: list[str]) -> bool:
    return Job.objects.filter(pk__in=ids, status=Job.Status.DONE).count() == len(ids)


def test_jobs_queued_when_redis_restarts_and_loses_its_queue_all_finish(stack):
    stack.worker.stop()
    status, answer = SiteClient(stack.url).submit("colorize", photos(3), {"model": "eccv16"})
    assert status == 201, answer
    ids = [job["id"] for job in answer["jobs"]]
    assert Job.objects.filter(pk__in=ids, status=Job.Status.QUEUED, enqueued_at__isnull=False).count() == 3

    stack.restart_redis()
    stack.worker.start()
    wait_for(lambda: all_done(ids), timeout=120, interval=0.25)


def test_after_redis_is_killed_and_restarted_the_first_sockets_and_submissions_work(stack):
    client = SiteClient(stack.url)
    assert client.get(reverse("tool", args=["colorize"]))[0] == 200  # a session with a visitor token
    before = RawWebSocket("127.0.0.1", stack.port, "/ws/studio/", cookie=client.cookie_header())
    before.send_json({"type": "ping"})
    assert json.loads(before.receive()[1])["type"] == "pong"
    before.close()

    stack.kill_and_restart_redis()
    # Daphne was not restarted: its channel layer's pooled connections all died with Redis.
    sockets = [RawWebSocket("127.0.0.1", stack.port, "/ws/studio/", cookie=client.cookie_header())
               for _ in range(5)]
    for ws in sockets:
        ws.send_json({"type": "ping"})
    assert [json.loads(ws.receive()[1])["type"] for ws in sockets] == ["pong"] * 5
    status, answer = client.submit("colorize", photos(1), {"model": "eccv16"})
    assert status == 201 and "notice" not in answer, answer
    job_id = answer["jobs"][0]["id"]
    # The job runs, and its events reach the sockets opened after the restart (group join and send).
    events = []
    while not events or events[-1]["status"] != "done":
        message = json.loads(sockets[0].receive(timeout=120)[1])
        if message["type"] == "job" and message["job"]["id"] == job_id:
            events.append(message["job"])
    assert Job.objects.get(pk=job_id).status == Job.Status.DONE
    for ws in sockets:
        ws.close()


def test_submission_while_the_broker_is_down_keeps_every_file_and_runs_them_later(stack):
    client = SiteClient(stack.url)
    client.get("/")  # session first: the page itself needs no broker
    stack.redis.stop()
    status, answer = client.submit("colorize", photos(3), {"model": "eccv16"})
    assert status == 201, answer
    assert "queue is not reachable" in answer["notice"] and not answer["errors"]
    ids = [job["id"] for job in answer["jobs"]]
    assert len(ids) == 3
    assert Job.objects.filter(pk__in=ids, status=Job.Status.QUEUED, enqueued_at__isnull=True).count() == 3

    stack.redis.start()  # back on the same port: the worker reconnects, its sweeper queues the rows
    wait_for(lambda: all_done(ids), timeout=120, interval=0.25)
    assert [client.job(i)["status"] for i in ids] == ["done"] * 3


def test_job_of_a_worker_killed_mid_job_runs_again_within_lease_and_sweep_interval(stack):
    stack.worker.stop()
    client = SiteClient(stack.url)
    status, answer = client.submit("colorize", photos(1), {"model": "eccv16"})
    assert status == 201, answer
    job = Job.objects.get(pk=answer["jobs"][0]["id"])
    # The original becomes a named pipe: the worker blocks reading it, provably mid-job.
    path = Path(job.original.path)
    data = path.read_bytes()
    path.unlink()
    os.mkfifo(path)
    stack.worker.start()
    wait_for(lambda: Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).exists(), timeout=60)
    beat = Job.objects.get(pk=job.pk).heartbeat_at
    wait_for(lambda: Job.objects.get(pk=job.pk).heartbeat_at > beat, timeout=30)  # the task renews its lease
    stack.worker.kill()

    writer = threading.Thread(target=_feed, args=(path, data), daemon=True)
    writer.start()
    stack.worker.start()
    # Documented bound (settings, docs/reliability.md): a dead worker's job is queued again
    # within JOB_LEASE_S + JOB_SWEEP_INTERVAL_S; a few seconds more for a worker to take it.
    wait_for(lambda: Job.objects.get(pk=job.pk).attempts >= 2,
             timeout=settings.JOB_LEASE_S + settings.JOB_SWEEP_INTERVAL_S + 10, interval=0.1)
    wait_for(lambda: Job.objects.get(pk=job.pk).status == Job.Status.DONE, timeout=90)
    writer.join(30)
    job.refresh_from_db()
    assert job.attempts == 2 and job.result.name  # ran again once, not twice at a time


def _feed(path: Path, data: bytes) -> None:
    with open(path, "wb") as fifo:  # blocks until the second attempt opens it
        fifo.write(data)
    path.unlink()
    path.write_bytes(data)
