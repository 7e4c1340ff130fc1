"""`manage.py studio` starts Redis, a worker and Daphne with one command; Ctrl-C stops them all."""
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.waiting import wait_for
from webapp.processes import live_layout, web_processes

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> set[int]:
    found, frontier = set(), [pid]
    while frontier:
        parent = frontier.pop()
        for path in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = path.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                child = int(path.parent.name)
                found.add(child)
                frontier.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_one_command_starts_everything_and_ctrl_c_stops_it(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "DATABASE_URL", "ATELIER_MODELS_DIR")}
    env.update(ATELIER_DATA_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "manage.py", "studio", "--no-fetch", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def colorize_page() -> str | None:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/tools/colorize/", timeout=2).read().decode()
        except OSError:
            assert process.poll() is None, process.stdout.read()
            return None

    try:
        page = wait_for(colorize_page, timeout=90, interval=0.5)
        assert "Colorize" in page and "python manage.py models fetch eccv16" in page  # no model yet: says how
        started = children_of(process.pid)
        assert len(started) >= 4  # redis-server, batch worker (+ its pool child), live worker, daphne
        # The live workers this machine gets by default (processes.live_layout), each told its torch threads.
        import torch

        workers, threads = live_layout(0, 0, gpu=torch.cuda.is_available(), cores=len(os.sched_getaffinity(0)))
        live = [pid for pid in started if b"-Q\0live" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(live) == workers
        assert all(f"LIVE_TORCH_THREADS={threads}".encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                   for pid in live)
        daphnes = [pid for pid in started if b"-m\0daphne" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(daphnes) == web_processes(0, gpu=torch.cuda.is_available(), cores=len(os.sched_getaffinity(0)))
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
    assert process.returncode == 0, output
    assert "Embedded Redis" in output and "Stopped." in output
    wait_for(lambda: not [pid for pid in started if alive(pid)], timeout=30)
    assert (tmp_path / "db.sqlite3").exists()


def test_without_network_the_studio_says_what_is_missing_and_how_to_install_it(monkeypatch, tmp_path, capsys):
    import dataclasses
    import io

    from inference import registry
    from webapp.studio.management.commands.studio import Command

    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path))
    for name in ("eccv16", "siggraph17"):
        unreachable = dataclasses.replace(registry.get_spec(name), url="http://127.0.0.1:9/weights.pth")
        monkeypatch.setitem(registry.REGISTRY, name, unreachable)
    err = io.StringIO()
    command = Command(stdout=io.StringIO(), stderr=err)
    command.fetch_default_models()
    command.report_missing_models()
    text = err.getvalue()
    assert "Could not fetch eccv16" in text and "Could not fetch siggraph17" in text
    assert "python manage.py models fetch eccv16" in text and "python manage.py models fetch siggraph17" in text
    # Offline, the fetch command cannot work: each message also gives the file's address and the import command.
    assert "download http://127.0.0.1:9/weights.pth and run: python manage.py models import eccv16 FILE" in text
    assert "python manage.py models import siggraph17 FILE" in text
    assert not list(tmp_path.iterdir())
