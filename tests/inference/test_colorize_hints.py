"""SIGGRAPH17 follows colour hints where they are painted; ECCV16 ignores them."""

import math

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import color as skcolor

from inference.errors import InferenceError
from inference.nets.colorization import eccv16, siggraph17
from inference.pipelines.colorize import Hint, colorize, parse_hints

RED = (230, 20, 20)


def _he_random(net: torch.nn.Module, seed: int) -> torch.nn.Module:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                fan_in = module.in_channels * module.kernel_size[0] * module.kernel_size[1]
                if isinstance(module, torch.nn.ConvTranspose2d):
                    fan_in //= 4
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) * math.sqrt(2.0 / fan_in))
                module.bias.copy_(0.01 * torch.randn(module.bias.shape, generator=g))
    return net.eval()


def _hint_passthrough() -> torch.nn.Module:
    """A SIGGRAPH17 net wired by hand to paint each hint's ab and nothing else.

    Only the shallow path model1 -> model1short10 -> model10 -> model_out is
    non-zero: it copies the hint's a and b (split into positive and negative
    parts to survive the ReLUs) to the output. So the output is coloured
    exactly where the pipeline put hints, in the hints' hue.
    """
    net = siggraph17()
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                module.weight.zero_()
                module.bias.zero_()
            elif isinstance(module, torch.nn.BatchNorm2d):
                module.reset_parameters()  # identity: weight 1, bias 0, mean 0, var 1

        first = net.model1[0].weight  # inputs: L, a, b, mask
        first[0, 1, 1, 1], first[1, 1, 1, 1] = 1.0, -1.0  # a+, a-
        first[2, 2, 1, 1], first[3, 2, 1, 1] = 1.0, -1.0  # b+, b-
        for conv in (net.model1[2], net.model1short10[0], net.model10[1]):
            for c in range(4):
                conv.weight[c, c, 1, 1] = 1.0
        out = net.model_out[0].weight
        out[0, 0], out[0, 1] = 1.0, -1.0
        out[1, 2], out[1, 3] = 1.0, -1.0
    return net.eval()


def _grey(width=200, height=120, level=128) -> Image.Image:
    return Image.new("L", (width, height), level)


def _ab(image: Image.Image) -> np.ndarray:
    return skcolor.rgb2lab(np.asarray(image))[..., 1:]


def _hue_degrees(ab: np.ndarray) -> float:
    return math.degrees(math.atan2(ab[1], ab[0]))


def test_a_hint_colours_its_own_spot_in_the_hints_hue():
    net = _hint_passthrough()
    hint_ab = skcolor.rgb2lab(np.array([[RED]], dtype=np.uint8))[0, 0, 1:]
    result = colorize(_grey(), net, hints=[Hint(x=0.75, y=0.25, rgb=RED)], input_size=64)
    ab = _ab(result)
    at_hint = ab[30, 150]  # (row, col) of x=0.75, y=0.25 in a 200 x 120 image
    assert np.hypot(*at_hint) > 20
    assert abs(_hue_degrees(at_hint) - _hue_degrees(hint_ab)) < 10
    # the transposed point would be coloured if x and y were swapped
    assert np.hypot(*ab[90, 50]) < 1 and np.hypot(*ab[30, 50]) < 1


def test_no_hints_means_no_colour_from_the_hint_path():
    result = colorize(_grey(), _hint_passthrough(), input_size=64)
    assert np.abs(_ab(result)).max() < 1


def test_hints_on_the_border_are_clipped_not_rejected():
    hints = [Hint(x=0.0, y=0.0, rgb=RED), Hint(x=1.0, y=1.0, rgb=(20, 20, 230))]
    ab = _ab(colorize(_grey(), _hint_passthrough(), hints=hints, input_size=64))
    assert np.hypot(*ab[0, 0]) > 20 and np.hypot(*ab[-1, -1]) > 20
    assert _hue_degrees(ab[-1, -1]) < -45  # blue


def test_with_random_weights_a_hint_changes_the_output_most_around_itself():
    torch.manual_seed(0)
    net = _he_random(siggraph17(), seed=3)
    photo = Image.fromarray((np.add.outer(np.arange(120), np.arange(160)) % 256).astype(np.uint8))
    plain = _ab(colorize(photo, net, input_size=128))
    hinted = _ab(colorize(photo, net, hints=[Hint(x=0.25, y=0.3, rgb=RED)], input_size=128))
    change = np.hypot(*(hinted - plain).transpose(2, 0, 1))
    near = change[36 - 4 : 36 + 5, 40 - 4 : 40 + 5].mean()  # around (x=0.25, y=0.3)
    far = change[90:, 110:].mean()
    assert near > 1.0
    assert near > 3 * far


def test_eccv16_ignores_hints():
    torch.manual_seed(0)
    net = eccv16().eval()
    photo = _grey(64, 48, 90)
    plain = np.asarray(colorize(photo, net, input_size=64))
    hinted = np.asarray(colorize(photo, net, hints=[Hint(0.5, 0.5, RED)], input_size=64))
    assert np.array_equal(plain, hinted)


def test_hints_are_parsed_from_the_browser_json():
    hints = parse_hints([{"x": 0.5, "y": 0, "color": "#FF8000"}, {"x": 1, "y": 0.25, "color": "#00ff7f"}])
    assert hints == [Hint(0.5, 0.0, (255, 128, 0)), Hint(1.0, 0.25, (0, 255, 127))]
    assert parse_hints(None) == [] and parse_hints([]) == []


@pytest.mark.parametrize(
    "data, message",
    [
        ({"x": 0.5}, "must be a list"),
        ([{"x": 1.5, "y": 0.5, "color": "#ff0000"}], r"Colour hint 1: 'x' is 1.5, but it must be between 0 and 1"),
        ([{"x": 0.5, "y": "top", "color": "#ff0000"}], r"'y' must be a number"),
        ([{"x": 0.5, "y": True, "color": "#ff0000"}], r"'y' must be a number"),
        ([{"x": 0.5, "y": 0.5, "color": "#ff0000"}, {"x": 0.5, "y": 0.5, "color": "red"}], r"Colour hint 2: 'color' must look like"),
        ([{"x": 0.5, "y": 0.5}], r"'color' must look like"),
        (["#ff0000"], "must be an object"),
        ([{"x": 0.1, "y": 0.1, "color": "#000000"}] * 300, "300 colour hints; the limit is 256"),
    ],
)
def test_bad_hints_are_refused_with_a_message_that_says_why(data, message):
    with pytest.raises(InferenceError, match=message):
        parse_hints(data)
