"""`train adain` lowers the AdaIN content + style loss on procedural images and installs the decoder."""

import pytest
import torch

from inference.cli import main
from inference.data.procedural import write_paintings, write_photos
from inference.engine import clear_cache, load_net
from inference.nets.adain import AdaINDecoder
from inference.nets.vgg import NormalisedVGG19
from inference.registry import get_spec
from inference.training.adain import AdaINTraining
from inference.training.adain_loop import train
from torch_threads import one_torch_thread  # noqa: F401


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("adain-data")
    write_photos(root / "photos", 5, seed=30, size=(48, 40))
    write_paintings(root / "paintings", 3, seed=40, size=(48, 48))
    return root / "photos", root / "paintings"


def test_two_dozen_steps_lower_the_evaluation_loss_with_a_random_encoder(folders):
    photos, paintings = folders
    torch.manual_seed(0)
    config = AdaINTraining(content=photos, styles=paintings, image_size=32, batch_size=2, steps=24, interval=12,
                           lr=1e-3, seed=1, eval_pairs=2)
    result = train(config, NormalisedVGG19(), progress=False)
    assert [row["step"] for row in result.history] == [12, 24]
    assert result.eval_after < 0.8 * result.eval_before


def test_the_command_installs_an_adain_decoder_paired_with_the_adain_encoder(folders, tmp_path, monkeypatch, capsys):
    photos, paintings = folders
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("ATELIER_DEVICE", "cpu")
    code = main(["train", "adain", "--content", str(photos), "--styles", str(paintings), "--random-vgg",
                 "--image-size", "32", "--batch-size", "1", "--max-steps", "2", "--interval", "2",
                 "--name", "test-adain", "--out", str(tmp_path / "run")])
    assert code == 0, capsys.readouterr().err
    spec = get_spec("test-adain")
    assert spec.family == "adain" and spec.arch == "adain" and spec.options["encoder"] == "adain-vgg"
    assert isinstance(load_net(spec), AdaINDecoder)
    assert (tmp_path / "run" / "losses.csv").read_text().startswith("step,epoch,content,style,total,eval")
    clear_cache()
