"""Procedural faces: deterministic per seed, varied across seeds, and each attribute changes what it names."""

import csv

import numpy as np
import pytest

from inference.data.faces import ATTRIBUTES, REGIONS, example_face, face, face_seed, render_face, write_faces


def _pixels(image):
    return np.asarray(image).astype(float)


def _grow(mask, steps=1):
    """A mask dilated by ``steps`` pixels (4-neighbourhood)."""
    grown = mask.copy()
    for _ in range(steps):
        grown = grown | np.roll(grown, 1, 0) | np.roll(grown, -1, 0) | np.roll(grown, 1, 1) | np.roll(grown, -1, 1)
    return grown


def _changed(a, b):
    return np.abs(_pixels(a.image) - _pixels(b.image)).max(axis=2) > 0


def _assert_unchanged_outside(a, b, allowed):
    """Pixels away from ``allowed`` keep their values, up to faint see-through edges (hair tips, soft outlines)."""
    outside = ~_grow(allowed)
    difference = np.abs(_pixels(a.image) - _pixels(b.image)).max(axis=2)[outside]
    assert difference.max() <= 8 and (difference > 0).mean() < 0.01


def test_the_same_seed_gives_the_same_face_and_labels():
    first, labels = face(11)
    again, labels_again = face(11)
    assert np.array_equal(np.asarray(first), np.asarray(again))
    assert labels == labels_again and set(labels) == set(ATTRIBUTES)
    assert first.size == (64, 64) and first.mode == "RGB"


def test_faces_vary_across_seeds_in_pixels_and_labels():
    renders = [face(seed) for seed in range(16)]
    pictures = np.stack([_pixels(image) for image, _ in renders])
    differences = [np.abs(pictures[i] - pictures[j]).mean() for i in range(16) for j in range(i + 1, 16)]
    assert min(differences) > 8
    for name in ("skin_tone", "hair_colour", "hair_length", "eye_colour", "background", "lighting"):
        assert len({labels[name] for _, labels in renders}) >= 3, name
    assert len({labels["glasses"] for _, labels in renders}) == 2


def test_the_regions_partition_the_image_and_a_face_has_its_parts():
    render = render_face(3, hair_length="short", glasses=True)
    stacked = np.stack([render.regions[name] for name in REGIONS])
    assert (stacked.sum(axis=0) == 1).all()
    for name, least in {"skin": 400, "hair": 60, "eyes": 4, "iris": 4, "lips": 6, "glasses": 20, "background": 300}.items():
        assert render.regions[name].sum() >= least, name


def test_hair_colour_changes_the_hair_and_nothing_else():
    dark = render_face(5, hair_colour="black", hair_length="long")
    blond = render_face(5, hair_colour="blond", hair_length="long")
    hair = dark.regions["hair"]
    assert np.array_equal(hair, blond.regions["hair"])
    assert _pixels(blond.image)[hair].mean() > _pixels(dark.image)[hair].mean() + 60
    # Brows take the hair's colour too; everything else keeps its pixels.
    _assert_unchanged_outside(dark, blond, hair | dark.regions["brows"])


def test_eye_colour_changes_the_irises():
    brown = render_face(8, eye_colour="brown")
    blue = render_face(8, eye_colour="blue")
    iris = brown.regions["iris"]
    blue_minus_red = lambda render: (_pixels(render.image)[iris][:, 2] - _pixels(render.image)[iris][:, 0]).mean()
    assert blue_minus_red(blue) > blue_minus_red(brown) + 15
    _assert_unchanged_outside(brown, blue, iris)


def test_skin_tone_sets_the_brightness_of_the_skin():
    pale = render_face(2, skin_tone="pale")
    dark = render_face(2, skin_tone="dark")
    skin = pale.regions["skin"]
    assert _pixels(pale.image)[skin].mean() > _pixels(dark.image)[skin].mean() + 60


def _corner_lift(render):
    """How much higher (in pixels) the mouth's outer thirds sit than its middle third."""
    rows, cols = np.nonzero(render.regions["lips"])
    left, right = cols.min(), cols.max()
    third = (right - left) / 3
    middle = rows[(cols > left + third) & (cols < right - third)].mean()
    outer = rows[(cols <= left + third) | (cols >= right - third)].mean()
    return middle - outer


def test_a_smile_lifts_the_mouth_corners_and_a_frown_lowers_them():
    smile = render_face(4, smile=1.0, mouth_open=False)
    frown = render_face(4, smile=-0.6, mouth_open=False)
    assert _corner_lift(smile) > 0.5
    assert _corner_lift(frown) < _corner_lift(smile) - 0.8
    # A smile also lifts the cheeks and the brows: the rest of the picture stays.
    face_parts = smile.regions["lips"] | frown.regions["lips"] | smile.regions["skin"] | smile.regions["brows"]
    _assert_unchanged_outside(smile, frown, _grow(face_parts))


def test_glasses_appear_around_the_eyes():
    bare = render_face(9, glasses=False)
    glasses = render_face(9, glasses=True)
    assert bare.regions["glasses"].sum() == 0 and glasses.regions["glasses"].sum() > 20
    rows, _ = np.nonzero(_changed(bare, glasses))
    eye_rows, _ = np.nonzero(bare.regions["eyes"] | bare.regions["iris"])
    assert abs(np.median(rows) - eye_rows.mean()) < 6


@pytest.mark.parametrize("seed", [1, 6])
def test_light_from_one_side_brightens_that_side_of_the_face(seed):
    def side_difference(render):
        pixels = _pixels(render.image).mean(axis=2)
        skin = render.regions["skin"]
        cols = np.nonzero(skin)[1]
        middle = np.median(cols)
        columns = np.arange(64)[None, :].repeat(64, 0)
        return pixels[skin & (columns < middle)].mean() - pixels[skin & (columns > middle)].mean()

    assert side_difference(render_face(seed, lighting="left")) > 6
    assert side_difference(render_face(seed, lighting="right")) < -6


def test_the_background_colour_changes_only_the_background():
    blue = render_face(12, background="blue")
    green = render_face(12, background="green")
    background = blue.regions["background"]
    mean_blue, mean_green = _pixels(blue.image)[background].mean(0), _pixels(green.image)[background].mean(0)
    assert mean_blue[2] - mean_blue[1] > mean_green[2] - mean_green[1] + 30
    _assert_unchanged_outside(blue, green, background)


def test_unknown_attributes_and_values_are_refused():
    with pytest.raises(ValueError, match="unknown face attribute"):
        face(0, hat=True)
    with pytest.raises(ValueError, match="hair_colour"):
        face(0, hair_colour="green")


def test_write_faces_writes_pngs_and_their_labels(tmp_path):
    paths = write_faces(tmp_path, 3, size=32, seed=4)
    assert [p.name for p in paths] == ["00000.png", "00001.png", "00002.png"]
    with open(tmp_path / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["file"] for row in rows] == ["00000.png", "00001.png", "00002.png"]
    assert set(rows[0]) == {"file", *ATTRIBUTES}
    from PIL import Image
    assert Image.open(paths[0]).size == (32, 32)
    again = write_faces(tmp_path / "again", 3, size=32, seed=4)
    assert all(np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b))) for a, b in zip(paths, again))
    assert rows[1]["glasses"] in ("0", "1") and -1.0 <= float(rows[1]["smile"]) <= 1.0


def test_example_faces_are_fixed_and_none_is_a_face_of_the_data_sets():
    first = _pixels(example_face(0, 32))
    assert np.array_equal(first, _pixels(example_face(0, 32)))
    assert not np.array_equal(first, _pixels(example_face(1, 32)))
    data = [_pixels(face(face_seed(seed, i), 32)[0]) for seed in (0, 1) for i in range(8)]
    assert not any(np.array_equal(first, other) for other in data)
