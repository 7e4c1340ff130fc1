"""Colour preservation keeps the photo's chroma ("luminance") or its colour statistics ("match")."""

import numpy as np
import pytest
import torch

from inference.data.procedural import painting, photo
from inference.nets.transformer_net import TransformerNet
from inference.pipelines.stylize import StyleOptions, stylize_transformer
from inference.preserve_colour import (
    colour_statistics,
    keep_luminance_only,
    match_colour_statistics,
    preserve_colour,
    rgb_to_yiq,
    yiq_to_rgb,
)
from official_stylize_keys import fast_neural_style_state_dict
from torch_threads import one_torch_thread  # noqa: F401


def _tensor(picture):
    return torch.from_numpy(np.asarray(picture).copy()).permute(2, 0, 1).unsqueeze(0).float() / 255


@pytest.fixture(scope="module")
def pair():
    """A muted photo and a vivid 'stylised' picture of the same size."""
    muted = _tensor(photo(3, (96, 80))) * 0.6 + 0.2
    return _tensor(painting(4, (96, 80), "stripes")), muted


def test_yiq_round_trips():
    rgb = torch.rand(2, 3, 5, 7)
    torch.testing.assert_close(yiq_to_rgb(rgb_to_yiq(rgb)), rgb, rtol=0, atol=1e-5)


def test_luminance_mode_keeps_the_photos_chroma_and_the_stylised_luminance(pair):
    stylised, photo_rgb = pair
    result = keep_luminance_only(stylised, photo_rgb)
    inside = ((result > 0) & (result < 1)).all(1, keepdim=True).expand(-1, 3, -1, -1)  # not clipped
    assert inside.float().mean() > 0.8
    ours, theirs, styled = rgb_to_yiq(result), rgb_to_yiq(photo_rgb), rgb_to_yiq(stylised)
    mask = inside[:, :1]
    torch.testing.assert_close(ours[:, 1:][mask.expand(-1, 2, -1, -1)], theirs[:, 1:][mask.expand(-1, 2, -1, -1)],
                               rtol=0, atol=1e-5)
    torch.testing.assert_close(ours[:, :1][mask], styled[:, :1][mask], rtol=0, atol=1e-5)


def test_match_mode_gives_the_stylised_picture_the_photos_mean_and_covariance(pair):
    stylised, photo_rgb = pair
    result = match_colour_statistics(stylised, photo_rgb)
    mean, cov = colour_statistics(result)
    photo_mean, photo_cov = colour_statistics(photo_rgb)
    torch.testing.assert_close(mean, photo_mean, rtol=0, atol=5e-3)
    torch.testing.assert_close(cov, photo_cov, rtol=0, atol=2e-3)
    styled_mean, _ = colour_statistics(stylised)
    assert (styled_mean - photo_mean).abs().max() > 0.05  # it really had other colours


def test_none_only_clamps():
    x = torch.tensor([-0.5, 0.5, 1.5]).view(1, 3, 1, 1)
    assert preserve_colour(x, x, "none").flatten().tolist() == [0.0, 0.5, 1.0]


def test_every_style_function_applies_the_option_to_its_output():
    net = TransformerNet().eval().requires_grad_(False)
    sd = fast_neural_style_state_dict(seed=2)
    sd["deconv3.conv2d.weight"] *= 40
    sd["deconv3.conv2d.bias"] += 128
    net.load_state_dict(sd)
    picture = photo(5, (64, 48))
    free = _tensor(stylize_transformer(picture, net, StyleOptions()))
    kept = _tensor(stylize_transformer(picture, net, StyleOptions(preserve_colour="luminance")))
    chroma = lambda t: rgb_to_yiq(t)[:, 1:]  # noqa: E731
    assert (chroma(kept) - chroma(_tensor(picture))).abs().mean() < 0.01
    assert (chroma(free) - chroma(_tensor(picture))).abs().mean() > 0.02
