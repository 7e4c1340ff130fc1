"""fast_neural_style files from pytorch/examples load unchanged, old ones with running stats too."""

import dataclasses

import pytest
import torch

from inference.checkpoints import read_state_dict
from inference.errors import CheckpointError
from inference.nets.transformer_net import MultiStyleTransformerNet, TransformerNet, from_official_fast_neural_style
from inference.registry import get_spec, net_from_state_dict
from official_stylize_keys import fast_neural_style_forward, fast_neural_style_state_dict, save
from torch_threads import one_torch_thread  # noqa: F401


def test_a_current_official_file_loads_strictly_and_computes_the_official_forward(tmp_path):
    sd = fast_neural_style_state_dict(seed=1)
    save(sd, tmp_path / "candy.pth")
    net = net_from_state_dict(get_spec("candy"), read_state_dict(tmp_path / "candy.pth")).eval()
    assert isinstance(net, TransformerNet)
    assert list(net.state_dict()) == list(sd)
    x = torch.rand(1, 3, 48, 64) * 255
    with torch.no_grad():
        torch.testing.assert_close(net(x), fast_neural_style_forward(sd, x), rtol=1e-4, atol=1e-3)


def test_an_old_file_with_instance_norm_running_stats_loads_with_them_dropped(tmp_path):
    sd = fast_neural_style_state_dict(seed=2, running_stats=True)
    assert "in1.running_mean" in sd and "res3.in2.running_var" in sd
    save(sd, tmp_path / "mosaic.pth", legacy=True)
    net = net_from_state_dict(get_spec("mosaic"), read_state_dict(tmp_path / "mosaic.pth"))
    assert torch.equal(net.state_dict()["res3.in2.weight"], sd["res3.in2.weight"])
    assert not any("running" in key for key in net.state_dict())


def test_the_remap_drops_exactly_the_running_statistics():
    sd = fast_neural_style_state_dict(seed=3, running_stats=True)
    kept = from_official_fast_neural_style(sd)
    assert set(sd) - set(kept) == {k for k in sd if k.endswith(("running_mean", "running_var"))}
    assert len(kept) == 62


def test_a_file_with_an_unknown_key_is_refused_and_the_key_named():
    sd = fast_neural_style_state_dict(seed=4)
    sd["res6.conv1.conv2d.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointError, match=r"res6\.conv1\.conv2d\.weight"):
        net_from_state_dict(get_spec("udnie"), sd)


def test_a_multi_style_file_loads_with_its_number_of_styles_read_from_the_tables():
    sd = fast_neural_style_state_dict(seed=5, n_rows=4)
    spec = dataclasses.replace(get_spec("candy"), arch="multistyle", options={})
    net = net_from_state_dict(spec, sd)
    assert isinstance(net, MultiStyleTransformerNet) and net.n_styles == 3 and net.identity_slot == 3
    with pytest.raises(CheckpointError, match="multi-style"):
        net_from_state_dict(get_spec("candy"), sd)
