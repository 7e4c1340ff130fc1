"""Large photos rendered in tiles equal the whole-image render: no seams, same global statistics."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from inference.data.procedural import photo
from inference.nets.adain import AdaINDecoder
from inference.nets.transformer_net import TransformerNet
from inference.nets.vgg import NormalisedVGG19
from inference.pipelines.stylize import StyleOptions, stylize_adain, stylize_transformer
from inference.tiling import plan_tiles, run_tiled
from official_stylize_keys import adain_decoder_state_dict, fast_neural_style_state_dict, vgg_normalised_state_dict
from torch_threads import one_torch_thread  # noqa: F401


def test_tiles_are_aligned_overlap_enough_and_their_owned_parts_partition_the_image():
    tiles = plan_tiles(700, 1030, tile=256, overlap=96, align=8)
    covered = np.zeros((700, 1030), int)
    owned = np.zeros((700, 1030), int)
    for t in tiles:
        assert t.top % 8 == 0 and t.left % 8 == 0
        covered[t.top:t.bottom, t.left:t.right] += 1
        owned[t.own_top:t.own_bottom, t.own_left:t.own_right] += 1
        assert t.top <= t.own_top and t.own_bottom <= t.bottom and t.left <= t.own_left and t.own_right <= t.right
    assert covered.min() >= 1 and (owned == 1).all()
    starts = sorted({t.left for t in tiles})
    ends = sorted({t.right for t in tiles})
    assert all(end - start >= 96 for start, end in zip(starts[1:], ends[:-1]))


def test_a_local_filter_run_in_tiles_equals_the_whole_image_run():
    """A stack of padded 3x3 convs (receptive-field radius 6) in tiles with a margin of 8."""
    g = torch.Generator().manual_seed(0)
    weights = [torch.randn(3, 3, 3, 3, generator=g) * 0.3 for _ in range(6)]

    def local(x, _tile=None):
        for w in weights:
            x = torch.tanh(F.conv2d(F.pad(x, [1] * 4, mode="reflect"), w))
        return x

    image = torch.rand(1, 3, 150, 230, generator=g)
    tiled = run_tiled(image, local, tile=48, margin=8, feather=8, align=4)
    torch.testing.assert_close(tiled, local(image), rtol=0, atol=1e-5)


def _array(picture):
    return np.asarray(picture).astype(int)


@pytest.fixture(scope="module")
def transformer():
    sd = fast_neural_style_state_dict(seed=3)
    sd["deconv3.conv2d.weight"] = sd["deconv3.conv2d.weight"] * 40  # spread the output over [0, 255]
    sd["deconv3.conv2d.bias"] = sd["deconv3.conv2d.bias"] + 128
    net = TransformerNet().eval().requires_grad_(False)
    net.load_state_dict(sd)
    return net


def test_a_transformer_net_in_four_tiles_matches_the_whole_image(transformer):
    picture = photo(7, (300, 264))
    whole = _array(stylize_transformer(picture, transformer, StyleOptions(tile=0)))
    assert whole.std() > 20  # a real picture, not a flat grey
    tiled = _array(stylize_transformer(picture, transformer, StyleOptions(tile=256)))
    difference = np.abs(whole - tiled)
    assert difference.max() <= 1 and difference.mean() < 0.01


def test_tiles_use_the_whole_image_statistics_not_their_own(transformer):
    """A photo half dark, half bright: per-tile instance norm would give each half its own contrast."""
    pixels = np.asarray(photo(9, (300, 264))).astype(float)
    pixels[:, :150] *= 0.3
    picture = Image.fromarray(pixels.astype(np.uint8))
    whole = _array(stylize_transformer(picture, transformer, StyleOptions(tile=0)))
    tiled = _array(stylize_transformer(picture, transformer, StyleOptions(tile=256)))
    assert np.abs(whole - tiled).max() <= 1


def test_adain_in_tiles_matches_the_whole_image_with_exactly_accumulated_content_statistics():
    encoder = NormalisedVGG19().eval().requires_grad_(False)
    encoder.load_state_dict({k: v for k, v in vgg_normalised_state_dict(seed=4).items() if int(k.split(".")[0]) <= 30})
    sd = adain_decoder_state_dict(seed=5)
    sd["28.weight"], sd["28.bias"] = sd["28.weight"] * 0.2, sd["28.bias"] + 0.5
    decoder = AdaINDecoder().eval().requires_grad_(False)
    decoder.load_state_dict(sd)
    g = torch.Generator().manual_seed(1)
    style = (torch.rand(512, generator=g), torch.rand(512, generator=g) + 0.5)
    picture = photo(8, (296, 200))
    options = dict(strength=0.8)
    whole = _array(stylize_adain(picture, encoder, decoder, [(style, 1.0)], StyleOptions(tile=0, **options)))
    assert whole.std() > 20
    tiled = _array(stylize_adain(picture, encoder, decoder, [(style, 1.0)], StyleOptions(tile=256, **options)))
    difference = np.abs(whole - tiled)
    assert difference.max() <= 1 and difference.mean() < 0.01
