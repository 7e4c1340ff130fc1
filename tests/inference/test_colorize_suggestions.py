"""The colour palette at a hint: SIGGRAPH17's predicted ab distribution, decoded with the official bin layout."""
import numpy as np
import pytest
import torch
from PIL import Image
from skimage import color as skcolor

from inference import registry
from inference.engine import Nets
from inference.errors import InferenceError
from inference.nets.colorization import SIGGRAPH_CLASSES, eccv16, siggraph17
from inference.pipelines.colorize import Hint, suggest_colours


def grey_photo(level: int = 128, size=(96, 64)) -> Image.Image:
    return Image.new("L", size, level)


def nets_of(net: torch.nn.Module, arch: str = "siggraph17") -> Nets:
    return Nets(registry.get_spec(arch), net.eval())


def net_that_predicts(bin_index: int) -> torch.nn.Module:
    """A SIGGRAPH17 net whose classification head is certain of one ab bin everywhere (zero weights, one-hot bias)."""
    net = siggraph17()
    with torch.no_grad():
        net.model_class[0].weight.zero_()
        net.model_class[0].bias.fill_(-30.0)
        net.model_class[0].bias[bin_index] = 30.0
    return net


def official_bin(a: float, b: float) -> int:
    # The official training code's encoding: round((ab + 110) / 10), index = a_index * 23 + b_index.
    return int(round((a + 110) / 10)) * 23 + int(round((b + 110) / 10))


def lab_of(colour: str) -> np.ndarray:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64) / 255
    return skcolor.rgb2lab(rgb.reshape(1, 1, 3))[0, 0]


def test_a_certain_prediction_comes_back_as_that_bins_colour_at_the_photos_lightness():
    bin_index = official_bin(40, -30)
    nets = nets_of(net_that_predicts(bin_index))
    suggestions = suggest_colours(grey_photo(128), nets, 0.3, 0.6)
    assert suggestions[0].probability > 0.99
    lab = lab_of(suggestions[0].as_dict()["color"])
    grey_l = skcolor.rgb2lab(np.full((1, 1, 3), 128 / 255))[0, 0, 0]
    assert abs(lab[0] - grey_l) < 1.5  # the photo's own lightness
    assert abs(lab[1] - 40) < 2.5 and abs(lab[2] + 30) < 2.5  # the bin's centre (8-bit rounding aside)


def test_suggestions_are_distinct_colours_most_likely_first_within_the_count():
    torch.manual_seed(3)
    nets = nets_of(siggraph17())
    suggestions = suggest_colours(grey_photo(90), nets, 0.5, 0.5, count=6)
    assert 1 <= len(suggestions) <= 6
    colours = [s.as_dict()["color"] for s in suggestions]
    assert len(set(colours)) == len(colours)
    probabilities = [s.probability for s in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1 + 1e-6


def test_other_hints_change_the_distribution_at_a_point():
    torch.manual_seed(4)
    nets = nets_of(siggraph17())
    alone = suggest_colours(grey_photo(120), nets, 0.5, 0.5, count=SIGGRAPH_CLASSES)
    guided = suggest_colours(grey_photo(120), nets, 0.5, 0.5, count=SIGGRAPH_CLASSES,
                             hints=[Hint(0.5, 0.45, (20, 60, 230))])
    assert {s.rgb: round(s.probability, 5) for s in alone} != {s.rgb: round(s.probability, 5) for s in guided}


def test_a_model_without_hints_suggests_nothing():
    with pytest.raises(InferenceError, match="hints"):
        suggest_colours(grey_photo(), nets_of(eccv16(), "eccv16"), 0.5, 0.5)
