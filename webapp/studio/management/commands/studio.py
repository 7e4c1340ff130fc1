"""`manage.py studio`: everything Atelier needs, started by one command and stopped by Ctrl-C.

Migrates the database, fetches missing default models (starting anyway when
the network says no), starts an embedded Redis unless REDIS_URL is set, a
batch Celery worker (prefork), a live Celery worker (threads, micro-batching)
and Daphne.
"""
import os
import signal
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from inference import registry
from inference.errors import InferenceError
from webapp import processes
from webapp.embedded_redis import EmbeddedRedis


class Command(BaseCommand):
    help = "Start Atelier: migrate, fetch default models, Redis, batch and live Celery workers and Daphne. Ctrl-C stops all."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=1, help="batch worker processes (one per GPU)")
        parser.add_argument("--no-fetch", action="store_true", help="do not download missing default models")

    def handle(self, *args, host, port, concurrency, no_fetch, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready.")
        if not no_fetch:
            self.fetch_default_models()
        self.report_missing_models()

        env = os.environ.copy()
        redis = None
        if "REDIS_URL" not in os.environ:
            redis = EmbeddedRedis(settings.DATA_DIR / "redis")
            env["REDIS_URL"] = redis.start()
            self.stdout.write(f"Embedded Redis on {env['REDIS_URL']}")

        children = []
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        try:
            children.append(processes.start(processes.worker_command(concurrency=concurrency), env=env))
            children.append(processes.start(processes.live_worker_command(threads=settings.LIVE_WORKER_THREADS),
                                            env=env))
            children.append(processes.start(processes.daphne_command(host=host, port=port), env=env))
            self.stdout.write(self.style.SUCCESS(f"Atelier is running at http://{host}:{port}/  (Ctrl-C stops it)"))
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.5)
            if not stopping:
                self.stderr.write("A child process exited; stopping everything.")
        except KeyboardInterrupt:
            pass
        finally:
            self.stdout.write("Stopping…")
            for child in reversed(children):  # Daphne first: no new jobs while the worker drains
                processes.stop(child)
            if redis:
                redis.stop()
            self.stdout.write("Stopped.")

    def fetch_default_models(self):
        for spec in registry.REGISTRY.values():
            if not spec.default or spec.bundled or spec.installed:
                continue
            self.stdout.write(f"Fetching default model {spec.name} …")
            try:
                registry.fetch(spec)
            except InferenceError as exc:
                self.stderr.write(self.style.WARNING(f"Could not fetch {spec.name}: {exc}"))

    def report_missing_models(self):
        missing = [spec for spec in registry.REGISTRY.values() if spec.default and not spec.installed]
        for spec in missing:
            self.stderr.write(self.style.WARNING(
                f"Model {spec.name} is not installed; its tool refuses jobs until you run: {spec.install_command}"))
