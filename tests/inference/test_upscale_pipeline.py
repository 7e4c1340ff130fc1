"""Upscale's pipeline: tiles equal the whole picture, GPU out-of-memory retries, the output cap, PRSR samples."""

import numpy as np
import pytest
import torch
from PIL import Image

from inference.engine import Nets
from inference.errors import InferenceError
from inference.nets.prsr import PixelRecursiveSR
from inference.nets.rrdbnet import RRDBNet
from inference.pipelines.upscale import (MIN_TILE, UpscaleOptions, check_output_size, output_size, prsr_input,
                                         render, render_samples, upscale_tensor)
from inference.registry import get_spec
from torch_threads import one_torch_thread  # noqa: F401


def _photo(width, height, seed=0):
    rng = np.random.default_rng(seed)
    # Smooth structure plus noise: the kind of content whose errors would show at tile seams.
    y, x = np.mgrid[0:height, 0:width]
    base = 128 + 90 * np.sin(x[..., None] / 9.0 + np.array([0, 1, 2])) * np.cos(y[..., None] / 13.0)
    pixels = np.clip(base + rng.normal(0, 20, (height, width, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def _rrdbnet(scale, seed=0):
    torch.manual_seed(seed)
    return RRDBNet(num_feat=16, num_block=2, num_grow_ch=8, scale=scale).eval()


@pytest.mark.parametrize("scale,name", [(4, "realesrgan-x4plus"), (2, "realesrgan-x2plus")])
def test_tiled_rrdbnet_equals_the_whole_picture_within_one_level(scale, name):
    nets = Nets(get_spec(name), _rrdbnet(scale))
    photo = _photo(150, 122)
    whole = np.asarray(render(photo, nets, UpscaleOptions(tile=0))).astype(int)
    fractions = []
    tiled = np.asarray(render(photo, nets, UpscaleOptions(tile=80),
                              progress=lambda f, stage: fractions.append((f, stage)))).astype(int)
    assert whole.shape == (122 * scale, 150 * scale, 3) == tiled.shape
    assert np.abs(whole - tiled).max() <= 1
    # The same in floats, before rounding and clamping: within one level everywhere, and not a flat picture.
    pixels = torch.from_numpy(np.array(photo)).permute(2, 0, 1)[None].float() / 255
    exact = upscale_tensor(nets.net, pixels, tile=0)
    assert exact.std() > 0.02
    assert (upscale_tensor(nets.net, pixels, tile=80) - exact).abs().max() * 255 <= 1
    tiles = [f for f, stage in fractions if stage == "upscale"]
    assert len(tiles) >= 4 and tiles == sorted(tiles)  # progress after every tile
    assert fractions[-1] == (1.0, "done")


def test_an_odd_sized_photo_runs_on_a_x2_net_that_needs_even_sides():
    nets = Nets(get_spec("realesrgan-x2plus"), _rrdbnet(2))
    assert render(_photo(31, 17), nets, UpscaleOptions(tile=0)).size == (62, 34)


class _SmallGPU(torch.nn.Module):
    """An RRDBNet behind a GPU memory limit: inputs with more than ``limit`` pixels raise CUDA's out-of-memory."""

    def __init__(self, net, limit):
        super().__init__()
        self.net, self.limit, self.scale, self.unshuffle = net, limit, net.scale, net.unshuffle
        self.sides = []

    def forward(self, x):
        self.sides.append(max(x.shape[2:]))
        if x.shape[2] * x.shape[3] > self.limit:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (test limit)")
        return self.net(x)


def test_out_of_memory_retries_with_half_the_tile_then_fails_with_a_sentence():
    net = _rrdbnet(4)
    photo = torch.from_numpy(np.array(_photo(200, 150))).permute(2, 0, 1)[None].float() / 255
    whole = upscale_tensor(net, photo, tile=0)
    small = _SmallGPU(net, limit=130 * 130)
    tiled = upscale_tensor(small, photo, tile=512)
    assert small.sides[0] == 200 and max(small.sides[1:]) <= 130  # whole photo refused, then 100-px tiles
    assert (tiled - whole).abs().max() * 255 <= 1
    with pytest.raises(InferenceError, match=f"ran out of memory even with tiles of {MIN_TILE} pixels"):
        upscale_tensor(_SmallGPU(net, limit=10 * 10), photo, tile=256)


def test_the_output_cap_refuses_with_the_largest_input_that_fits():
    check_output_size((2000, 2000), 4, 64_000_000)
    with pytest.raises(InferenceError) as refused:
        check_output_size((3000, 2000), 4, 64_000_000)
    message = str(refused.value)
    assert "12000 \u00d7 8000 pixels" in message and "the limit is 64 megapixels" in message
    fit_w, fit_h = (int(v) for v in message.split("fits is ")[1].rstrip(" pixels.").split(" \u00d7 "))
    assert fit_w * fit_h * 16 <= 64_000_000 < (fit_w + 1) * (fit_h + 1) * 16
    assert abs(fit_w / fit_h - 1.5) < 0.01
    check_output_size((fit_w, fit_h), 4, 64_000_000)


def _tiny_prsr(seed=0):
    torch.manual_seed(seed)
    return PixelRecursiveSR(scale=4, cond_features=12, cond_blocks=1, prior_features=12, prior_layers=2).eval()


def test_prsr_samples_differ_at_temperature_one_and_agree_near_zero():
    nets = Nets(get_spec("prsr-faces"), _tiny_prsr())
    photo = _photo(90, 60, seed=3)
    rows = []
    samples = render_samples(photo, nets, UpscaleOptions(temperature=1.0, samples=3, seed=5),
                             progress=lambda f, stage: rows.append(stage))
    assert [s.size for s in samples] == [output_size(nets.spec, photo.size)] * 3 == [(32, 32)] * 3
    arrays = [np.asarray(s) for s in samples]
    assert all(not np.array_equal(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1:])
    assert rows.count("sample") == 32  # progress after each row
    # Sample k has seed seed + k: the second sample alone is the same picture.
    alone = render(photo, nets, UpscaleOptions(temperature=1.0, samples=1, seed=6))
    assert np.array_equal(np.asarray(alone), arrays[1])
    cold = render_samples(photo, nets, UpscaleOptions(temperature=0.0, samples=3, seed=5))
    nearly = render_samples(photo, nets, UpscaleOptions(temperature=1e-6, samples=2, seed=9))
    assert all(np.array_equal(np.asarray(c), np.asarray(cold[0])) for c in cold[1:] + nearly)


def test_prsr_input_is_the_centre_square_area_downsampled():
    pixels = np.zeros((40, 80, 3), np.uint8)
    pixels[:, 20:60] = 200  # the centre square is 20..60: all 200
    pixels[:, 20:40, 0] = 100
    low = prsr_input(Image.fromarray(pixels), 8)
    assert low.shape == (1, 3, 8, 8)
    assert low[0, 1].eq(200).all() and low[0, 0, :, :4].eq(100).all() and low[0, 0, :, 4:].eq(200).all()


def test_bad_options_are_refused_with_sentences():
    for kwargs in ({"temperature": -0.1}, {"temperature": 3}, {"samples": 0}, {"samples": 99}, {"tile": 10}):
        with pytest.raises(InferenceError):
            UpscaleOptions(**kwargs)
