"""`python -m inference stylize` renders what the site's pipeline functions render, bit for bit."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from inference.cli import build_parser, main
from inference.data.procedural import painting, photo
from inference.engine import clear_cache, load_net
from inference.images import load_image
from inference.nets.adain import AdaINDecoder
from inference.nets.transformer_net import MultiStyleTransformerNet
from inference.nets.vgg import NormalisedVGG19
from inference.pipelines.stylize import (
    StyleOptions,
    style_statistics,
    stylize_adain,
    stylize_multistyle,
    stylize_transformer,
)
from inference.registry import get_spec
from inference.training.harness import safetensors_bytes
from official_stylize_keys import (
    adain_decoder_state_dict,
    fast_neural_style_state_dict,
    save,
    vgg_normalised_state_dict,
)
from torch_threads import one_torch_thread  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
BIG = 1 << 30


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("stylize-cli")
    (root / "photos" / "trip").mkdir(parents=True)
    photo(1, (64, 48)).save(root / "photos" / "house.png")
    photo(2, (40, 56)).save(root / "photos" / "trip" / "hills.jpg", quality=95)
    painting(3, (64, 64), "strokes").save(root / "strokes.png")
    painting(4, (64, 64), "blobs").save(root / "blobs.png")
    models = root / "models"
    models.mkdir()
    sd = fast_neural_style_state_dict(seed=5, running_stats=True)
    sd["deconv3.conv2d.weight"] *= 40
    sd["deconv3.conv2d.bias"] += 128
    save(sd, models / get_spec("candy").filename, legacy=True)
    multi = fast_neural_style_state_dict(seed=6, n_rows=3)
    multi["deconv3.conv2d.weight"] *= 40
    multi["deconv3.conv2d.bias"] += 128
    (root / "two-styles.safetensors").write_bytes(
        safetensors_bytes(multi, {"style_names": json.dumps(["waves", "dots"])}))
    save(adain_decoder_state_dict(seed=7), root / "decoder.pth")
    save(vgg_normalised_state_dict(seed=8), root / "vgg_normalised.pth")
    return root


@pytest.fixture(autouse=True)
def environment(files, monkeypatch):
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(files / "models"))
    monkeypatch.setenv("ATELIER_DEVICE", "cpu")
    yield
    clear_cache()


def _run(*args, capsys) -> tuple[int, str, str]:
    try:
        code = main(["stylize", *map(str, args)])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path))


def _photo(files, name="house.png"):
    return load_image(files / "photos" / name, max_bytes=BIG, max_pixels=BIG).image


def test_help_documents_every_option_with_examples():
    parser = build_parser()
    stylize = parser._subparsers._group_actions[0].choices["stylize"]
    text = stylize.format_help()
    for action in stylize._actions:
        for option in action.option_strings:
            assert option in text
    assert "examples:" in text and "exit codes" in text and "--style starry.jpg:2" in text


def test_a_single_style_model_renders_a_folder_like_stylize_transformer(files, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = _run(files / "photos", "--out", out, "--model", "candy", "--strength", "0.7",
                        "--preserve-colour", "luminance", capsys=capsys)
    assert code == 0, err
    assert "2 stylised" in err
    net = load_net(get_spec("candy"))
    options = StyleOptions(strength=0.7, preserve_colour="luminance")
    assert np.array_equal(_pixels(out / "house.candy.png"), np.asarray(stylize_transformer(_photo(files), net, options)))
    assert np.array_equal(_pixels(out / "trip" / "hills.candy.png"),
                          np.asarray(stylize_transformer(_photo(files, "trip/hills.jpg"), net, options)))


def test_a_multi_style_file_blends_its_styles_like_stylize_multistyle(files, tmp_path, capsys):
    weights = files / "two-styles.safetensors"
    code, out_text, _ = _run("--weights", weights, "--list-styles", capsys=capsys)
    assert code == 0 and out_text.splitlines() == ["1. waves", "2. dots"]
    code, _, err = _run(files / "photos" / "house.png", "--out", tmp_path, "--weights", weights,
                        "--style-weights", "0.3,0.7", "--strength", "0.8", "--preserve-colour", "match",
                        "--max-side", "40", capsys=capsys)
    assert code == 0, err
    net = MultiStyleTransformerNet(2).eval().requires_grad_(False)
    from inference.checkpoints import read_state_dict

    net.load_state_dict(read_state_dict(weights))
    expected = stylize_multistyle(_photo(files), net, [0.3, 0.7],
                                  StyleOptions(strength=0.8, preserve_colour="match", max_side=40))
    assert np.array_equal(_pixels(tmp_path / "house.two-styles.png"), np.asarray(expected))


def test_adain_blends_weighted_style_pictures_like_stylize_adain(files, tmp_path, capsys):
    code, _, err = _run(files / "photos" / "house.png", "--out", tmp_path, "--decoder", files / "decoder.pth",
                        "--encoder", files / "vgg_normalised.pth", "--style", f"{files / 'strokes.png'}:2",
                        "--style", files / "blobs.png", "--strength", "0.6", "--style-size", "48", capsys=capsys)
    assert code == 0, err
    encoder = load_net(get_spec("adain-vgg"), weights=files / "vgg_normalised.pth")
    decoder = load_net(get_spec("adain-decoder"), weights=files / "decoder.pth")
    assert isinstance(encoder, NormalisedVGG19) and isinstance(decoder, AdaINDecoder)
    styles = [
        (style_statistics(encoder, load_image(files / name, max_bytes=BIG, max_pixels=BIG).image, max_side=48), w)
        for name, w in (("strokes.png", 2.0), ("blobs.png", 1.0))
    ]
    expected = stylize_adain(_photo(files), encoder, decoder, styles, StyleOptions(strength=0.6))
    assert np.array_equal(_pixels(tmp_path / "house.decoder.png"), np.asarray(expected))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model", "candy", "--style-weights", "1,1"], "multi-style"),
        (["--decoder", "decoder.pth"], "give at least one --style"),
        (["--model", "candy", "--strength", "2"], "Strength must be between 0 and 1"),
        (["--model", "candy", "--tile", "64"], "tile must be 0"),
        (["--model", "adain-decoder"], "give --style IMAGE"),
    ],
)
def test_contradicting_options_are_usage_errors(files, tmp_path, capsys, args, message):
    args = [str(files / a) if a.endswith(".pth") else a for a in args]
    code, _, err = _run(files / "photos", "--out", tmp_path, *args, capsys=capsys)
    assert code == 2 and message in err


def test_a_missing_model_answers_with_the_install_command(files, tmp_path, capsys):
    code, _, err = _run(files / "photos", "--out", tmp_path, "--model", "mosaic", capsys=capsys)
    assert code == 1 and "python manage.py models fetch mosaic" in err


def test_a_missing_adain_encoder_is_reported_even_when_outputs_exist(files, tmp_path, capsys):
    Image.new("RGB", (64, 48)).save(tmp_path / "house.decoder.png")
    code, _, err = _run(files / "photos" / "house.png", "--out", tmp_path, "--decoder", files / "decoder.pth",
                        "--style", files / "blobs.png", capsys=capsys)
    assert code == 1 and "python manage.py models fetch adain-vgg" in err and "skipped" not in err


def test_two_models_stylise_into_the_same_folder_side_by_side(files, tmp_path, capsys):
    code, _, err = _run(files / "photos" / "house.png", "--out", tmp_path, "--model", "candy", capsys=capsys)
    assert code == 0, err
    code, _, err = _run(files / "photos" / "house.png", "--out", tmp_path, "--weights",
                        files / "two-styles.safetensors", capsys=capsys)
    assert code == 0 and "1 stylised" in err and "skipped" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["house.candy.png", "house.two-styles.png"]


def test_the_module_entry_point_answers_help_without_importing_torch():
    code = "import sys, runpy; sys.argv = ['inference', 'stylize', '--help']\n" \
           "try:\n    runpy.run_module('inference', run_name='__main__')\nexcept SystemExit:\n    pass\n" \
           "assert 'torch' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert torch  # imported by this test module only
