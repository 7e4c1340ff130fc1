"""`train pix2pix` learns, resumes where it stopped, and installs the generator in one step."""

import csv

import numpy as np
import pytest
import torch
from PIL import Image

from inference.cli import main
from inference.data.landscapes import write_dataset
from inference.engine import clear_cache, load_nets
from inference.pipelines.sketch import SketchOptions, render
from inference.registry import get_spec, specs_for_task

SIZE = 64
COMMON = ["--kind", "label_map", "--palette", "landscape", "--input-size", str(SIZE), "--ngf", "8", "--ndf", "8",
          "--workers", "0", "--threads", "1", "--seed", "3"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs")
    write_dataset(root, kind="paint", count=32, val_count=4, size=SIZE, seed=11, progress=False)
    return root


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def trained(data, models, tmp_path_factory):
    """Six epochs of 32 steps (the last two decaying), installed as "tiny-landscapes"."""
    run = tmp_path_factory.mktemp("run")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATELIER_MODELS_DIR", str(models))
        code = main(["train", "pix2pix", "--data", str(data), "--name", "tiny-landscapes", "--out", str(run),
                     "--epochs", "4", "--epochs-decay", "2", *COMMON])
    yield code, run
    clear_cache()


def _log(run):
    with open(run / "losses.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_l1_distance_on_held_out_pairs_falls_clearly(trained):
    code, run = trained
    assert code == 0
    log = _log(run)
    assert [int(row["epoch"]) for row in log] == list(range(7))
    before, after = float(log[0]["val_L1"]), float(log[-1]["val_L1"])
    assert after < 0.7 * before, (before, after)
    assert float(log[-1]["lr"]) < float(log[1]["lr"])  # the linear decay ran
    assert {"checkpoint.pt", "curves.png", "tiny-landscapes.safetensors"} <= {p.name for p in run.iterdir()}
    assert Image.open(run / "samples" / "step-000192.png").size == (3 * SIZE, 4 * SIZE)  # after epoch 6


def test_the_installed_model_is_in_the_registry_and_draws(trained, models, monkeypatch, data):
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(models))
    spec = get_spec("tiny-landscapes")
    assert spec.installed and spec.path.parent == models
    assert spec.family == "pix2pix" and spec.task == "sketch" and spec.input_size == SIZE
    assert spec.options["ngf"] == 8 and spec.options["num_downs"] == 6 and spec.options["kind"] == "label_map"
    assert spec.options["palette"][0] == {"name": "sky", "color": "#64b4f0"}
    assert "tiny-landscapes" in [s.name for s in specs_for_task("sketch")]

    pair = Image.open(sorted((data / "val").glob("*.png"))[0])
    picture = render(pair, load_nets(spec, device="cpu"), SketchOptions(dropout=False))
    target = np.asarray(pair)[:, SIZE:].astype(float)
    assert picture.size == (SIZE, SIZE)
    assert np.abs(np.asarray(picture).astype(float) - target).mean() < 50  # clearly a landscape-ish picture


def test_resume_continues_from_the_saved_epoch(trained, data, models, tmp_path, monkeypatch, capsys):
    _, first_run = trained
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path / "models"))
    run = tmp_path / "run"
    assert main(["train", "pix2pix", "--data", str(data), "--no-install", "--out", str(run),
                 "--epochs", "1", "--epochs-decay", "1", *COMMON]) == 0
    generator_after_two = torch.load(run / "checkpoint.pt", weights_only=True)["nets"]["generator"]
    assert main(["train", "pix2pix", "--data", str(data), "--no-install", "--out", str(run), "--resume",
                 "--epochs", "1", "--epochs-decay", "3", *COMMON]) == 0
    assert "resuming" in capsys.readouterr().err
    log = _log(run)
    assert [int(row["epoch"]) for row in log] == [0, 1, 2, 3, 4]
    assert [int(row["step"]) for row in log] == [0, 32, 64, 96, 128]
    checkpoint = torch.load(run / "checkpoint.pt", weights_only=True)
    assert checkpoint["history"][-1]["epoch"] == 4
    resumed = checkpoint["nets"]["generator"]
    assert not torch.equal(resumed["model.model.0.weight"], generator_after_two["model.model.0.weight"])


def test_resume_refuses_a_run_with_other_settings(trained, data, monkeypatch, capsys):
    _, run = trained
    code = main(["train", "pix2pix", "--data", str(data), "--no-install", "--out", str(run), "--resume",
                 *COMMON, "--ngf", "16"])  # the last --ngf wins
    assert code == 1 and "ngf 8 -> 16" in capsys.readouterr().err


def test_bad_data_folders_are_refused_with_a_message(tmp_path, capsys):
    assert main(["train", "pix2pix", "--data", str(tmp_path), "--no-install"]) == 1
    assert "no train/ folder" in capsys.readouterr().err
