"""`python -m inference sketch` renders files with the same functions, and so the same pixels, as the site."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference.cli import main
from inference.data.landscapes import pair_image, render_scene
from inference.engine import clear_cache, load_nets
from inference.images import load_image
from inference.pipelines.sketch import SketchOptions, render
from inference.registry import get_spec
from official_pix2pix_keys import official_state_dict, unet_layers, write_checkpoint

REPO = Path(__file__).resolve().parents[2]


def _cli(*args, models_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, ATELIER_MODELS_DIR=str(models_dir), ATELIER_DEVICE="cpu")
    return subprocess.run([sys.executable, "-m", "inference", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module", autouse=True)
def forget_loaded_nets():
    yield
    clear_cache()


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A small official-layout generator (6 levels, ngf 8) with fixed random weights."""
    path = tmp_path_factory.mktemp("weights") / "latest_net_G.pth"
    write_checkpoint(official_state_dict(unet_layers(num_downs=6, ngf=8), seed=17), path)
    return path


@pytest.fixture(scope="module")
def drawings(tmp_path_factory):
    """A label map, a smaller label map in a subfolder, and an A|B pair (label map | picture)."""
    root = tmp_path_factory.mktemp("drawings")
    render_scene(1, 256).label_map.save(root / "lake.png")
    (root / "more").mkdir()
    render_scene(2, 256).label_map.resize((180, 180), Image.Resampling.LANCZOS).save(root / "more" / "small.png")
    pair_image(render_scene(3, 128), "paint").save(root / "pair.png")
    return root


@pytest.fixture(scope="module")
def rendered(drawings, weights, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = _cli("sketch", drawings, "--out", out, "--model", "landscape-paint", "--weights", weights,
                  "--seed", "4", models_dir=tmp_path_factory.mktemp("no-models"))
    return result, out


def test_a_folder_is_rendered_with_its_structure_mirrored(rendered):
    result, out = rendered
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == ["lake.latest_net_G.png", "more/small.latest_net_G.png",
                                                                           "pair.latest_net_G.png"]
    assert all(Image.open(p).size == (256, 256) for p in out.rglob("*.png"))
    assert "3 rendered" in result.stderr


def test_cli_outputs_equal_the_sketch_pipeline_bit_for_bit(rendered, drawings, weights):
    _, out = rendered
    nets = load_nets(get_spec("landscape-paint"), weights=weights, device="cpu")
    options = SketchOptions(norm="official", dropout=True, direction="AtoB", seed=4)
    for name in ("lake", "more/small", "pair"):
        loaded = load_image(drawings / f"{name}.png", max_bytes=1 << 30, max_pixels=64_000_000)
        expected = render(loaded.image, nets, options)
        assert np.array_equal(np.asarray(Image.open(out / f"{name}.latest_net_G.png")), np.asarray(expected)), name


def test_modes_and_seeds_change_the_picture_and_no_dropout_is_stable(drawings, weights, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path))
    results = {}
    for label, extra in {"seed4": ["--seed", "4"], "seed5": ["--seed", "5"], "eval": ["--norm", "eval", "--seed", "4"],
                         "stable1": ["--no-dropout", "--seed", "1"], "stable2": ["--no-dropout", "--seed", "2"]}.items():
        out = tmp_path / label
        assert main(["sketch", str(drawings / "lake.png"), "--out", str(out), "--weights", str(weights), *extra]) == 0
        results[label] = np.asarray(Image.open(out / "lake.latest_net_G.png"))
    assert not np.array_equal(results["seed4"], results["seed5"])
    assert not np.array_equal(results["seed4"], results["eval"])
    assert np.array_equal(results["stable1"], results["stable2"])


def test_a_missing_model_exits_1_with_the_install_command(drawings, tmp_path):
    result = _cli("sketch", drawings / "lake.png", "--out", tmp_path / "out", "--model", "edges2shoes", models_dir=tmp_path)
    assert result.returncode == 1
    assert "python manage.py models fetch edges2shoes" in result.stderr


def test_a_second_model_into_the_same_folder_writes_its_own_outputs(drawings, weights, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path / "models"))
    out = tmp_path / "out"
    assert main(["sketch", str(drawings / "lake.png"), "--out", str(out), "--model", "landscape-paint",
                 "--no-dropout"]) == 0
    assert main(["sketch", str(drawings / "lake.png"), "--out", str(out), "--model", "landscape-sketch",
                 "--no-dropout"]) == 0
    assert "skipped" not in capsys.readouterr().err
    paint, sketch = (np.asarray(Image.open(out / f"lake.{name}.png")) for name in ("landscape-paint", "landscape-sketch"))
    assert not np.array_equal(paint, sketch)


def test_help_documents_every_option_with_examples(tmp_path):
    result = _cli("sketch", "--help", models_dir=tmp_path)
    assert result.returncode == 0
    for option in ("--out", "--model", "--weights", "--direction", "--norm", "--dropout", "--no-dropout", "--seed", "--colour",
                   "--device", "--format", "--quality", "--overwrite", "--max-megapixels"):
        assert option in result.stdout, option
    assert "examples:" in result.stdout and "landscape-paint" in result.stdout and "edges2shoes" in result.stdout
    assert "sketch" in _cli("--help", models_dir=tmp_path).stdout


def test_colours_reach_a_style_model_and_are_checked(drawings, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path / "models"))
    skies = {}
    for colour in ("#e08040", "#4080e0"):
        out = tmp_path / colour[1:]
        assert main(["sketch", str(drawings / "lake.png"), "--out", str(out), "--model", "landscape-paint",
                     "--no-dropout", "--colour", f"sky={colour}"]) == 0
        picture = np.asarray(Image.open(out / "lake.landscape-paint.png")).astype(float)
        skies[colour] = picture[:40].mean(axis=(0, 1))
        expected = render(render_scene(1, 256).label_map, load_nets(get_spec("landscape-paint"), device="cpu"),
                          SketchOptions(dropout=False, style={"sky": colour}))
        assert np.array_equal(picture, np.asarray(expected).astype(float))  # the pipeline's picture
    orange, blue = skies["#e08040"], skies["#4080e0"]
    assert blue[2] - blue[0] > orange[2] - orange[0] + 30


@pytest.mark.parametrize("args, message", [
    (["{drawing}", "--out", "x", "--model", "landscape-paint", "--colour", "lava=#ff0000"], "no colour for 'lava'"),
    (["{drawing}", "--out", "x", "--model", "landscape-paint", "--colour", "sky=orange"], "#rrggbb"),
    (["missing.png", "--out", "x"], "does not exist"),
    (["{drawing}", "--out", "x", "--norm", "train"], "invalid choice"),
    (["{drawing}", "--out", "x", "--direction", "up"], "invalid choice"),
])
def test_usage_errors_exit_2(drawings, tmp_path, args, message, capsys, monkeypatch):
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(tmp_path))
    args = [a.format(drawing=drawings / "lake.png") for a in args]
    with pytest.raises(SystemExit) as exit_info:
        main(["sketch", *args])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
