"""``train prsr`` through the harness: procedural faces written by --faces, the loss falls clearly, samples, install."""

import csv

from PIL import Image

from inference.cli import main
from inference.engine import load_nets
from inference.pipelines.upscale import UpscaleOptions, render_samples
from inference.registry import get_spec
from torch_threads import one_torch_thread  # noqa: F401


def test_the_loss_falls_clearly_within_a_few_hundred_steps_and_the_model_installs(tmp_path, monkeypatch):
    monkeypatch.setenv("ATELIER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path / "models"))
    run = tmp_path / "run"
    # 4x4 -> 16x16 faces keep it quick; the networks are those of the 8 -> 32 models.
    code = main(["train", "prsr", "--faces", "40", "--output-size", "16", "--name", "tiny-faces", "--out", str(run),
                 "--cond-features", "24", "--cond-blocks", "2", "--prior-features", "24", "--prior-layers", "3",
                 "--batch-size", "8", "--epochs", "1000", "--steps", "120", "--log-every", "60", "--lr", "5e-3", "--eval-images", "4",
                 "--temperatures", "0,1", "--device", "cpu"])
    assert code == 0
    assert len(list((tmp_path / "data" / "faces-40-16").glob("*.png"))) == 40
    rows = list(csv.DictReader(open(run / "losses.csv")))
    assert [int(r["step"]) for r in rows] == [0, 60, 120]
    first, last = float(rows[1]["loss"]), float(rows[2]["loss"])
    assert float(rows[0]["eval_ce"]) > 5.3  # starts near ln 256 = 5.55 nats per sub-pixel
    assert last < first - 0.5 and last < 9.5  # the mean of steps 61..120 against that of 1..60
    assert float(rows[2]["eval_ce"]) < float(rows[0]["eval_ce"]) - 1.0  # held-out faces, nats per sub-pixel
    grid = Image.open(run / "samples" / "step-000120.png")
    assert grid.size == (16 * 4, 16 * 4)  # input | tau 0 | tau 1 | original, one row per held-out face
    spec = get_spec("tiny-faces")
    assert (spec.task, spec.arch, spec.input_size) == ("upscale", "prsr", 4)
    samples = render_samples(Image.open(tmp_path / "data" / "faces-40-16" / "00000.png"),
                             load_nets(spec, device="cpu"), UpscaleOptions(samples=2, temperature=1.0))
    assert [s.size for s in samples] == [(16, 16)] * 2
