"""Command lines and lifecycle for the processes Atelier runs: Celery workers, Daphne, and their supervisor.

`manage.py studio` and the test suite start the same commands, so what the
tests exercise is what a user runs.
"""
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1


def worker_command(*, concurrency: int = 1, queues: str = "batch", name: str = "batch") -> list[str]:
    """The batch worker: uploads and full renders, one job per process at a time."""
    # prefork, not solo: the solo pool ignores time limits, and models load in the child after the fork.
    return _celery_worker("prefork", concurrency, queues, name)


def live_worker_command(*, threads: int = 8, name: str = "live") -> list[str]:
    """The live worker: many threads each hold one client's frame while the model's
    micro-batcher runs one forward pass for all of them (inference/live.py)."""
    return _celery_worker("threads", threads, "live", name)


# More live workers than this on a CPU-only machine share its cores: each holds its own models.
MAX_CPU_LIVE_WORKERS = 4
# A GPU machine's live workers and web processes: (cores each, most of them); see live_layout and web_processes.
GPU_LIVE_WORKERS = (2, 8)
GPU_WEB_PROCESSES = (4, 4)


def _per_cores(cores: int, rule: tuple[int, int]) -> int:
    cores_each, most = rule
    return max(1, min(cores // cores_each, most))


def live_layout(workers: int, torch_threads: int, *, gpu: bool, cores: int) -> tuple[int, int]:
    """(live worker processes, torch threads in each) for `manage.py studio`; 0 in either means "choose".

    Each worker gets its share of the cores for torch's threads.

    On a GPU machine: one worker per 2 cores, up to 8. The forward pass is the GPU's,
    but each frame's Python (Celery, decoding, encoding, the reply) runs under its
    worker's one GIL: about 4 ms of CPU a frame on the 2-core machines (README, Benchmarks:
    the live worker's CPU per frame less the forward pass), so one process tops out near
    250 frames a second, and 64 clients at 15 frames/s want 960: eight workers at about
    half a core each.

    On a CPU: one worker per core, up to MAX_CPU_LIVE_WORKERS. A forward pass split
    across OpenMP threads waits at every kernel for the slowest of them, and on a CPU
    Daphne, Redis and the workers' Python keep taking cores: on two 2-core machines, two
    single-threaded workers rendered more frames for 16 clients and gave one client a
    lower p95 than one worker with both cores (README, Benchmarks).
    """
    workers = workers or (_per_cores(cores, GPU_LIVE_WORKERS) if gpu else max(1, min(cores, MAX_CPU_LIVE_WORKERS)))
    return workers, torch_threads or max(1, cores // workers)


def web_processes(processes: int, *, gpu: bool, cores: int) -> int:
    """Daphne processes for `manage.py studio`; 0 means "choose". On a CPU-only machine one: the
    live workers want the cores, and one Daphne (about 2 ms of CPU a frame, bench/sketch_load.py)
    outruns what they render. On a GPU machine one per 4 cores, up to 4: one Daphne tops out near
    500 frames a second under its GIL, and 64 clients at 15 frames/s want 960."""
    return processes or (_per_cores(cores, GPU_WEB_PROCESSES) if gpu else 1)


def _celery_worker(pool: str, concurrency: int, queues: str, name: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "webapp", "worker", "--pool", pool,
            "--concurrency", str(concurrency), "-Q", queues, "--hostname", f"{name}@%h",
            "--loglevel", "INFO", "--without-gossip", "--without-mingle"]


def daphne_command(*, host: str = "127.0.0.1", port: int = 8000, listener: socket.socket | None = None) -> list[str]:
    """Daphne on ``host:port``, or accepting on ``listener``: an IPv4 listening socket its parent made and
    passes on (start's pass_fds). Several Daphne processes then share one port, and connections wait in
    its backlog while one restarts. (Twisted adopts only IPv4 sockets from the command line.)"""
    if listener is None:
        return [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), "webapp.asgi:application"]
    return [sys.executable, "-m", "daphne", "--fd", str(listener.fileno()), "webapp.asgi:application"]


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


class Child:
    """One supervised process: how to start it, and its back-off between restarts."""

    def __init__(self, name: str, launch, *, first_delay: float = 1.0, max_delay: float = 30.0,
                 stable_after: float = 60.0):
        self.name = name
        self.launch = launch  # () -> subprocess.Popen
        self.first_delay, self.max_delay, self.stable_after = first_delay, max_delay, stable_after
        self.delay = first_delay
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.restart_at: float | None = None
        self.restarts = 0


class Supervisor:
    """Keeps a few children running: one that exits is restarted after a back-off
    (1 s, doubling to 30 s, back to 1 s once it has run a minute) and the others go on.

    Written here rather than taken from PyPI: honcho stops every process when one
    exits (foreman's rule, the opposite of what we want); supervisor and circus are
    daemons of their own with a config file and a control socket (XML-RPC, ZeroMQ),
    supervisor backs off only while a program is starting and gives up (FATAL) after
    `startretries`, and neither dies with the process that started it. What we need
    is the loop below plus `start`'s process group and parent-death signal.
    """

    def __init__(self, log):
        self.log = log  # (str) -> None
        self.children: list[Child] = []

    def add(self, name: str, launch, **backoff) -> Child:
        child = Child(name, launch, **backoff)
        self.children.append(child)
        self._launch(child)
        return child

    def _launch(self, child: Child) -> None:
        child.process = child.launch()
        child.started_at = time.monotonic()
        child.restart_at = None
        self.log(f"{child.name} started (pid {child.process.pid})")

    def check(self) -> None:
        """Notice exited children and restart those whose back-off has passed."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is None and child.process.poll() is not None:
                kill(child.process)  # what is left of its group: a dead worker's pool children
                if now - child.started_at >= child.stable_after:
                    child.delay = child.first_delay
                child.restart_at = now + child.delay
                self.log(f"{child.name} (pid {child.process.pid}) exited with code {child.process.returncode}; "
                         f"restarting in {child.delay:g} s")
                child.delay = min(child.delay * 2, child.max_delay)
            elif child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                try:
                    self._launch(child)
                except Exception as exc:  # e.g. Redis's port still taken: try again after the next back-off
                    child.restart_at = now + child.delay
                    self.log(f"{child.name} could not start ({exc}); retrying in {child.delay:g} s")
                    child.delay = min(child.delay * 2, child.max_delay)

    def run(self, stopping, interval: float = 0.25) -> None:
        """Supervise until `stopping()` is true."""
        while not stopping():
            self.check()
            time.sleep(interval)

    def stop(self) -> None:
        """Stop the children in reverse order of starting (Daphne before the workers, Redis last)."""
        for child in reversed(self.children):
            if child.process is not None:
                stop(child.process)
