"""`python -m inference edit` gives the pixels of `render` for the same photo (or seed), strokes and settings."""

import json

import numpy as np
import pytest
from PIL import Image

from inference.cli import main
from inference.data.faces import face, face_seed
from inference.engine import load_nets
from inference.pipelines.edit import EditOptions, render, strokes_from_json
from inference.registry import get_spec
from torch_threads import one_torch_thread  # noqa: F401

STROKES = {"steps": 5, "step_size": 8.0, "strokes": [
    {"colour": "#d8b46c", "radius": 0.07, "points": [[0.35, 0.14], [0.5, 0.11], [0.65, 0.14]]},
    {"colour": [40, 90, 200], "radius": 0.1, "points": [[0.15, 0.8]]},
]}


@pytest.fixture
def files(tmp_path):
    photo = tmp_path / "face.png"
    big = face(face_seed(0, 6000), 96)[0]  # not 64 x 64: the CLI crops and resizes as the site does
    big.save(photo)
    strokes = tmp_path / "strokes.json"
    strokes.write_text(json.dumps(STROKES))
    return photo, strokes


def test_the_command_line_edits_a_photo_as_render_does(files, tmp_path, capsys):
    photo, strokes = files
    code = main(["edit", str(photo), "--strokes", str(strokes), "--out", str(tmp_path / "out"), "--device", "cpu"])
    assert code == 0, capsys.readouterr().err
    written = np.asarray(Image.open(tmp_path / "out" / "face.npe-faces.png"))
    options = EditOptions(strokes=strokes_from_json(STROKES), steps=5, step_size=8.0)
    expected = np.asarray(render(Image.open(photo), load_nets(get_spec("npe-faces"), device="cpu"), options))
    assert written.shape == (64, 64, 3) and np.array_equal(written, expected)


def test_a_seed_edits_that_random_face(files, tmp_path, capsys):
    _, strokes = files
    code = main(["edit", "--seed", "9", "--strokes", str(strokes), "--out", str(tmp_path / "out"), "--device", "cpu"])
    assert code == 0, capsys.readouterr().err
    written = np.asarray(Image.open(tmp_path / "out" / "seed-9.npe-faces.png"))
    options = EditOptions(strokes=strokes_from_json(STROKES), seed=9, steps=5, step_size=8.0)
    assert np.array_equal(written, np.asarray(render(None, load_nets(get_spec("npe-faces"), device="cpu"), options)))


@pytest.mark.parametrize("content", ["{not json", json.dumps([{"points": [[0.1, 0.1]]}]), json.dumps({"strokes": 3})])
def test_a_malformed_strokes_file_is_a_usage_error(files, tmp_path, capsys, content):
    photo, strokes = files
    strokes.write_text(content)
    with pytest.raises(SystemExit) as exit_:
        main(["edit", str(photo), "--strokes", str(strokes), "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    assert "strokes.json" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
