"""The training harness: exact resume, whole files after an interruption, installation, exit codes."""

import argparse
import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from inference.cli import main
from inference.cli.train import EXIT_CODES
from inference.data.procedural import write_paintings, write_photos
from inference.engine import clear_cache, load_net
from inference.nets.pix2pix import UnetGenerator
from inference.registry import get_spec, specs_for_task
from inference.training.command import train_and_install
from inference.training.harness import CHECKPOINT, Installation, Schedule, Trainer, epoch_order, fit, safetensors_bytes
from tests.waiting import wait_for
from torch_threads import one_torch_thread  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
SIZE, PAIRS, BATCH = 32, 6, 2


class InvertColours(Trainer):
    """A tiny pix2pix U-Net (dropout on) learning to invert colours, with L1 only: a real trainer, small."""

    name = "invert"
    losses = ("L1",)
    metrics = ("val_L1",)

    def __init__(self, seed: int = 5) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.inputs = torch.rand(PAIRS, 3, SIZE, SIZE, generator=generator) * 2 - 1
        self.seed = seed
        self.weights_at_first_step = None

    def settings(self):
        return {"seed": self.seed}

    def build(self, device):
        self.net = UnetGenerator(3, 3, num_downs=5, ngf=2, norm="batch", use_dropout=True).to(device)
        self.optimiser = torch.optim.Adam(self.net.parameters(), lr=1e-2)
        return {"generator": self.net}, {"generator": self.optimiser}

    def steps_per_epoch(self):
        return PAIRS // BATCH

    def batches(self, epoch, start):
        return [self.inputs[indices] for indices in epoch_order(PAIRS, BATCH, self.seed, epoch)[start:]]

    def train_step(self, batch, step, epoch):
        if self.weights_at_first_step is None:
            self.weights_at_first_step = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        loss = (self.net(batch) + batch).abs().mean()
        self.optimiser.zero_grad()
        loss.backward()
        self.optimiser.step()
        return {"L1": loss.detach()}

    def evaluate(self):
        with torch.no_grad():
            return {"val_L1": float((self.net(self.inputs[:2]) + self.inputs[:2]).abs().mean())}

    def sample_rows(self):
        with torch.no_grad():
            outputs = self.net(self.inputs[:2])
        return [[(x + 1) / 2, (y + 1) / 2] for x, y in zip(self.inputs[:2], outputs)]

    def installation(self, name):
        return Installation(
            weights=safetensors_bytes(self.net.state_dict()),
            facts={"family": "pix2pix", "task": "sketch", "arch": "unet_32", "input_size": SIZE, "paper": "test",
                   "options": {"ngf": 2, "num_downs": 5, "norm": "batch", "input_nc": 3, "output_nc": 3,
                               "use_dropout": True, "kind": "photo", "direction": "AtoB"}},
        )


def _rows(folder: Path) -> list[dict]:
    with open(folder / "losses.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith(".") or p.name.endswith(".part")]


SCHEDULE = Schedule(steps=10, log_every=2)


def test_a_resumed_run_continues_from_the_saved_step_as_if_never_stopped(tmp_path):
    straight = fit(InvertColours(), SCHEDULE, tmp_path / "straight", progress=False)

    assert fit(InvertColours(), SCHEDULE, tmp_path / "resumed", stop_after=4, progress=False).step == 4
    saved = torch.load(tmp_path / "resumed" / CHECKPOINT, weights_only=True)
    assert saved["step"] == 4
    trainer = InvertColours()
    resumed = fit(trainer, SCHEDULE, tmp_path / "resumed", resume=True, progress=False)

    # The weights it went on from are the saved ones, and it ended where the uninterrupted run did.
    assert trainer.weights_at_first_step.keys() == saved["nets"]["generator"].keys()
    assert all(torch.equal(trainer.weights_at_first_step[k], v) for k, v in saved["nets"]["generator"].items())
    final = resumed.nets["generator"].state_dict()
    assert all(torch.equal(v, final[k]) for k, v in straight.nets["generator"].state_dict().items())

    rows, reference = _rows(tmp_path / "resumed"), _rows(tmp_path / "straight")
    assert [int(r["step"]) for r in rows] == [0, 2, 4, 6, 8, 10]  # none twice, none missing
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 2, 3, 4]
    assert [(r["L1"], r["val_L1"]) for r in rows] == [(r["L1"], r["val_L1"]) for r in reference]
    assert rows[0]["L1"] == "" and float(rows[-1]["val_L1"]) < float(rows[0]["val_L1"])
    assert sorted(p.name for p in (tmp_path / "resumed" / "samples").iterdir()) == [
        f"step-{s:06d}.png" for s in (2, 4, 6, 8, 10)]
    assert Image.open(tmp_path / "resumed" / "curves.png").size[0] > 0


def test_a_run_folder_is_neither_overwritten_nor_resumed_with_other_settings(tmp_path):
    from inference.training import TrainingError

    fit(InvertColours(), SCHEDULE, tmp_path, stop_after=2, progress=False)
    with pytest.raises(TrainingError, match="--resume"):
        fit(InvertColours(), SCHEDULE, tmp_path, progress=False)
    with pytest.raises(TrainingError, match="seed 5 -> 6"):
        fit(InvertColours(seed=6), SCHEDULE, tmp_path, resume=True, progress=False)
    with pytest.raises(TrainingError, match="Nothing to resume"):
        fit(InvertColours(), SCHEDULE, tmp_path / "empty", resume=True, progress=False)


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(folder))
    monkeypatch.setenv("ATELIER_DEVICE", "cpu")
    yield folder
    clear_cache()


def test_installation_puts_the_model_in_the_registry(tmp_path, models_dir):
    args = argparse.Namespace(name="tiny-invert", out=tmp_path / "run", resume=False, max_steps=None,
                              no_install=False, seed=0, device="cpu", threads=None)
    assert train_and_install(InvertColours(), Schedule(steps=3, log_every=3), args, default_name="x") == 0
    spec = get_spec("tiny-invert")
    assert spec.installed and spec.path == models_dir / "tiny-invert.safetensors"
    assert spec in specs_for_task("sketch") and spec.family == "pix2pix" and spec.options["num_downs"] == 5
    assert spec.path.read_bytes() == (tmp_path / "run" / "tiny-invert.safetensors").read_bytes()
    assert isinstance(load_net(spec, device="cpu"), UnetGenerator)
    assert _leftovers(models_dir) == [] and _leftovers(tmp_path / "run") == []


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("harness-data")
    write_photos(root / "photos", 4, seed=50, size=(40, 40))
    write_paintings(root / "paintings", 2, seed=60, size=(40, 40))
    return root / "photos", root / "paintings"


def _stylize(folders, run: Path, *more: str) -> list[str]:
    photos, paintings = folders
    return ["train", "stylize", "--content", str(photos), "--styles", str(paintings), "--random-vgg",
            "--image-size", "32", "--style-size", "32", "--batch-size", "1", "--interval", "1",
            "--threads", "1", "--name", "harness-styles", "--out", str(run), *more]


def test_an_interrupted_run_leaves_whole_files_and_resumes(folders, tmp_path, models_dir):
    run = tmp_path / "run"
    environment = {**os.environ, "ATELIER_MODELS_DIR": str(models_dir), "ATELIER_DEVICE": "cpu"}
    worker = subprocess.Popen([sys.executable, "-m", "inference", *_stylize(folders, run, "--steps", "100000")],
                              cwd=REPO, env=environment, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: (run / CHECKPOINT).is_file() or worker.poll() is not None, timeout=300, interval=0.05)
    assert (run / CHECKPOINT).is_file(), worker.stderr.read() if worker.poll() is not None else "no checkpoint"
    worker.send_signal(signal.SIGINT)
    _, err = worker.communicate(timeout=300)
    assert worker.returncode == 130, err
    assert "--resume" in err

    assert _leftovers(run) == []
    rows = _rows(run)
    saved = torch.load(run / CHECKPOINT, weights_only=True)
    assert [int(r["step"]) for r in rows] == list(range(len(rows)))
    assert int(rows[-1]["step"]) >= saved["step"]  # the log is written just before the checkpoint
    for sample in (run / "samples").iterdir():
        Image.open(sample).verify()

    assert main(_stylize(folders, run, "--steps", "100000", "--resume", "--max-steps", "2")) == 0
    rows = _rows(run)
    assert [int(r["step"]) for r in rows] == list(range(saved["step"] + 3))
    assert get_spec("harness-styles").installed
    assert _leftovers(run) == [] and _leftovers(models_dir) == []


def test_errors_map_to_the_documented_exit_codes(folders, tmp_path, models_dir, capsys):
    assert main(_stylize(folders, tmp_path / "a", "--image-size", "0")) == 2
    assert "--image-size must be at least 1" in capsys.readouterr().err
    assert main(_stylize(folders, tmp_path / "b", "--resume")) == 1
    assert "Nothing to resume" in capsys.readouterr().err
    assert main(_stylize(folders, tmp_path / "c", "--name", "candy")) == 2  # a published model's name
    photos, _ = folders
    assert main(["train", "adain", "--content", str(photos), "--styles", str(tmp_path / "none"), "--random-vgg"]) == 1
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["train", "stylize", "--styles", str(photos)])  # --content missing: argparse
    assert usage.value.code == 2
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["train", "stylize", "--help"])
    help_text = capsys.readouterr().out
    assert set(EXIT_CODES) == {0, 1, 2, 130}
    assert all(f"\n  {code:<4}{meaning}" in help_text for code, meaning in EXIT_CODES.items())
    assert not (tmp_path / "a").exists() and not (models_dir / "local-models.json").exists()
