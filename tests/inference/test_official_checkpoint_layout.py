"""Official richzhang/colorization files load unchanged, in every format they come in."""

import io

import pytest
import torch

from inference.checkpoints import load_strict, read_state_dict
from inference.errors import CheckpointError
from inference.nets.colorization import eccv16, siggraph17
from official_colorization_keys import (
    ECCV16_LAYERS,
    SIGGRAPH17_LAYERS,
    official_state_dict,
    write_checkpoint,
)

ARCHS = {
    "eccv16": (ECCV16_LAYERS, eccv16),
    "siggraph17": (SIGGRAPH17_LAYERS, siggraph17),
}


@pytest.fixture(scope="module", params=sorted(ARCHS))
def official(request):
    """(arch name, official-layout state dict without num_batches_tracked, builder)."""
    layers, builder = ARCHS[request.param]
    return request.param, official_state_dict(layers, seed=7), builder


def _assert_loaded(net, sd):
    got = net.state_dict()
    for key in ("model1.0.weight", "model1.4.running_mean", "model7.6.running_var"):
        assert torch.equal(got[key], sd[key])
    out_key = "model_out.weight" if "model_out.weight" in sd else "model_out.0.weight"
    assert torch.equal(got[out_key], sd[out_key])


def test_official_key_names_and_shapes_load_strictly_without_num_batches_tracked(official, tmp_path):
    _, sd, builder = official
    assert not any(k.endswith("num_batches_tracked") for k in sd)
    path = tmp_path / "official.pth"
    write_checkpoint(sd, path)
    net = load_strict(builder(), read_state_dict(path))
    _assert_loaded(net, sd)


def test_legacy_pre_zip_torch_save_files_load(official, tmp_path):
    _, sd, builder = official
    path = tmp_path / "legacy.pth"
    write_checkpoint(sd, path, legacy=True)
    assert not path.read_bytes().startswith(b"PK")  # really the old format
    net = load_strict(builder(), read_state_dict(path))
    _assert_loaded(net, sd)


def test_an_extra_key_is_refused_and_named(official):
    _, sd, builder = official
    broken = dict(sd, **{"model11.0.weight": torch.zeros(1)})
    with pytest.raises(CheckpointError, match=r"unexpected keys: model11\.0\.weight"):
        load_strict(builder(), broken)


def test_a_missing_key_is_refused_and_named(official):
    _, sd, builder = official
    broken = {k: v for k, v in sd.items() if k != "model3.2.bias"}
    with pytest.raises(CheckpointError, match=r"missing keys: model3\.2\.bias"):
        load_strict(builder(), broken)


def test_a_wrong_shape_is_refused_and_named(official):
    _, sd, builder = official
    broken = dict(sd, **{"model1.0.weight": torch.zeros(64, 3, 3, 3)})
    with pytest.raises(CheckpointError, match=r"wrong shapes: model1\.0\.weight \(file 64x3x3x3"):
        load_strict(builder(), broken)


def test_the_other_architecture_file_is_refused():
    eccv = official_state_dict(ECCV16_LAYERS, seed=1)
    with pytest.raises(CheckpointError, match="SIGGRAPH17Colorizer"):
        load_strict(siggraph17(), eccv)


def test_wrapped_and_data_parallel_state_dicts_are_unwrapped():
    sd = {"model1.0.weight": torch.ones(2), "model1.0.bias": torch.zeros(2)}
    for wrapped in (
        {"state_dict": sd, "epoch": 3},
        {"params_ema": sd, "params": {"x": torch.zeros(1)}},
        {"params": sd},
        {"model": {f"module.{k}": v for k, v in sd.items()}},
    ):
        buffer = io.BytesIO()
        torch.save(wrapped, buffer)
        assert set(read_state_dict(buffer.getvalue())) == set(sd)


def test_safetensors_files_are_read(tmp_path):
    from safetensors.torch import save_file

    sd = {"model1.0.weight": torch.arange(6.0).view(2, 3)}
    path = tmp_path / "weights.safetensors"
    save_file(sd, str(path))
    assert torch.equal(read_state_dict(path)["model1.0.weight"], sd["model1.0.weight"])
    assert torch.equal(read_state_dict(path.read_bytes())["model1.0.weight"], sd["model1.0.weight"])


class _Payload:
    def __reduce__(self):  # would run code if unpickled with plain pickle
        return (print, ("pwned",))


def test_pickled_code_is_refused_instead_of_run():
    buffer = io.BytesIO()
    torch.save({"model1.0.weight": torch.zeros(1), "evil": _Payload()}, buffer)
    with pytest.raises(CheckpointError, match="pickled Python objects"):
        read_state_dict(buffer.getvalue())


def test_garbage_is_refused_with_a_readable_message(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("these are not weights")
    with pytest.raises(CheckpointError, match="not a PyTorch or safetensors weights file"):
        read_state_dict(path)
