"""Command lines and lifecycle for the processes Atelier runs: Celery worker and Daphne.

`manage.py studio` and the test suite start the same commands, so what the
tests exercise is what a user runs.
"""
import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1


def worker_command(*, concurrency: int = 1, queues: str = "batch", name: str = "batch") -> list[str]:
    """The batch worker: uploads and full renders, one job per process at a time."""
    # prefork, not solo: the solo pool ignores time limits, and models load in the child after the fork.
    return _celery_worker("prefork", concurrency, queues, name)


def live_worker_command(*, threads: int = 8, name: str = "live") -> list[str]:
    """The live worker: many threads each hold one client's frame while the model's
    micro-batcher runs one forward pass for all of them (inference/live.py)."""
    return _celery_worker("threads", threads, "live", name)


def _celery_worker(pool: str, concurrency: int, queues: str, name: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "webapp", "worker", "--pool", pool,
            "--concurrency", str(concurrency), "-Q", queues, "--hostname", f"{name}@%h",
            "--loglevel", "INFO", "--without-gossip", "--without-mingle"]


def daphne_command(*, host: str = "127.0.0.1", port: int = 8000) -> list[str]:
    return [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), "webapp.asgi:application"]


def die_with_parent() -> None:
    # Linux: if whoever started us is killed outright (no chance to clean up), we get SIGTERM.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def start(command: list[str], *, env: dict | None = None, **kwargs) -> subprocess.Popen:
    """Start a child in its own process group, so stopping it stops its children too.

    The child also dies with its parent, so a killed `manage.py studio` or test
    run leaves no worker or server behind.
    """
    preexec = die_with_parent if sys.platform.startswith("linux") else None
    return subprocess.Popen(command, env=env or os.environ.copy(), start_new_session=True, preexec_fn=preexec,
                            **kwargs)


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
