"""`python -m inference` checks files with the site's load_image, under its own documented limits."""

import pytest
from PIL import Image
from skimage import data

from inference.cli import main
from inference.engine import clear_cache
from inference.images import MAX_ASPECT_RATIO
from official_colorization_keys import ECCV16_LAYERS, official_state_dict, write_checkpoint


@pytest.fixture(scope="module", autouse=True)
def forget_loaded_nets():
    yield
    clear_cache()


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "eccv16-test.pth"
    write_checkpoint(official_state_dict(ECCV16_LAYERS, seed=21), path)
    return path


def _run(*args, capsys, monkeypatch, models_dir):
    monkeypatch.setenv("ATELIER_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("ATELIER_DEVICE", "cpu")
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    camera = Image.fromarray(data.camera()).resize((64, 48))
    camera.save(folder / "good.png")
    Image.new("L", (1, 1), 90).save(folder / "tiny.png")
    Image.new("L", (2, 2 * MAX_ASPECT_RATIO + 2), 90).save(folder / "strip.png")
    camera.save(folder / "animated.png", save_all=True, append_images=[camera.rotate(90)])
    camera.save(folder / "polyglot.jpg", "JPEG")
    with open(folder / "polyglot.jpg", "ab") as fh:
        fh.write(b"<html><script>alert(1)</script></html>")
    return folder


def test_the_cli_refuses_animations_strips_and_polyglots_and_renders_the_rest(inputs, tmp_path, weights, capsys,
                                                                               monkeypatch):
    code, output = _run("colorize", inputs, "--out", tmp_path / "out", "--weights", weights,
                        capsys=capsys, monkeypatch=monkeypatch, models_dir=tmp_path)
    assert code == 1
    assert "animated.png: This image has 2 frames" in output
    assert f"strip.png: The image is 2 x {2 * MAX_ASPECT_RATIO + 2} pixels" in output
    assert "polyglot.jpg: This file has 38 bytes of other data after the end of the image" in output
    made = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert made == ["good.eccv16-test.png", "tiny.eccv16-test.png"]
    assert Image.open(tmp_path / "out" / "tiny.eccv16-test.png").size == (1, 1)


def test_the_cli_limits_are_its_own_options(inputs, tmp_path, weights, capsys, monkeypatch):
    code, output = _run("colorize", inputs / "strip.png", inputs / "good.png", "--out", tmp_path / "out",
                        "--weights", weights, "--max-aspect-ratio", 2 * MAX_ASPECT_RATIO, "--max-mb", 0.001,
                        capsys=capsys, monkeypatch=monkeypatch, models_dir=tmp_path)
    assert code == 1
    assert "good.png: The file is" in output and "the limit is 0.001 MB" in output
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["strip.eccv16-test.png"]


def test_help_documents_the_limits(capsys):
    with pytest.raises(SystemExit):
        main(["colorize", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for phrase in ("--max-megapixels N", "--max-mb N", "--max-aspect-ratio N", f"(default: {MAX_ASPECT_RATIO}",
                   "animations and multi-page files", "polyglot"):
        assert phrase in text, phrase
