"""load_net loads each model once per process, and says how to install a missing one."""

import os

import pytest
import torch

from inference.engine import clear_cache, load_net, pick_device
from inference.errors import CheckpointError, InferenceError, ModelNotInstalled
from inference.registry import get_spec, import_file
from official_colorization_keys import SIGGRAPH17_LAYERS, official_state_dict, write_checkpoint


@pytest.fixture(scope="module")
def siggraph17_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "siggraph17.pth"
    write_checkpoint(official_state_dict(SIGGRAPH17_LAYERS, seed=5), path)
    return path


@pytest.fixture(autouse=True)
def empty_cache():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path))
    return tmp_path


def test_a_missing_model_raises_model_not_installed_with_the_install_command(models_dir):
    spec = get_spec("siggraph17")
    with pytest.raises(ModelNotInstalled, match="python manage.py models fetch siggraph17") as caught:
        load_net(spec, device="cpu")
    assert caught.value.spec is spec


def test_an_imported_model_loads_in_eval_mode_once_per_process(models_dir, siggraph17_file):
    spec = get_spec("siggraph17")
    import_file(spec, siggraph17_file)
    net = load_net(spec, device="cpu")
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    expected = official_state_dict(SIGGRAPH17_LAYERS, seed=5)["model_out.0.weight"]
    assert torch.equal(net.model_out[0].weight, expected)
    assert load_net(spec, device="cpu") is net


def test_a_replaced_weights_file_is_reloaded(models_dir, siggraph17_file):
    spec = get_spec("siggraph17")
    import_file(spec, siggraph17_file)
    first = load_net(spec, device="cpu")
    stat = spec.path.stat()
    os.utime(spec.path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_net(spec, device="cpu") is not first


def test_explicit_weights_override_the_installed_file(models_dir, siggraph17_file, tmp_path):
    net = load_net(get_spec("siggraph17"), weights=siggraph17_file, device="cpu")
    assert net.model1[0].weight.shape == (64, 4, 3, 3)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_net(get_spec("siggraph17"), weights=tmp_path / "nope.pth", device="cpu")


def test_device_choice_follows_argument_then_environment(monkeypatch):
    monkeypatch.setenv("ATELIER_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    assert pick_device("cpu") == torch.device("cpu")
    with pytest.raises(InferenceError, match="Unknown device"):
        pick_device("toaster")
    if not torch.cuda.is_available():
        with pytest.raises(InferenceError, match="no GPU"):
            pick_device("cuda")
