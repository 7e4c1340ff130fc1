"""`manage.py studio`: everything Atelier needs, started by one command and stopped by Ctrl-C.

Migrates the database, fetches missing default models (starting anyway when
the network says no), starts an embedded Redis unless REDIS_URL is set, a
batch Celery worker (prefork), one or more live Celery workers (threads,
micro-batching; --live-workers, by default one per 2 cores on a GPU machine and
one single-threaded worker per core on a CPU: webapp/processes.py, live_layout)
and Daphne (--web-processes, by default one on a CPU-only machine and one per 4
cores on a GPU machine, all accepting on one listening socket this command
holds), and supervises them: a child that dies is restarted after a back-off and
the others go on (webapp/processes.py, Supervisor).
"""
import os
import shutil
import signal
import socket

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from inference import registry
from inference.errors import InferenceError
from inference.style_previews import render_previews_or_warn
from webapp import processes
from webapp.embedded_redis import EmbeddedRedis


class Command(BaseCommand):
    help = "Start Atelier: migrate, fetch default models, Redis, batch and live Celery workers and Daphne. Ctrl-C stops all."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=1, help="batch worker processes (one per GPU)")
        parser.add_argument("--live-workers", type=int, default=settings.LIVE_WORKERS,
                            help="live worker processes (LIVE_WORKERS; 0: one per 2 cores on a GPU machine, "
                                 "one per core on a CPU)")
        parser.add_argument("--web-processes", type=int, default=settings.WEB_PROCESSES,
                            help="Daphne processes (WEB_PROCESSES; 0: one on a CPU, one per 4 cores on a GPU machine)")
        parser.add_argument("--live-threads", type=int, default=settings.LIVE_WORKER_THREADS,
                            help="threads per live worker (LIVE_WORKER_THREADS): the largest batch it can gather")
        parser.add_argument("--no-fetch", action="store_true", help="do not download missing default models")

    def handle(self, *args, host, port, concurrency, live_workers, web_processes, live_threads, no_fetch, **options):
        gpu, cores = self.machine()
        live_workers, torch_threads = processes.live_layout(live_workers, settings.LIVE_TORCH_THREADS,
                                                            gpu=gpu, cores=cores)
        web_processes = processes.web_processes(web_processes, gpu=gpu, cores=cores)
        ipv6 = ":" in host
        if ipv6 and web_processes > 1:
            raise CommandError("Several web processes share an IPv4 address only; give --host one "
                               "(0.0.0.0 for every interface) or --web-processes 1.")
        # An IPv4 port is bound here, before anything starts, and held for the studio's lifetime: every
        # Daphne accepts on it (processes.daphne_command). An IPv6 one is left to its one Daphne.
        listener = None if ipv6 else self.listen(host, port)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready.")
        failed = [] if no_fetch else self.fetch_default_models()
        self.report_missing_models(already_reported=failed)

        self.remove_upload_leftovers()
        env = os.environ.copy()
        supervisor = processes.Supervisor(lambda line: self.stdout.write(line))
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        try:
            if "REDIS_URL" not in os.environ:
                redis = EmbeddedRedis(settings.DATA_DIR / "redis", persist=True)
                env["REDIS_URL"] = redis.url
                self.stdout.write(f"Embedded Redis on {redis.url}")
                supervisor.add("embedded Redis", redis.launch)

            supervisor.add("batch worker", lambda: processes.start(
                processes.worker_command(concurrency=concurrency), env=env))
            self.stdout.write(f"Live workers: {live_workers} on the {'GPU' if gpu else 'CPU'}, torch threads each: "
                              f"{torch_threads}. Web processes: {web_processes}.")
            live_env = {**env, "LIVE_TORCH_THREADS": str(torch_threads)}
            # Their own processes: a crash while rendering throwaway frames leaves batch jobs running.
            for n in range(1, live_workers + 1):
                name = "live" if live_workers == 1 else f"live{n}"
                supervisor.add(f"live worker {n}" if live_workers > 1 else "live worker",
                               lambda name=name: processes.start(
                                   processes.live_worker_command(threads=live_threads, name=name), env=live_env))
            shared = {"pass_fds": (listener.fileno(),)} if listener else {}
            for n in range(1, web_processes + 1):
                supervisor.add(f"Daphne {n}" if web_processes > 1 else "Daphne", lambda: processes.start(
                    processes.daphne_command(host=host, port=port, listener=listener), env=env, **shared))
            self.stdout.write(self.style.SUCCESS(f"Atelier is running at http://{host}:{port}/  (Ctrl-C stops it)"))
            supervisor.run(lambda: bool(stopping))
        except KeyboardInterrupt:
            pass
        finally:
            self.stdout.write("Stopping…")
            supervisor.stop()  # Daphne first: no new jobs while the workers drain; Redis last
            if listener:
                listener.close()
            self.stdout.write("Stopped.")

    @staticmethod
    def listen(host: str, port: int) -> socket.socket:
        try:
            return socket.create_server((host, port), backlog=1024)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}. "
                               "Is another server using that port? Choose another with --port.") from None

    @staticmethod
    def machine() -> tuple[bool, int]:
        """(whether the workers will render on a GPU, the cores this process may use)."""
        from inference.engine import pick_device

        try:
            gpu = pick_device().type == "cuda"
        except InferenceError:  # ATELIER_DEVICE names a GPU that is not there: the workers will say so
            gpu = False
        return gpu, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

    def remove_upload_leftovers(self):
        """Nothing serves requests yet: every spooled upload left in the temp dir is from a web
        process that was killed mid-request (its Job rows were never committed)."""
        folder = settings.FILE_UPLOAD_TEMP_DIR
        leftovers = list(folder.iterdir()) if folder.exists() else []
        for path in leftovers:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        if leftovers:
            self.stdout.write(f"Removed {len(leftovers)} upload file(s) left by an interrupted request.")

    def fetch_default_models(self) -> list[str]:
        """Fetch what is missing; the names that could not be fetched (each reported with both ways in)."""
        failed = []
        for spec in registry.REGISTRY.values():
            if not spec.default or spec.bundled or spec.installed:
                continue
            self.stdout.write(f"Fetching default model {spec.name} …")
            try:
                registry.fetch(spec)
            except InferenceError as exc:
                self.stderr.write(self.style.WARNING(
                    f"Could not fetch {spec.name}: {exc} Its tool refuses jobs until it is installed. "
                    f"{spec.install_help}"))
                failed.append(spec.name)
                continue
            warning = render_previews_or_warn(spec)
            if warning:
                self.stderr.write(self.style.WARNING(warning))
        return failed

    def report_missing_models(self, already_reported=()):
        missing = [spec for spec in registry.REGISTRY.values()
                   if spec.default and not spec.installed and spec.name not in already_reported]
        for spec in missing:
            self.stderr.write(self.style.WARNING(
                f"Model {spec.name} is not installed; its tool refuses jobs until it is. {spec.install_help}"))
