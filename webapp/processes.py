"""Command lines and lifecycle for the processes Atelier runs: Celery worker and Daphne.

`manage.py studio` and the test suite start the same commands, so what the
tests exercise is what a user runs.
"""
import os
import signal
import subprocess
import sys


def worker_command(*, concurrency: int = 1, queues: str = "batch,live", name: str = "atelier") -> list[str]:
    # prefork, not solo: the solo pool ignores time limits, and models load in the child after the fork.
    return [sys.executable, "-m", "celery", "-A", "webapp", "worker", "--pool", "prefork",
            "--concurrency", str(concurrency), "-Q", queues, "--hostname", f"{name}@%h",
            "--loglevel", "INFO", "--without-gossip", "--without-mingle"]


def daphne_command(*, host: str = "127.0.0.1", port: int = 8000) -> list[str]:
    return [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), "webapp.asgi:application"]


def start(command: list[str], *, env: dict | None = None, **kwargs) -> subprocess.Popen:
    """Start a child in its own process group, so stopping it stops its children too."""
    return subprocess.Popen(command, env=env or os.environ.copy(), start_new_session=True, **kwargs)


def stop(process: subprocess.Popen, *, timeout: float = 15.0) -> None:
    """SIGTERM the child's group (a warm shutdown for Celery), SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        kill(process)
    except ProcessLookupError:
        pass


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the whole group at once: what a crash or an OOM kill looks like to Celery."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)
