"""`train npe` on procedural faces: the reconstruction error falls clearly within a few hundred steps, and it installs."""

import csv

import torch

from inference.cli import main
from inference.engine import clear_cache, load_nets
from inference.nets.npe import IntrospectiveAdversarialNetwork
from inference.registry import get_spec
from torch_threads import one_torch_thread  # noqa: F401


def test_training_on_procedural_faces_lowers_the_reconstruction_error_and_installs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ATELIER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("ATELIER_DEVICE", "cpu")
    code = main(["train", "npe", "--faces", "16", "--ndf", "8", "--ngf", "8", "--z-dim", "16", "--batch-size", "8",
                 "--steps", "160", "--interval", "40", "--name", "test-npe", "--out", str(tmp_path / "run")])
    assert code == 0, capsys.readouterr().err

    with open(tmp_path / "run" / "losses.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in rows] == [0, 40, 80, 120, 160]
    before, after = float(rows[0]["eval_l1"]), float(rows[-1]["eval_l1"])
    assert after < 0.7 * before, (before, after)
    assert float(rows[-1]["pixel"]) < 0.7 * float(rows[1]["pixel"]) or float(rows[-1]["pixel"]) < 0.1
    assert len(list((tmp_path / "data" / "faces" / "faces-16-seed0").glob("*.png"))) == 16
    assert (tmp_path / "run" / "samples" / "step-000160.png").is_file()

    spec = get_spec("test-npe")
    assert (spec.family, spec.task, spec.arch) == ("npe", "edit", "ian_64")
    assert spec.options["z_dim"] == 16
    net = load_nets(spec).net
    assert isinstance(net, IntrospectiveAdversarialNetwork) and net.discriminator is None
    # random faces come from a Gaussian fitted to the training faces' codes, not N(0, I)
    assert float(net.prior.mean.abs().sum()) > 0 and not torch.equal(net.prior.scale, torch.eye(16))
    clear_cache()
