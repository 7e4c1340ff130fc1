"""sRGB <-> Lab in torch matches scikit-image, and gamut mapping keeps lightness."""

import numpy as np
import pytest
import torch
from skimage import color as skcolor

from inference.color import lab_to_rgb, lab_to_rgb_in_gamut, rgb_to_lab, rgb_to_lightness


def _random_rgb(seed: int, shape=(2, 3, 32, 48)) -> np.ndarray:
    rgb = np.random.default_rng(seed).random(shape)
    # Include the corners of the cube and the sRGB toe, where branches switch.
    rgb[0, :, 0, :8] = np.array([[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 1, 1, 0, 0, 1, 1], [0, 1, 0, 1, 0, 1, 0, 1]])
    rgb[0, :, 1, :3] = [0.04045, 0.0404, 0.0031308]
    return rgb


def _to_hwc(t: torch.Tensor, n: int) -> np.ndarray:
    return t[n].permute(1, 2, 0).double().numpy()


def test_rgb_to_lab_matches_skimage_on_random_colours():
    rgb = _random_rgb(0)
    lab = rgb_to_lab(torch.tensor(rgb, dtype=torch.float32))
    for n in range(rgb.shape[0]):
        expected = skcolor.rgb2lab(rgb[n].transpose(1, 2, 0))
        assert np.abs(_to_hwc(lab, n) - expected).max() < 1e-3


def test_lab_to_rgb_matches_skimage_on_random_colours():
    rgb = _random_rgb(1)
    for n in range(rgb.shape[0]):
        lab = skcolor.rgb2lab(rgb[n].transpose(1, 2, 0))
        ours = lab_to_rgb(torch.tensor(lab.transpose(2, 0, 1)[None], dtype=torch.float32))
        assert np.abs(_to_hwc(ours, 0) - skcolor.lab2rgb(lab)).max() < 1e-3


@pytest.mark.filterwarnings("ignore:Conversion from CIE-LAB:UserWarning")
def test_lab_to_rgb_matches_skimage_for_random_lab_values_inside_the_gamut():
    rng = np.random.default_rng(2)
    lab = np.stack([rng.uniform(0, 100, 4000), rng.uniform(-60, 60, 4000), rng.uniform(-60, 60, 4000)], -1)
    expected = skcolor.lab2rgb(lab.reshape(1, -1, 3)).reshape(-1, 3)
    ours = lab_to_rgb(torch.tensor(lab.T.reshape(1, 3, 1, -1), dtype=torch.float32))[0, :, 0].T.double().numpy()
    inside = ((ours >= 0) & (ours <= 1)).all(axis=1)  # skimage clips, we do not
    assert inside.sum() > 1000
    assert np.abs(ours[inside] - expected[inside]).max() < 1e-3


def test_lightness_only_conversion_equals_the_l_channel():
    rgb = torch.tensor(_random_rgb(3), dtype=torch.float32)
    assert torch.allclose(rgb_to_lightness(rgb), rgb_to_lab(rgb)[:, :1], atol=1e-4)


@pytest.mark.parametrize("chroma", [30.0, 90.0, 200.0])
def test_in_gamut_conversion_preserves_lightness_and_stays_in_range(chroma):
    g = torch.Generator().manual_seed(4)
    l = torch.rand((1, 1, 64, 80), generator=g) * 100
    l[0, 0, 0, :4] = torch.tensor([0.0, 100.0, 0.5, 99.5])
    ab = torch.randn((1, 2, 64, 80), generator=g) * chroma
    rgb = lab_to_rgb_in_gamut(l, ab)
    assert rgb.min() >= 0 and rgb.max() <= 1
    lightness = skcolor.rgb2lab(_to_hwc(rgb, 0))[..., 0]
    assert np.abs(lightness - l[0, 0].double().numpy()).max() < 0.02


def test_in_gamut_conversion_keeps_colours_that_already_fit():
    rgb = torch.tensor(_random_rgb(5), dtype=torch.float32)
    lab = rgb_to_lab(rgb)
    back = lab_to_rgb_in_gamut(lab[:, :1], lab[:, 1:])
    assert torch.allclose(back, rgb, atol=1e-4)


def test_in_gamut_conversion_lowers_chroma_but_keeps_hue():
    l = torch.full((1, 1, 1, 1), 60.0)
    ab = torch.tensor([90.0, 90.0]).view(1, 2, 1, 1)  # far outside sRGB at this lightness
    lab = rgb_to_lab(lab_to_rgb_in_gamut(l, ab))
    a, b = float(lab[0, 1]), float(lab[0, 2])
    assert 0 < np.hypot(a, b) < np.hypot(90, 90)
    assert abs(np.degrees(np.arctan2(b, a)) - 45.0) < 5.0
