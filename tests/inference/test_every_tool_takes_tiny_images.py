"""Every tool renders every valid image size down to 1x1, at the photo's own size (or the model's for Sketch)."""

import numpy as np
import pytest
import torch
from PIL import Image

from inference.engine import Nets
from inference.nets.adain import AdaINDecoder
from inference.nets.colorization import eccv16
from inference.nets.pix2pix import unet_256
from inference.nets.transformer_net import MultiStyleTransformerNet, TransformerNet
from inference.nets.vgg import NormalisedVGG19
from inference.pipelines import sketch
from inference.pipelines.colorize import colorize
from inference.pipelines.style_options import MIN_TILE
from inference.pipelines.stylize import StyleOptions, style_statistics, stylize_adain, stylize_multistyle, stylize_transformer
from inference.registry import REGISTRY
from torch_threads import one_torch_thread  # noqa: F401

SIZES = [(1, 1), (1, 9), (9, 1), (3, 3)]


def _picture(size, mode="RGB"):
    pixels = np.random.default_rng(sum(size)).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels).convert(mode)


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    return {
        "single": TransformerNet().eval().requires_grad_(False),
        "multi": MultiStyleTransformerNet(2, ["a", "b"]).eval().requires_grad_(False),
        "encoder": NormalisedVGG19().eval().requires_grad_(False),
        "decoder": AdaINDecoder().eval().requires_grad_(False),
        "colorize": eccv16().eval().requires_grad_(False),
        "sketch": Nets(spec=REGISTRY["edges2shoes"], net=unet_256(ngf=8).eval().requires_grad_(False)),
    }


@pytest.mark.parametrize("size", SIZES)
def test_colorize_keeps_a_tiny_photos_size(nets, size):
    result = colorize(_picture(size, "L"), nets["colorize"], input_size=64)
    assert result.mode == "RGB" and result.size == size


@pytest.mark.parametrize("size", SIZES)
def test_sketch_renders_a_tiny_drawing_at_the_models_size(nets, size):
    result = sketch.render(_picture(size), nets["sketch"], sketch.SketchOptions(seed=1))
    assert result.size == (256, 256)


@pytest.mark.parametrize("size", SIZES)
def test_single_style_stylize_keeps_a_tiny_photos_size(nets, size):
    result = stylize_transformer(_picture(size), nets["single"])
    assert result.size == size


@pytest.mark.parametrize("size", SIZES)
def test_multi_style_stylize_and_its_preview_keep_a_tiny_photos_size(nets, size):
    assert stylize_multistyle(_picture(size), nets["multi"], [1, 1]).size == size
    preview = StyleOptions(max_side=256, tile=0)  # what the live preview renders with
    assert stylize_multistyle(_picture(size), nets["multi"], [1, 0], preview).size == size


@pytest.mark.parametrize("size", SIZES)
def test_adain_stylize_keeps_a_tiny_photos_size_and_takes_a_tiny_style(nets, size):
    statistics = style_statistics(nets["encoder"], _picture(size))
    assert all(torch.isfinite(part).all() for part in statistics)
    result = stylize_adain(_picture(size), nets["encoder"], nets["decoder"], [(statistics, 1.0)])
    assert result.size == size


@pytest.mark.parametrize("size", [(MIN_TILE + 40, 3), (3, MIN_TILE + 40)])
def test_a_thin_photo_longer_than_a_tile_is_stylised_in_tiles(nets, size):
    options = StyleOptions(tile=MIN_TILE)
    assert stylize_multistyle(_picture(size), nets["multi"], [1, 0], options).size == size
    statistics = style_statistics(nets["encoder"], _picture((32, 32)))
    assert stylize_adain(_picture(size), nets["encoder"], nets["decoder"], [(statistics, 1.0)], options).size == size

