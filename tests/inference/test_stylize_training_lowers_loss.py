"""`train stylize` lowers the perceptual loss on procedural images and installs a multi-style model."""

import pytest
import torch

from inference.cli import main
from inference.data.procedural import write_paintings, write_photos
from inference.engine import clear_cache, load_net
from inference.nets.transformer_net import MultiStyleTransformerNet
from inference.nets.vgg import vgg16
from inference.registry import get_spec, specs_for_task
from inference.training.stylize import StylizeTraining
from inference.training.stylize_loop import train
from torch_threads import one_torch_thread  # noqa: F401


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("stylize-data")
    write_photos(root / "photos", 6, seed=10, size=(48, 40))
    write_paintings(root / "paintings", 2, seed=20, size=(64, 64))
    return root / "photos", root / "paintings"


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(folder))
    monkeypatch.setenv("ATELIER_DEVICE", "cpu")
    yield folder
    clear_cache()


def test_two_dozen_steps_lower_the_evaluation_loss_with_a_random_vgg(folders):
    photos, paintings = folders
    torch.manual_seed(0)
    config = StylizeTraining(content=photos, styles=paintings, image_size=32, style_size=48, batch_size=2,
                             steps=24, interval=12, seed=1, eval_photos=2)
    result = train(config, vgg16(), progress=False)
    assert result.steps == 24 and [row["step"] for row in result.history] == [12, 24]
    assert result.eval_after < 0.8 * result.eval_before
    assert result.style_names == ["00 stripes", "01 blobs"]
    assert isinstance(result.net, MultiStyleTransformerNet) and result.net.n_styles == 2


def test_the_command_installs_the_net_with_its_styles_and_thumbnails(folders, models_dir, tmp_path, capsys):
    photos, paintings = folders
    run = tmp_path / "run"
    code = main(["train", "stylize", "--content", str(photos), "--styles", str(paintings), "--random-vgg",
                 "--image-size", "32", "--style-size", "32", "--batch-size", "1", "--max-steps", "2",
                 "--interval", "1", "--name", "test-styles", "--out", str(run)])
    assert code == 0, capsys.readouterr().err
    spec = get_spec("test-styles")
    assert spec in specs_for_task("stylize") and spec.arch == "multistyle"
    assert [s["name"] for s in spec.options["styles"]] == ["00 stripes", "01 blobs"]
    assert spec.options["identity_slot"] == 2
    assert all((models_dir / s["thumbnail"]).is_file() for s in spec.options["styles"])
    net = load_net(spec)
    assert isinstance(net, MultiStyleTransformerNet) and net.style_names == ["00 stripes", "01 blobs"]
    assert (run / "losses.csv").read_text().splitlines()[0] == "step,epoch,content,style,tv,total,eval,lr,seconds"
    assert (run / "samples" / "step-000002.png").is_file() and (run / "test-styles.safetensors").is_file()


def test_without_vgg16_installed_the_command_says_how_to_install_it(folders, models_dir, capsys):
    photos, paintings = folders
    code = main(["train", "stylize", "--content", str(photos), "--styles", str(paintings), "--max-steps", "1"])
    assert code == 1
    assert "python manage.py models fetch vgg16" in capsys.readouterr().err
