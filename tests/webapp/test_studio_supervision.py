"""`manage.py studio` supervises its children: kill -9 any one of them and it comes back, the site
stays up and jobs finish; the embedded Redis keeps queued jobs and its port across a restart; a Sketch
socket open while Redis restarts draws again; several Daphne processes share the port; what a killed
Daphne left in the upload temp dir is removed at start."""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request

import pytest

from inference.paths import models_dir
from tests.waiting import wait_for

from webapp.studio.frames import SKETCH_REPLY_IMAGE, pack, unpack

from .conftest import grey_photo
from .raw_websocket import RawWebSocket
from .site_client import SiteClient
from .test_sketch_stream import drawing
from .test_studio_command import ROOT, free_port


class Studio:
    """A real `manage.py studio` process; its output read as it comes."""

    def __init__(self, data_dir, port: int, *args: str):
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "DATABASE_URL")}
        # Its models are the test run's (installed_models); JOB_* timings come from tests/settings.py.
        env.update(ATELIER_DATA_DIR=str(data_dir), ATELIER_MODELS_DIR=str(models_dir()), PYTHONUNBUFFERED="1")
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen([sys.executable, "manage.py", "studio", "--no-fetch", "--port", str(port), *args],
                                        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def pids(self, name: str) -> list[int]:
        return [int(p) for p in re.findall(rf"^{re.escape(name)} started \(pid (\d+)\)$", self.output, re.M)]

    def serving(self) -> bool:
        assert self.process.poll() is None, self.output[-3000:]
        try:
            return urllib.request.urlopen(self.url + "/", timeout=2).status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def studio(tmp_path, installed_models):
    leftover = tmp_path / "upload-tmp" / "interrupted.upload.png"
    leftover.parent.mkdir()
    leftover.write_bytes(b"half an upload")
    studio = Studio(tmp_path, free_port())
    studio.leftover = leftover
    wait_for(studio.serving, timeout=120, interval=0.5)
    yield studio
    studio.stop()


def test_each_child_killed_comes_back_and_jobs_finish(studio, tmp_path):
    assert not studio.leftover.exists() and "Removed 1 upload file" in studio.output

    client = SiteClient(studio.url)
    done = lambda ids: all(client.job(i)["status"] == "done" for i in ids)  # noqa: E731

    def submit(n: int = 1) -> list[str]:
        status, answer = client.submit("colorize", [(f"p{i}.png", grey_photo(seed=i)) for i in range(n)],
                                       {"model": "eccv16"})
        assert status == 201, answer
        return [job["id"] for job in answer["jobs"]]

    ids = submit()
    wait_for(lambda: done(ids), timeout=120, interval=0.25)

    # One live worker is "live worker", several are "live worker 1", "live worker 2", … (one per core on a CPU).
    live = re.search(r"^(live worker(?: 1)?) started", studio.output, re.M).group(1)
    for name in (live, "batch worker", "Daphne"):
        [pid] = studio.pids(name)[-1:]
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: studio.pids(name)[-1] != pid, timeout=60)
        assert re.search(rf"{name} \(pid {pid}\) exited with code -9; restarting in", studio.output)
        wait_for(studio.serving, timeout=60, interval=0.25)
        ids = submit()  # the site stays up and jobs finish
        wait_for(lambda: done(ids), timeout=120, interval=0.25)

    # Redis dies with jobs in its queue (the batch worker is frozen, so they stay queued).
    [worker] = studio.pids("batch worker")[-1:]
    [redis] = studio.pids("embedded Redis")[-1:]
    port = (tmp_path / "redis" / "port").read_text()
    os.killpg(worker, signal.SIGSTOP)
    try:
        ids = submit(3)
        assert [client.job(i)["status"] for i in ids] == ["queued"] * 3
        os.kill(redis, signal.SIGKILL)
        wait_for(lambda: studio.pids("embedded Redis")[-1] != redis, timeout=60)
    finally:
        os.killpg(worker, signal.SIGCONT)
    assert (tmp_path / "redis" / "port").read_text() == port
    assert studio.output.count("Embedded Redis on redis://127.0.0.1:" + port) == 1  # the one URL the children know
    assert any((tmp_path / "redis").glob("appendonly*"))  # its data is on disk
    wait_for(lambda: done(ids), timeout=120, interval=0.25)
    assert studio.process.poll() is None


def sketch_answer(ws: RawWebSocket, seq: int) -> tuple[str, dict]:
    """Send drawing `seq`; its answer: ("picture", header) or ("error", message)."""
    ws.send(pack({"seq": seq}, drawing(seq % 16)))
    while True:
        opcode, payload = ws.receive(timeout=120)  # an unanswered frame times out server-side in 10 s
        if opcode == 2:
            header, _ = unpack(payload, (SKETCH_REPLY_IMAGE,))
            if header["seq"] == seq:
                return "picture", header
        elif opcode == 1:
            message = json.loads(payload)
            if message.get("seq") == seq:
                return "error", message
            assert message.get("type") != "error", message  # an error that names no frame
        else:
            assert opcode == 9, (opcode, payload)  # Daphne's keep-alive pings are all that may come between


def test_a_sketch_socket_open_while_redis_restarts_draws_again(studio):
    """Redis dies under an open Sketch socket. Frames drawn meanwhile get errors that say to try again
    (before, the first one was refused and the socket then waited for it forever), and once Redis is
    back the same socket draws again: the live answers' subscription came back with it."""
    port = int(studio.url.rsplit(":", 1)[1])
    ws = RawWebSocket("127.0.0.1", port, "/ws/sketch/")
    ws.send_json({"type": "config", "model": "landscape-sketch", "dropout": False})
    assert json.loads(ws.receive()[1])["type"] == "config"
    assert sketch_answer(ws, 1)[0] == "picture"

    [redis] = studio.pids("embedded Redis")[-1:]
    os.kill(redis, signal.SIGKILL)
    answers = []

    def draws_again() -> bool:
        answers.append(sketch_answer(ws, len(answers) + 2))
        return answers[-1][0] == "picture"

    wait_for(draws_again, timeout=180, interval=0.1)
    assert studio.pids("embedded Redis")[-1] != redis
    errors = [message for kind, message in answers if kind == "error"]
    assert all(message.get("retry") for message in errors), errors
    ws.close()


def test_web_processes_share_the_port_and_each_alone_serves_the_site(tmp_path, installed_models):
    """With --web-processes 2 both Daphnes accept on the studio's one listening socket: freeze either
    and the other answers every request (with one Daphne, a frozen one leaves them all waiting)."""
    studio = Studio(tmp_path, free_port(), "--web-processes", "2")
    try:
        wait_for(studio.serving, timeout=120, interval=0.5)
        assert "Web processes: 2." in studio.output
        daphnes = [studio.pids(f"Daphne {n}")[-1] for n in (1, 2)]
        for frozen in daphnes:
            os.kill(frozen, signal.SIGSTOP)
            try:
                for _ in range(8):
                    assert urllib.request.urlopen(studio.url + "/", timeout=30).status == 200
            finally:
                os.kill(frozen, signal.SIGCONT)
        assert [studio.pids(f"Daphne {n}")[-1] for n in (1, 2)] == daphnes  # nothing was restarted meanwhile
    finally:
        studio.stop()
