"""Shared fixtures: checkpoints written in the official layouts, a real Celery worker, real Daphne."""
import os
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest
import redis
import torch
from django.conf import settings

from inference import registry
from inference.paths import models_dir
from tests.waiting import wait_for
from webapp import processes


def pytest_collection_modifyitems(config, items):
    # Browser tests last: they are the slowest, and the rest should report first.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session", autouse=True)
def clean_redis():
    # REDIS_URL may be a shared server: start from an empty database.
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.fixture(scope="session")
def installed_models():
    """Both colourisers installed from checkpoints this test run writes (random weights, fixed seed)."""
    models_dir().mkdir(parents=True, exist_ok=True)
    for seed, name in enumerate(["eccv16", "siggraph17"]):
        spec = registry.get_spec(name)
        if not spec.installed:
            torch.manual_seed(seed)
            net = registry.build_net(spec)
            if name == "siggraph17":
                _he_initialise(net)
            torch.save(net.state_dict(), spec.path)
    return registry.REGISTRY


def _he_initialise(net: torch.nn.Module) -> None:
    """He-normal conv weights: PyTorch's default init damps a 20-layer net's signal so much that a colour
    hint barely moves its output; with these, hints change the picture near them as a trained net's do."""
    for module in net.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")


def _database_url() -> str:
    """The URL of the test database that pytest-django created, for the child processes."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def child_env() -> dict:
    env = os.environ.copy()
    env.update({
        "DJANGO_SETTINGS_MODULE": "webapp.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
    })
    return env


class Worker:
    """A real `celery worker` process, as `manage.py studio` starts it."""

    def __init__(self, log_dir: Path, command, env: dict | None = None):
        self.log_dir = log_dir
        self.command = command
        self.env = env or {}  # on top of child_env(): e.g. another REDIS_URL
        self.process = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.log_dir / f"worker-{self.starts}.log", "wb")
        self.process = processes.start(self.command(self.starts), env={**child_env(), **self.env}, stdout=log,
                                       stderr=subprocess.STDOUT)
        self._wait_ready(log.name)

    def _wait_ready(self, log_path: str, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{Path(log_path).read_text()[-3000:]}")
            return b"ready." in Path(log_path).read_bytes()

        try:
            wait_for(ready, timeout=timeout, interval=0.2)
        except AssertionError:
            raise RuntimeError(f"worker not ready after {timeout} s:\n{Path(log_path).read_text()[-3000:]}") from None

    def kill(self) -> None:
        processes.kill(self.process)

    def stop(self) -> None:
        processes.stop(self.process)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, installed_models, tmp_path_factory):
    worker = Worker(tmp_path_factory.mktemp("worker-logs"), lambda n: processes.worker_command(name=f"batch{n}"))
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def live_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """The live worker (thread pool + micro-batching), as `manage.py studio` starts it."""
    worker = Worker(tmp_path_factory.mktemp("live-worker-logs"),
                    lambda n: processes.live_worker_command(threads=4, name=f"live{n}"))
    worker.start()
    yield worker
    worker.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_daphne(log_path: Path, env: dict | None = None) -> tuple[subprocess.Popen, int]:
    """A real Daphne (as `manage.py studio` starts it) on a free port, on child_env() plus `env`,
    returned once it answers; its output goes to `log_path`."""
    port = _free_port()
    log = open(log_path, "wb")
    process = processes.start(processes.daphne_command(port=port), env={**child_env(), **(env or {})}, stdout=log,
                              stderr=subprocess.STDOUT)

    def serving() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"Daphne exited:\n{Path(log_path).read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return True
        except OSError:
            return False

    wait_for(serving, timeout=60, interval=0.2)
    return process, port


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, celery_worker, live_worker, tmp_path_factory):
    """Daphne serving the studio on a free port, sharing the test database and Redis."""
    process, port = start_daphne(tmp_path_factory.mktemp("daphne-logs") / "daphne.log")
    yield f"http://127.0.0.1:{port}"
    processes.stop(process)


@pytest.fixture(scope="session")
def style_models(tmp_path_factory):
    """Style networks as a person would have them: `candy` and AdaIN's two files written in
    their official layouts, and a two-style network trained here by the real `train stylize`
    command (random VGG and two steps: the styles are not learnt, the plumbing is real)."""
    from inference.cli import main as inference_main
    from inference.data.procedural import write_paintings, write_photos

    models_dir().mkdir(parents=True, exist_ok=True)
    for seed, name in enumerate(["candy", "adain-decoder", "adain-vgg"], start=10):
        spec = registry.get_spec(name)
        if not spec.installed:
            torch.manual_seed(seed)
            torch.save(registry.build_net(spec).state_dict(), spec.path)
    try:
        registry.get_spec("test-styles")
    except Exception:
        base = tmp_path_factory.mktemp("style-data")
        write_photos(base / "content", 3, size=(64, 64))
        write_paintings(base / "styles", 2, size=(64, 64))
        code = inference_main(["train", "stylize", "--content", str(base / "content"), "--styles", str(base / "styles"),
                               "--random-vgg", "--max-steps", "2", "--image-size", "64", "--style-size", "64",
                               "--batch-size", "1", "--interval", "1", "--name", "test-styles",
                               "--out", str(base / "run")])
        assert code == 0
        _make_styles_distinct(registry.get_spec("test-styles").path)
    return {"single": "candy", "multi": "test-styles", "adain": "adain-decoder"}


def _make_styles_distinct(path: Path) -> None:
    """Two training steps from the standard initialisation leave every style alike and the output
    near black; give each style slot its own γ/β rows (the identity slot, last, stays) and the output
    layer a visible range, so blends visibly differ on the page."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(path), "pt") as f:
        metadata = f.metadata()
        tensors = {key: f.get_tensor(key) for key in f.keys()}
    generator = torch.Generator().manual_seed(7)
    for key, tensor in tensors.items():
        name = key.rsplit(".", 1)
        if tensor.dim() == 2 and name[0].split(".")[-1].startswith("in"):
            styles = tensor.shape[0] - 1
            noise = torch.randn(styles, tensor.shape[1], generator=generator) * 0.8
            tensor[:styles] = (1 + noise) if name[1] == "weight" else noise
    tensors["deconv3.conv2d.weight"] *= 60
    tensors["deconv3.conv2d.bias"][:] = 128
    save_file(tensors, str(path), metadata=metadata)


@pytest.fixture(scope="session")
def upscale_models():
    """Upscale's two families, installed the way trained models are (`install_trained`, random weights,
    small sizes so a job takes seconds): a PRSR sampler and a ×4 RRDBNet. The bundled PRSR demo is
    used instead of the random one when this checkout has it."""
    from safetensors.torch import save

    from inference.catalog.local import install_trained, trained_spec
    from inference.catalog.upscale import PRSR_DEMO

    names = {"sampler": "prsr-faces", "photo": "test-rrdbnet-x4"}
    families = {"test-prsr": ("prsr", "prsr", 8, dict(PRSR_DEMO)),
                "test-rrdbnet-x4": ("rrdbnet", "rrdbnet_x4", 0,
                                    {"num_feat": 8, "num_block": 1, "num_grow_ch": 4, "scale": 4})}
    if not registry.get_spec("prsr-faces").installed:
        names["sampler"] = "test-prsr"
    for seed, name in enumerate(sorted(set(names.values()) - {"prsr-faces"}), start=20):
        family, arch, input_size, options = families[name]
        facts = {"family": family, "task": "upscale", "arch": arch, "title": name, "input_size": input_size,
                 "paper": "", "options": options}
        try:
            registry.get_spec(name)
        except Exception:
            torch.manual_seed(seed)
            net = registry.build_net(trained_spec(name, "", facts))
            install_trained(name, save({k: v.contiguous() for k, v in net.state_dict().items()}), facts)
    return names
