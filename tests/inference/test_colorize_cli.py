"""`python -m inference colorize` renders folders with the same functions as the site."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from inference.cli import main
from inference.engine import clear_cache, load_net
from inference.images import load_image
from inference.pipelines.colorize import colorize
from inference.registry import get_spec
from official_colorization_keys import ECCV16_LAYERS, official_state_dict, write_checkpoint

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, models_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, ATELIER_MODELS_DIR=str(models_dir), ATELIER_DEVICE="cpu")
    return subprocess.run(
        [sys.executable, "-m", "inference", *map(str, args)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
    )


def _in_process(*args, capsys, monkeypatch, models_dir: Path) -> tuple[int, str]:
    """Run the CLI's main() here (faster than a subprocess: the net stays cached)."""
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("ATELIER_DEVICE", "cpu")
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    return code, capsys.readouterr().err


@pytest.fixture(scope="module", autouse=True)
def forget_loaded_nets():
    yield
    clear_cache()


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "eccv16-test.pth"
    write_checkpoint(official_state_dict(ECCV16_LAYERS, seed=21), path)
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A folder with two photos, one in a subfolder, plus a file that is not an image."""
    root = tmp_path_factory.mktemp("photos")
    Image.fromarray(data.camera()).resize((203, 151)).save(root / "camera.png")
    (root / "trip").mkdir()
    Image.fromarray(data.astronaut()).convert("L").resize((120, 160)).save(root / "trip" / "astronaut.jpg", quality=95)
    (root / "notes.txt").write_text("not an image, and not picked up")
    return root


@pytest.fixture(scope="module")
def first_run(photos, weights, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    models = tmp_path_factory.mktemp("no-models")
    result = _cli("colorize", photos, "--out", out, "--model", "eccv16", "--weights", weights, models_dir=models)
    return result, out, models


def test_a_folder_is_colourised_with_its_structure_mirrored(first_run):
    result, out, _ = first_run
    assert result.returncode == 0, result.stderr
    outputs = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert outputs == ["camera.eccv16-test.png", "trip/astronaut.eccv16-test.png"]
    assert Image.open(out / "camera.eccv16-test.png").size == (203, 151)
    assert Image.open(out / "trip" / "astronaut.eccv16-test.png").size == (120, 160)
    assert "2 colourised" in result.stderr


def test_cli_outputs_equal_calling_colorize_directly(first_run, photos, weights):
    _, out, _ = first_run
    net = load_net(get_spec("eccv16"), weights=weights, device="cpu")
    pairs = (
        (photos / "camera.png", out / "camera.eccv16-test.png"),
        (photos / "trip" / "astronaut.jpg", out / "trip" / "astronaut.eccv16-test.png"),
    )
    for source, target in pairs:
        loaded = load_image(source, max_bytes=1 << 30, max_pixels=64_000_000)
        direct = np.asarray(colorize(loaded.image, net, input_size=256))
        assert np.array_equal(np.asarray(Image.open(target)), direct)


def test_existing_outputs_are_skipped_unless_overwrite_is_given(first_run, photos, weights):
    _, out, models = first_run
    again = _cli("colorize", photos, "--out", out, "--weights", weights, models_dir=models)
    assert again.returncode == 0 and "2 skipped" in again.stderr


def test_a_bad_file_is_reported_and_the_others_still_rendered(tmp_path, weights, capsys, monkeypatch):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "broken.png").write_text("I am not a PNG")
    Image.fromarray(data.camera()).resize((64, 48)).save(inputs / "good.png")
    code, stderr = _in_process(
        "colorize", inputs, "--out", tmp_path / "out", "--weights", weights, "--format", "jpeg",
        capsys=capsys, monkeypatch=monkeypatch, models_dir=tmp_path,
    )
    assert code == 1
    assert "broken.png: This file is not an image we can read" in stderr
    assert Image.open(tmp_path / "out" / "good.eccv16-test.jpg").size == (64, 48)
    assert not list((tmp_path / "out").glob("broken*"))


def test_a_missing_model_exits_1_with_the_install_command(tmp_path, photos):
    result = _cli("colorize", photos / "camera.png", "--out", tmp_path / "out", "--model", "siggraph17", models_dir=tmp_path)
    assert result.returncode == 1
    assert "python manage.py models fetch siggraph17" in result.stderr


def test_a_second_model_into_the_same_folder_is_not_skipped(tmp_path, weights, capsys, monkeypatch):
    other = tmp_path / "other-eccv16.pth"
    write_checkpoint(official_state_dict(ECCV16_LAYERS, seed=22), other)
    Image.fromarray(data.camera()).resize((64, 48)).save(tmp_path / "small.png")
    for given in (weights, other):
        code, stderr = _in_process("colorize", tmp_path / "small.png", "--out", tmp_path / "out", "--weights", given,
                                   capsys=capsys, monkeypatch=monkeypatch, models_dir=tmp_path)
        assert code == 0 and "1 colourised" in stderr and "skipped" not in stderr
    first, second = (np.asarray(Image.open(tmp_path / "out" / f"small.{name}.png")) for name in ("eccv16-test", "other-eccv16"))
    assert not np.array_equal(first, second)


def test_help_documents_every_option_with_an_example(tmp_path):
    result = _cli("colorize", "--help", models_dir=tmp_path)
    assert result.returncode == 0
    for option in ("--out", "--model", "--weights", "--format", "--quality", "--hints", "--device", "--overwrite", "--max-megapixels"):
        assert option in result.stdout
    assert "example" in result.stdout.lower() and "eccv16" in result.stdout and "siggraph17" in result.stdout
    top = _cli("--help", models_dir=tmp_path)
    assert top.returncode == 0 and "colorize" in top.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.png", "--out", "x"], "does not exist"),
        (["{photo}", "--out", "x", "--quality", "0"], "--quality must be between 1 and 100"),
        (["{photo}", "--out", "x", "--model", "dalle"], "invalid choice"),
        (["{photo}"], "--out"),
    ],
)
def test_usage_errors_exit_2(tmp_path, photos, args, message, capsys, monkeypatch):
    args = [a.format(photo=photos / "camera.png") for a in args]
    code, stderr = _in_process("colorize", *args, capsys=capsys, monkeypatch=monkeypatch, models_dir=tmp_path)
    assert code == 2 and message in stderr


def test_a_bad_hints_file_is_a_usage_error(tmp_path, photos, capsys, monkeypatch):
    hints = tmp_path / "hints.json"
    hints.write_text('[{"x": 2, "y": 0.5, "color": "#ff0000"}]')
    code, stderr = _in_process(
        "colorize", photos / "camera.png", "--out", tmp_path, "--hints", hints,
        capsys=capsys, monkeypatch=monkeypatch, models_dir=tmp_path,
    )
    assert code == 2 and "'x' is 2, but it must be between 0 and 1" in stderr


def test_hints_given_to_eccv16_are_ignored_with_a_warning(tmp_path, photos, weights, capsys, monkeypatch):
    hints = tmp_path / "hints.json"
    hints.write_text('[{"x": 0.5, "y": 0.5, "color": "#ff0000"}]')
    Image.fromarray(data.camera()).resize((64, 48)).save(tmp_path / "small.png")
    code, stderr = _in_process(
        "colorize", tmp_path / "small.png", "--out", tmp_path / "out", "--weights", weights, "--hints", hints,
        capsys=capsys, monkeypatch=monkeypatch, models_dir=tmp_path,
    )
    assert code == 0 and "eccv16 cannot use colour hints" in stderr
    assert (tmp_path / "out" / "small.eccv16-test.png").exists()
