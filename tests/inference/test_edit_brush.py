"""The Neural Photo Editor's brush and mask with the bundled demo model: the latent moves towards the paint, the
photo is kept outside the change, and a list of strokes re-renders to the same pixels."""

import numpy as np
import pytest
import torch

from inference.data.faces import face, face_seed
from inference.engine import load_nets
from inference.pipelines.edit import (EditOptions, Stroke, apply_stroke, brush, brush_error, compose, decode, paint,
                                      render, start_from_photo, start_from_seed, strokes_from_json, to_tensor)
from inference.registry import get_spec
from torch_threads import one_torch_thread  # noqa: F401

BLOND = (216, 180, 108)
# Across the top of the head, where the faces have hair.
HAIR_STROKE = Stroke(((0.35, 0.14), (0.5, 0.11), (0.65, 0.14)), BLOND, 0.07)


@pytest.fixture(scope="module")
def nets():
    return load_nets(get_spec("npe-faces"), device="cpu")


@pytest.fixture(scope="module")
def photo():
    """A face the model never saw (index 5000 of the demo's set; it was trained on the first 750)."""
    return face(face_seed(0, 5000), 64)[0]


def test_a_brush_step_lowers_the_error_between_the_decoding_and_the_paint_inside_the_brush(nets):
    for seed in (1, 2, 3):
        state = start_from_seed(nets, seed)
        weight = brush(HAIR_STROKE)
        colour = torch.tensor(BLOND, dtype=torch.float32).div(255).view(1, 3, 1, 1)
        before = float(brush_error(decode(nets, state.z), weight, colour))
        after = float(brush_error(decode(nets, paint(state.z, nets, HAIR_STROKE, steps=1)), weight, colour))
        assert after < before, (seed, before, after)
        moved = float(brush_error(decode(nets, paint(state.z, nets, HAIR_STROKE, steps=8)), weight, colour))
        assert moved < 0.8 * before, (seed, before, moved)


def test_the_output_keeps_the_photo_exactly_outside_the_mask_and_changes_inside_the_brush(nets, photo):
    options = EditOptions()
    state = apply_stroke(start_from_photo(nets, photo), nets, HAIR_STROKE, options)
    output, mask = compose(state, nets, options)
    x = to_tensor(photo)
    outside = mask[0, 0] == 0
    assert 0.05 < float(outside.float().mean()) < 0.97  # the mask is neither empty nor everything
    assert torch.equal(output[0][:, outside], x[0][:, outside])
    inside = brush(HAIR_STROKE)[0, 0] > 0.5
    assert float(mask[0, 0][inside].mean()) > 0.5
    changed = (output - x).abs().amax(1)[0]
    assert float(changed[inside].mean()) > 0.02


def test_the_unedited_photo_is_returned_as_it_was(nets, photo):
    result = render(photo, nets, EditOptions())
    assert np.array_equal(np.asarray(result), np.asarray(photo))


def test_render_of_a_stroke_list_is_deterministic_for_a_seed_and_matches_the_step_functions(nets):
    strokes = (HAIR_STROKE, Stroke(((0.2, 0.8),), (30, 60, 200), 0.1))
    options = EditOptions(strokes=strokes, seed=11)
    first, second = render(None, nets, options), render(None, nets, options)
    assert np.array_equal(np.asarray(first), np.asarray(second))
    other = render(None, nets, EditOptions(strokes=strokes, seed=12))
    assert not np.array_equal(np.asarray(first), np.asarray(other))

    state = start_from_seed(nets, 11)
    for stroke in strokes:  # the live path: one stroke at a time on a kept state
        state = apply_stroke(state, nets, stroke, options)
    live, _ = compose(state, nets, options)
    assert np.array_equal(np.asarray(first), live[0].clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).numpy())


def test_the_interpolation_slider_moves_between_two_random_faces(nets):
    a = np.asarray(render(None, nets, EditOptions(seed=1))).astype(float)
    b = np.asarray(render(None, nets, EditOptions(seed=2))).astype(float)
    half = np.asarray(render(None, nets, EditOptions(seed=1, mix_seed=2, mix=0.5))).astype(float)
    end = np.asarray(render(None, nets, EditOptions(seed=1, mix_seed=2, mix=1.0))).astype(float)
    assert np.abs(end - b).max() <= 1
    assert np.abs(half - a).mean() > 2 and np.abs(half - b).mean() > 2


@pytest.mark.parametrize("data, message", [
    ("nope", "must be a list"),
    ([{"points": [[0.1, 0.2]]}], "needs points"),
    ([{"points": [[0.1, 0.2]], "colour": "#12345"}], "stroke 1"),
    ([{"points": [], "colour": "#123456"}], "at least one point"),
    ([{"points": [[0.1, 0.2]], "colour": [1, 2, 300]}], "0 to 255"),
    ([{"points": [[0.1, 0.2]], "colour": "#123456", "radius": 0}], "radius"),
    ([{"points": [["a", 0.2]], "colour": "#123456"}], "stroke 1"),
])
def test_malformed_strokes_are_refused_with_a_message(data, message):
    with pytest.raises(ValueError, match=message):
        strokes_from_json(data)


def test_strokes_read_from_json():
    strokes = strokes_from_json({"strokes": [{"points": [[0.1, 0.2], [0.3, 0.4]], "colour": "#ff8000", "radius": 0.1},
                                             {"points": [[0.5, 0.5]], "color": [1, 2, 3]}]})
    assert strokes == (Stroke(((0.1, 0.2), (0.3, 0.4)), (255, 128, 0), 0.1), Stroke(((0.5, 0.5),), (1, 2, 3), 0.06))
