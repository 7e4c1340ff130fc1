"""Official pix2pix generator files load unchanged and run as the official test.py runs them."""

import copy

import pytest
import torch

from inference.checkpoints import read_state_dict
from inference.errors import CheckpointError
from inference.nets.pix2pix import UnetGenerator
from inference.pipelines.sketch import SketchOptions, generate
from inference.registry import get_spec, net_from_state_dict
from official_pix2pix_keys import official_state_dict, unet_layers, write_checkpoint

SPEC = get_spec("edges2shoes")  # says unet_256 / ngf 64; the files decide


@pytest.fixture(scope="module")
def unet_256_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("official") / "latest_net_G.pth"
    write_checkpoint(official_state_dict(unet_layers(8, 64), seed=3, num_batches_tracked=True), path)
    return path


@pytest.fixture(scope="module")
def small_state_dict():
    """unet_128 with ngf 8, as official files without num_batches_tracked are."""
    return official_state_dict(unet_layers(num_downs=7, ngf=8), seed=5)


def _reference(state_dict, *, num_downs: int, ngf: int, use_dropout: bool) -> UnetGenerator:
    """The same weights in a plain module, as test.py holds them (running stats copied, so they may move)."""
    net = UnetGenerator(num_downs=num_downs, ngf=ngf, use_dropout=use_dropout)
    net.load_state_dict(copy.deepcopy(dict(state_dict)), strict=False)
    return net


def test_the_official_unet_256_layout_has_82_keys_13_num_batches_tracked_and_54_4m_parameters(unet_256_file):
    sd = read_state_dict(unet_256_file)
    assert len(sd) == 82
    assert sum(k.endswith("num_batches_tracked") for k in sd) == 13
    buffers = ("running_mean", "running_var", "num_batches_tracked")
    assert sum(v.numel() for k, v in sd.items() if not k.endswith(buffers)) == 54_413_955

    net = net_from_state_dict(SPEC, sd)
    assert sum(p.numel() for p in net.parameters()) == 54_413_955
    assert set(net.state_dict()) == set(sd)
    for key in ("model.model.0.weight", "model.model.1.model.2.running_var", "model.model.3.bias",
                "model.model.1.model.3.model.3.model.3.model.3.model.3.model.3.model.4.weight"):
        assert torch.equal(net.state_dict()[key], sd[key])


def test_depth_and_width_are_read_from_the_tensors_not_the_spec(small_state_dict):
    net = net_from_state_dict(SPEC, small_state_dict)
    assert net.num_downs == 7 and net.multiple == 128
    assert net.state_dict()["model.model.0.weight"].shape == (8, 3, 4, 4)
    assert torch.equal(net.state_dict()["model.model.3.weight"], small_state_dict["model.model.3.weight"])


def test_files_without_num_batches_tracked_load(small_state_dict, tmp_path):
    assert not any(k.endswith("num_batches_tracked") for k in small_state_dict)
    path = tmp_path / "no_nbt.pth"
    write_checkpoint(small_state_dict, path)
    net = net_from_state_dict(SPEC, read_state_dict(path))
    assert torch.equal(net.state_dict()["model.model.1.model.2.running_mean"], small_state_dict["model.model.1.model.2.running_mean"])


def test_legacy_pre_zip_torch_save_files_load(small_state_dict, tmp_path):
    path = tmp_path / "legacy.pth"
    write_checkpoint(small_state_dict, path, legacy=True)
    assert not path.read_bytes().startswith(b"PK")
    net = net_from_state_dict(SPEC, read_state_dict(path))
    assert torch.equal(net.state_dict()["model.model.0.weight"], small_state_dict["model.model.0.weight"])


def test_a_wrong_key_is_refused_and_named(small_state_dict):
    broken = dict(small_state_dict)
    broken["model.model.1.model.9.weight"] = broken.pop("model.model.1.model.5.weight")
    with pytest.raises(CheckpointError, match=r"missing keys: model\.model\.1\.model\.5\.weight.*unexpected keys: model\.model\.1\.model\.9\.weight"):
        net_from_state_dict(SPEC, broken)


def test_a_wrong_shape_is_refused_and_named(small_state_dict):
    broken = dict(small_state_dict, **{"model.model.1.model.2.weight": torch.ones(5)})
    with pytest.raises(CheckpointError, match=r"wrong shapes: model\.model\.1\.model\.2\.weight \(file 5"):
        net_from_state_dict(SPEC, broken)


def test_a_discriminator_file_is_refused_with_a_hint():
    discriminator = {"model.0.weight": torch.zeros(64, 6, 4, 4), "model.0.bias": torch.zeros(64),
                     "model.11.weight": torch.zeros(1, 512, 4, 4), "model.11.bias": torch.zeros(1)}
    with pytest.raises(CheckpointError, match="latest_net_G.pth"):
        net_from_state_dict(SPEC, discriminator)


def test_official_mode_equals_the_module_in_train_mode_at_batch_size_1(small_state_dict):
    net = net_from_state_dict(SPEC, small_state_dict).eval()
    before = copy.deepcopy(net.state_dict())
    images = torch.rand(2, 3, 128, 128) * 2 - 1

    reference = _reference(small_state_dict, num_downs=7, ngf=8, use_dropout=False).train()
    expected = torch.cat([reference(image[None].clone()) for image in images]).detach()
    ours = generate(net, images, SketchOptions(norm="official", dropout=False), [None, None])
    assert torch.allclose(ours, expected, atol=1e-5)

    # Dropout on, as test.py leaves it: same masks as nn.Dropout draws after torch.manual_seed(seed).
    reference = _reference(small_state_dict, num_downs=7, ngf=8, use_dropout=True).train()
    expected = []
    for seed, image in zip((11, 12), images):
        torch.manual_seed(seed)
        expected.append(reference(image[None].clone()).detach())
    ours = generate(net, images, SketchOptions(norm="official", dropout=True), [11, 12])
    assert torch.allclose(ours, torch.cat(expected), atol=1e-5)
    assert not torch.allclose(ours, generate(net, images, SketchOptions(dropout=True), [13, 14]), atol=1e-3)

    # Running statistics are the file's, untouched by official-mode inference.
    assert all(torch.equal(net.state_dict()[k], before[k]) for k in before)


def test_eval_mode_equals_the_module_in_eval_mode(small_state_dict):
    net = net_from_state_dict(SPEC, small_state_dict).train()  # the module's own mode does not matter
    images = torch.rand(2, 3, 128, 128) * 2 - 1
    reference = _reference(small_state_dict, num_downs=7, ngf=8, use_dropout=True).eval()
    with torch.no_grad():
        expected = reference(images.clone())
    ours = generate(net, images, SketchOptions(norm="eval", dropout=False), [None, None])
    assert torch.allclose(ours, expected, atol=1e-5)


def test_the_full_size_official_generator_runs_in_official_mode(unet_256_file):
    sd = read_state_dict(unet_256_file)
    net = net_from_state_dict(SPEC, sd)
    image = torch.rand(1, 3, 256, 256) * 2 - 1
    reference = _reference(sd, num_downs=8, ngf=64, use_dropout=False).train()
    with torch.no_grad():
        expected = reference(image.clone())
    ours = generate(net, image, SketchOptions(norm="official", dropout=False), [None])
    assert ours.shape == (1, 3, 256, 256)
    assert torch.allclose(ours, expected, atol=1e-5)
