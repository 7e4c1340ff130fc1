"""colorize() returns a full-size colour photo whose lightness is the input's own."""

import math

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import color as skcolor
from skimage import data

from inference.errors import InferenceError
from inference.images import is_greyscale
from inference.nets.colorization import eccv16
from inference.pipelines.colorize import colorize


def _vivid_random_weights(net: torch.nn.Module, seed: int) -> torch.nn.Module:
    """He-scaled random weights: unlike PyTorch's default init they survive 20
    layers, so the output is strongly (and often out-of-gamut) coloured."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                c_in, k = module.in_channels, module.kernel_size[0] * module.kernel_size[1]
                # a stride-2 transposed conv feeds each output from a quarter of its taps
                fan_in = c_in * k // (4 if isinstance(module, torch.nn.ConvTranspose2d) else 1)
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) * math.sqrt(2.0 / fan_in))
                if module.bias is not None:
                    module.bias.copy_(0.01 * torch.randn(module.bias.shape, generator=g))
            elif isinstance(module, torch.nn.BatchNorm2d):
                module.weight.copy_(1.0 + 0.1 * torch.randn(module.weight.shape, generator=g))
                module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=g))
        if isinstance(getattr(net, "model_out", None), torch.nn.Conv2d):
            # ECCV16's model_out holds ab bin centres in units of 110, and
            # sharper bin logits make the expected colour saturated.
            net.model_out.weight.copy_(torch.rand(net.model_out.weight.shape, generator=g) * 2 - 1)
            net.model8[-1].weight.mul_(15.0)
    return net.eval()


@pytest.fixture(scope="module")
def net():
    return _vivid_random_weights(eccv16(), seed=0)


def _lab(image: Image.Image) -> np.ndarray:
    return skcolor.rgb2lab(np.asarray(image.convert("RGB")))


def _assert_lightness_kept(source: Image.Image, result: Image.Image) -> None:
    diff = np.abs(_lab(result)[..., 0] - _lab(source)[..., 0])
    assert diff.max() <= 1.0, diff.max()
    assert diff.mean() <= 0.3, diff.mean()


def _gradient_photo(width: int, height: int) -> Image.Image:
    """A grey test card with every level from black to white and some structure."""
    x = np.linspace(0, 1, width)[None, :]
    y = np.linspace(0, 1, height)[:, None]
    grey = 0.5 * x + 0.3 * y + 0.2 * (np.sin(x * 40) * np.cos(y * 25) * 0.5 + 0.5)
    return Image.fromarray(np.clip(grey * 255, 0, 255).astype(np.uint8))


def test_output_has_the_input_size_for_odd_non_square_images(net):
    source = _gradient_photo(301, 203)
    result = colorize(source, net, input_size=128)
    assert result.size == (301, 203) and result.mode == "RGB"


def test_output_of_a_two_megapixel_photo_has_its_size_and_lightness(net):
    source = _gradient_photo(1733, 1157)  # just over 2 megapixels, odd sizes
    result = colorize(source, net)
    assert result.size == (1733, 1157)
    _assert_lightness_kept(source, result)


def test_lightness_is_preserved_even_where_predicted_colours_are_out_of_gamut(net):
    source = _gradient_photo(301, 203)
    result = colorize(source, net)
    chroma = np.hypot(*_lab(result)[..., 1:].transpose(2, 0, 1))
    assert chroma.mean() > 15  # vivid colours: clipping would have moved L
    _assert_lightness_kept(source, result)


def test_grey_input_comes_back_in_colour(net):
    source = _gradient_photo(160, 120)
    assert is_greyscale(source.convert("RGB"))
    result = colorize(source, net)
    assert not is_greyscale(result)


def test_a_real_photo_is_colourised_with_its_lightness_kept(net):
    source = Image.fromarray(data.camera())  # 512 x 512 grey photo
    result = colorize(source, net)
    assert result.size == source.size
    _assert_lightness_kept(source, result)


def test_colour_and_transparent_inputs_are_accepted(net):
    colour = Image.fromarray(data.astronaut()).resize((120, 90))
    rgba = colour.convert("RGBA")
    rgba.putalpha(128)
    assert colorize(colour, net, input_size=64).size == (120, 90)
    assert colorize(rgba, net, input_size=64).size == (120, 90)


def test_progress_reports_each_stage_in_order(net):
    stages = []
    colorize(_gradient_photo(64, 48), net, input_size=64, progress=lambda f, s: stages.append((f, s)))
    assert [s for _, s in stages] == ["preprocess", "forward", "upsample", "done"]
    fractions = [f for f, _ in stages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_an_exception_raised_by_progress_cancels_the_work(net):
    class Cancelled(Exception):
        pass

    def cancel(fraction, stage):
        if stage == "preprocess":
            raise Cancelled()

    with pytest.raises(Cancelled):
        colorize(_gradient_photo(64, 48), net, input_size=64, progress=cancel)


def test_input_size_must_be_a_multiple_of_eight(net):
    with pytest.raises(ValueError):
        colorize(_gradient_photo(64, 48), net, input_size=100)


def test_running_out_of_gpu_memory_becomes_a_readable_error():
    class Greedy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(1))

        def forward(self, l):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")

    with pytest.raises(InferenceError, match="The GPU ran out of memory"):
        colorize(_gradient_photo(64, 48), Greedy(), input_size=64)
