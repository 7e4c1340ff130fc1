"""gamut="clip" is the official post-processing: skimage's lab2rgb, per-channel clipping and its fz clamp.

The reference is scikit-image itself (a test dependency), run on the same
Lab values: for the pipeline, the official demo's steps written out here
with skimage and torch (rgb2lab of the grey photo, bicubic resize, the net,
bilinear upsampling of ab, lab2rgb), not with Atelier's helpers.
"""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import color as skcolor

from inference.color import lab_to_rgb, lab_to_rgb_clipped, lab_to_rgb_in_gamut
from inference.cli import main
from inference.engine import clear_cache, load_net
from inference.errors import InferenceError
from inference.pipelines.colorize import DEFAULT_GAMUT, GAMUT_MAPPINGS, GAMUT_MODES, colorize
from inference.registry import get_spec, net_from_state_dict
from official_colorization_keys import ECCV16_LAYERS, SIGGRAPH17_LAYERS, official_state_dict, write_checkpoint
from torch_threads import one_torch_thread  # noqa: F401

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def forget_loaded_nets():
    yield
    clear_cache()


def _skimage_lab2rgb(lab_hwc: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # skimage warns about the fz < 0 pixels it clamps
        return skcolor.lab2rgb(lab_hwc)


def _random_lab(seed: int, height: int = 40, width: int = 64) -> np.ndarray:
    """(H, W, 3) Lab, most of it outside the sRGB gamut, with fz < 0 and the branch points included."""
    rng = np.random.default_rng(seed)
    lab = np.stack([rng.uniform(0, 100, (height, width)),
                    rng.uniform(-128, 128, (height, width)),
                    rng.uniform(-128, 128, (height, width))], axis=-1)
    lab[0, :4] = [[0, 0, 0], [100, 0, 0], [50, 0, 0], [8, 0, 0]]  # black, white, greys near the f branch
    lab[1, :4] = [[5, 0, 120], [20, -40, 127], [0, 0, 50], [40, 90, 127]]  # fz = fy - b/200 < 0
    lab[2, :3] = [[-5, 10, 10], [105, -10, 10], [50, 300, -300]]  # L and chroma beyond the nominal range
    return lab


def _ours(lab_hwc: np.ndarray, dtype=torch.float64) -> np.ndarray:
    lab = torch.tensor(lab_hwc.transpose(2, 0, 1)[None], dtype=dtype)
    return lab_to_rgb_clipped(lab[:, :1], lab[:, 1:])[0].permute(1, 2, 0).double().numpy()


def _to_8_bit(rgb: np.ndarray) -> np.ndarray:
    return np.round(rgb * 255.0).astype(np.uint8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clip_equals_skimage_lab2rgb_on_random_lab_including_out_of_gamut_and_negative_fz(seed):
    lab = _random_lab(seed)
    fy = (lab[..., 0] + 16) / 116
    assert (fy - lab[..., 2] / 200 < 0).mean() > 0.05  # the fz clamp is really exercised
    expected = _skimage_lab2rgb(lab)
    assert ((expected == 0) | (expected == 1)).mean() > 0.2  # and so is the clipping

    ours = _ours(lab)
    assert np.abs(ours - expected).max() < 1e-9
    assert np.array_equal(_to_8_bit(ours), _to_8_bit(expected))


def test_clip_of_float32_lab_equals_skimage_on_the_same_values():
    lab = _random_lab(3).astype(np.float32)
    ours = _ours(lab, dtype=torch.float32)
    expected = _skimage_lab2rgb(lab.astype(np.float64))
    assert np.abs(ours - expected).max() < 1e-9
    assert np.array_equal(_to_8_bit(ours), _to_8_bit(expected))


def test_the_fz_clamp_matters_for_dark_very_yellow_colours():
    # L 10, b 120: fz = 0.224 - 0.6 < 0. skimage sets fz to 0 first (Z = -0.019, not -0.061).
    lab = np.array([[[10.0, 0.0, 120.0], [10.0, 30.0, 110.0]]])
    expected = _skimage_lab2rgb(lab)
    assert np.allclose(_ours(lab), expected, atol=1e-12)
    without_clamp = lab_to_rgb(torch.tensor(lab.transpose(2, 0, 1)[None])).clamp(0, 1)[0].permute(1, 2, 0).numpy()
    assert np.abs(without_clamp - expected).max() > 0.01


def test_the_two_gamut_mappings_are_named_and_the_default_keeps_lightness():
    assert tuple(GAMUT_MAPPINGS) == GAMUT_MODES == ("preserve-luminance", "clip")
    assert GAMUT_MAPPINGS["clip"] is lab_to_rgb_clipped and GAMUT_MAPPINGS["preserve-luminance"] is lab_to_rgb_in_gamut
    assert DEFAULT_GAMUT == "preserve-luminance"


# -- the pipeline --------------------------------------------------------------------------------

def _grey_photo(width: int = 120, height: int = 88) -> Image.Image:
    x = np.linspace(0, 1, width)[None, :]
    y = np.linspace(0, 1, height)[:, None]
    rng = np.random.default_rng(7)
    grey = 0.5 * x + 0.3 * np.sin(9 * y) * x + 0.2 * rng.random((height, width))
    return Image.fromarray(np.clip(grey * 255, 0, 255).astype(np.uint8), "L")


def _official_postprocessing(photo: Image.Image, net: torch.nn.Module, size: int) -> np.ndarray:
    """The official demo (load_img, preprocess_img, net, postprocess_tens) with skimage; (H, W, 3) uint8."""
    rgb = np.tile(np.asarray(photo)[:, :, None], 3)  # load_img of a grey file
    small = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.BICUBIC))
    l_orig = torch.tensor(skcolor.rgb2lab(rgb)[:, :, 0], dtype=torch.float32)[None, None]
    l_small = torch.tensor(skcolor.rgb2lab(small)[:, :, 0], dtype=torch.float32)[None, None]
    with torch.no_grad():
        ab = net(l_small)
    ab_orig = F.interpolate(ab, size=l_orig.shape[2:], mode="bilinear", align_corners=False)
    lab = torch.cat((l_orig, ab_orig), dim=1)[0].numpy().transpose(1, 2, 0)
    # The same float32 Lab values, converted without float32 round-off.
    return _to_8_bit(_skimage_lab2rgb(lab.astype(np.float64)))


def _vivid_net(arch: str, layers) -> torch.nn.Module:
    state_dict = official_state_dict(layers, seed=11)
    if arch == "eccv16":
        # Sharper bin logits: the expected ab of a flat softmax is nearly grey.
        state_dict["model8.6.weight"] = state_dict["model8.6.weight"] * 15.0
    return net_from_state_dict(get_spec(arch), state_dict).eval()


@pytest.mark.parametrize("arch, layers", [("eccv16", ECCV16_LAYERS), ("siggraph17", SIGGRAPH17_LAYERS)])
def test_pipeline_with_clip_equals_the_official_postprocessing_with_skimage(arch, layers):
    net = _vivid_net(arch, layers)
    photo = _grey_photo()
    expected = _official_postprocessing(photo, net, 64)
    # Random weights predict many out-of-gamut colours: the test is about clipping.
    assert ((expected == 0) | (expected == 255)).mean() > 0.05

    ours = np.asarray(colorize(photo, net, input_size=64, gamut="clip"))
    assert ours.shape == expected.shape
    assert np.array_equal(ours, expected), np.abs(ours.astype(int) - expected).max()

    # The default mapping is a different one: it keeps the photo's lightness instead.
    preserved = np.asarray(colorize(photo, net, input_size=64))
    assert not np.array_equal(preserved, ours)
    assert np.array_equal(preserved, np.asarray(colorize(photo, net, input_size=64, gamut="preserve-luminance")))


def test_an_unknown_gamut_is_refused_with_the_names():
    net = net_from_state_dict(get_spec("eccv16"), official_state_dict(ECCV16_LAYERS, seed=1)).eval()
    with pytest.raises(InferenceError, match="'preserve-luminance' or 'clip'"):
        colorize(_grey_photo(16, 16), net, input_size=16, gamut="saturate")


# -- the command line ----------------------------------------------------------------------------

def _main(*args, capsys, monkeypatch, models_dir) -> tuple[int, str]:
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(models_dir))
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    return code, capsys.readouterr().err


def test_cli_gamut_clip_with_given_weights_equals_the_pipeline(tmp_path, capsys, monkeypatch):
    weights = tmp_path / "colorization_release_v2.pth"
    state_dict = official_state_dict(ECCV16_LAYERS, seed=11)
    state_dict["model8.6.weight"] = state_dict["model8.6.weight"] * 15.0
    write_checkpoint(state_dict, weights)
    photo = tmp_path / "in" / "photo.png"
    photo.parent.mkdir()
    _grey_photo().save(photo)

    results = {}
    for gamut in GAMUT_MODES:
        out = tmp_path / gamut
        code, stderr = _main("colorize", photo, "--out", out, "--model", "eccv16", "--weights", weights,
                             "--device", "cpu", "--gamut", gamut, capsys=capsys, monkeypatch=monkeypatch,
                             models_dir=tmp_path / "no-models")
        assert code == 0, stderr
        (written,) = [p for p in out.rglob("*") if p.is_file()]
        results[gamut] = np.asarray(Image.open(written))

    net = load_net(get_spec("eccv16"), weights=weights, device="cpu")
    assert np.array_equal(results["clip"], np.asarray(colorize(Image.open(photo), net, input_size=256, gamut="clip")))
    assert np.array_equal(results["preserve-luminance"], np.asarray(colorize(Image.open(photo), net, input_size=256)))
    assert not np.array_equal(results["clip"], results["preserve-luminance"])


def test_cli_refuses_an_unknown_gamut_and_documents_the_choices(tmp_path, capsys, monkeypatch):
    photo = tmp_path / "photo.png"
    _grey_photo(16, 16).save(photo)
    code, stderr = _main("colorize", photo, "--out", tmp_path / "out", "--gamut", "vivid",
                         capsys=capsys, monkeypatch=monkeypatch, models_dir=tmp_path)
    assert code == 2 and "invalid choice" in stderr and "clip" in stderr


def test_the_gamut_names_load_without_torch():
    """The web process and `--help` validate and list the modes before torch is imported."""
    code = ("import sys, inference.pipelines.colorize_options, inference.cli.colorize\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n"
            "print(inference.pipelines.colorize_options.GAMUT_MODES)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "clip" in result.stdout
