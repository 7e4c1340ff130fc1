"""The resize-convolution U-Net of the bundled demos: its own builder, the studio's modes, no checkerboard, and it trains."""

import copy
import csv
import dataclasses

import numpy as np
import pytest
import torch

from inference.checkpoints import load_strict
from inference.cli import main
from inference.data.landscapes import write_dataset
from inference.data.spectrum import nyquist_share
from inference.engine import clear_cache, load_nets
from inference.errors import CheckpointError
from inference.nets.pix2pix import ResizeConv2d, UnetGenerator, architecture_of, generator_shape, init_weights
from inference.pipelines.sketch import SketchOptions, finish, generate
from inference.registry import build_net, get_spec, net_from_state_dict
from torch_threads import one_torch_thread  # noqa: F401

SIZE = 64


def _resize_spec():
    return dataclasses.replace(get_spec("landscape-paint"), arch="unet_small_resize")


def _small(upsample: str, seed: int, *, use_dropout: bool = True) -> UnetGenerator:
    torch.manual_seed(seed)
    return init_weights(UnetGenerator(num_downs=6, ngf=8, use_dropout=use_dropout, upsample=upsample))


def test_the_builder_makes_a_u_net_without_transposed_convolutions():
    net = build_net(_resize_spec())
    assert isinstance(net, UnetGenerator) and net.multiple == 2 ** 6 and net.upsample == "resize"
    modules = list(net.modules())
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in modules)
    assert sum(isinstance(m, ResizeConv2d) for m in modules) == 6  # one per level on the way up
    assert architecture_of(6, 16, "resize") == "unet_small_resize" and architecture_of(6, 16) == "unet_small"
    assert architecture_of(6, 8, "resize") == "unet"


def test_its_files_are_recognised_and_never_load_into_the_official_layout():
    state = build_net(_resize_spec()).state_dict()
    assert "model.model.3.conv.weight" in state and "model.model.3.weight" not in state
    # The bundled entry's 3 drawing channels and 16 style planes (test_sketch_style.py).
    assert generator_shape(state) == {"input_nc": 19, "output_nc": 3, "ngf": 16, "num_downs": 6, "norm": "batch",
                                      "upsample": "resize"}
    # Whatever the record says, the file decides (as for official files).
    loaded = net_from_state_dict(get_spec("edges2shoes"), state)
    assert loaded.upsample == "resize"
    with pytest.raises(CheckpointError):
        load_strict(build_net(get_spec("edges2shoes")), state)
    with pytest.raises(CheckpointError):
        load_strict(build_net(_resize_spec()), build_net(dataclasses.replace(_resize_spec(), arch="unet_small")).state_dict())


def test_the_studio_modes_equal_the_module_switched_by_hand():
    images = torch.rand(2, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1)) * 2 - 1
    net = _small("resize", 4)
    before = copy.deepcopy(net.state_dict())
    # Official: per-image statistics = the module in train mode at batch size 1 (no dropout layers).
    reference = _small("resize", 4, use_dropout=False).train()
    with torch.no_grad():
        expected = torch.cat([reference(image[None].clone()) for image in images])
    ours = generate(net, images, SketchOptions(norm="official", dropout=False), [None, None])
    assert torch.allclose(ours, expected, atol=1e-5)
    # Eval: running statistics, no dropout.
    reference = copy.deepcopy(net).eval()
    with torch.no_grad():
        expected = reference(images.clone())
    assert torch.allclose(generate(net, images, SketchOptions(norm="eval", dropout=False), [None, None]), expected,
                          atol=1e-5)
    # Dropout on: the seed decides the variation.
    first = generate(net, images, SketchOptions(dropout=True), [11, 12])
    assert torch.equal(first, generate(net, images, SketchOptions(dropout=True), [11, 12]))
    assert not torch.allclose(first, generate(net, images, SketchOptions(dropout=True), [13, 14]), atol=1e-4)
    assert all(torch.equal(net.state_dict()[k], before[k]) for k in before)


def test_at_initialisation_resize_convolution_leaves_far_less_energy_at_the_2_pixel_period():
    """Fixed seeds and inputs: the comparison is deterministic, not a statistical bet."""
    images = torch.rand(3, 3, 128, 128, generator=torch.Generator().manual_seed(2)) * 2 - 1
    options = SketchOptions(norm="official", dropout=False)
    for seed in (0, 1, 2):
        share = {}
        for upsample in ("transpose", "resize"):
            outputs = generate(_small(upsample, seed), images, options, [None] * 3)
            share[upsample] = np.mean([nyquist_share(finish(picture)) for picture in outputs])
        assert share["resize"] < 0.5 * share["transpose"], share


def test_the_nyquist_measure_sees_a_checkerboard_and_not_a_smooth_picture():
    y, x = np.mgrid[0:64, 0:64]
    smooth = np.uint8(127 + 100 * np.sin(x / 9.0) * np.cos(y / 7.0))
    checker = np.uint8(np.clip(smooth.astype(int) + 20 * ((x + y) % 2 * 2 - 1), 0, 255))
    assert nyquist_share(smooth) < 1e-3 < nyquist_share(checker)
    assert nyquist_share(np.full((8, 8, 3), 200, np.uint8)) == 0.0


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny resize-convolution generator trained on procedural label maps, installed in a temporary folder."""
    data = tmp_path_factory.mktemp("pairs")
    write_dataset(data, kind="paint", count=24, val_count=4, size=SIZE, seed=13, progress=False)
    run, models = tmp_path_factory.mktemp("run"), tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATELIER_MODELS_DIR", str(models))
        code = main(["train", "pix2pix", "--data", str(data), "--name", "tiny-resize", "--out", str(run),
                     "--kind", "label_map", "--palette", "landscape", "--input-size", str(SIZE), "--ngf", "8",
                     "--ndf", "8", "--upsample", "resize", "--epochs", "4", "--epochs-decay", "1",
                     "--workers", "0", "--threads", "1", "--seed", "3"])
    yield code, run, models, data
    clear_cache()


def test_it_trains_the_held_out_l1_falls_and_the_model_installs_as_resize(trained, monkeypatch):
    code, run, models, data = trained
    assert code == 0
    with open(run / "losses.csv", newline="") as fh:
        log = list(csv.DictReader(fh))
    before, after = float(log[0]["val_L1"]), float(log[-1]["val_L1"])
    assert after < 0.7 * before, (before, after)
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(models))
    spec = get_spec("tiny-resize")
    assert spec.arch == "unet" and spec.options["upsample"] == "resize" and spec.options["ngf"] == 8
    assert build_net(spec).upsample == "resize"
    net = load_nets(spec, device="cpu").net
    assert net.upsample == "resize"
