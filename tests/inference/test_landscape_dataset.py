"""The procedural landscape data set is deterministic, in the official A|B layout, with clean labels."""

import numpy as np
import pytest
from PIL import Image

from inference.data.landscapes import EXAMPLES, example_drawing, main, pair_image, render_scene, scene_seed, write_dataset
from inference.data.palette import LABEL_RGB, LANDSCAPE_LABELS, LANDSCAPE_PALETTE

SIZE = 64


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("landscapes")
    for kind in ("paint", "sketch"):
        write_dataset(root / kind, kind=kind, count=4, val_count=2, size=SIZE, seed=9, progress=False)
    return root


def _halves(path):
    pixels = np.asarray(Image.open(path).convert("RGB"))
    return pixels[:, :SIZE], pixels[:, SIZE:]


def test_the_same_seed_draws_the_same_scene_and_another_seed_another():
    first, again, other = render_scene(5, SIZE), render_scene(5, SIZE), render_scene(6, SIZE)
    for attribute in ("picture", "label_map", "sketch"):
        assert np.array_equal(np.asarray(getattr(first, attribute)), np.asarray(getattr(again, attribute)))
    assert not np.array_equal(np.asarray(first.picture), np.asarray(other.picture))


def test_files_are_written_in_the_official_layout_with_a_left_of_b(dataset):
    for kind in ("paint", "sketch"):
        # Each pair with its scene's style beside it (test_sketch_style.py).
        assert sorted(p.name for p in (dataset / kind / "train").iterdir()) == [
            f"{i:05d}{suffix}" for i in range(4) for suffix in (".json", ".png")]
        assert sorted(p.name for p in (dataset / kind / "val").iterdir()) == [
            "00000.json", "00000.png", "00001.json", "00001.png"]
        assert Image.open(dataset / kind / "train" / "00000.png").size == (2 * SIZE, SIZE)
    # Both kinds of the same seed share the picture (B) and differ in the drawing (A).
    paint_a, paint_b = _halves(dataset / "paint" / "train" / "00001.png")
    sketch_a, sketch_b = _halves(dataset / "sketch" / "train" / "00001.png")
    assert np.array_equal(paint_b, sketch_b) and not np.array_equal(paint_a, sketch_a)


def test_writing_again_gives_the_same_bytes(dataset, tmp_path):
    write_dataset(tmp_path, kind="paint", count=2, val_count=0, size=SIZE, seed=9, progress=False)
    assert (tmp_path / "train" / "00001.png").read_bytes() == (dataset / "paint" / "train" / "00001.png").read_bytes()


def test_label_maps_use_only_palette_colours_and_match_the_labels():
    palette = {tuple(c) for c in LABEL_RGB}
    seen = set()
    for seed in range(6):
        scene = render_scene(seed, SIZE)
        colours = {tuple(c) for c in np.asarray(scene.label_map).reshape(-1, 3).tolist()}
        assert colours <= palette
        assert np.array_equal(np.asarray(scene.label_map), np.asarray(LABEL_RGB, dtype=np.uint8)[scene.labels])
        seen |= set(np.unique(scene.labels).tolist())
    assert {0, 6} <= seen and len(seen) >= 5  # sky and grass always, and a good part of the rest


def test_the_palette_names_every_label_once_with_distinct_colours():
    names = [entry["name"] for entry in LANDSCAPE_PALETTE]
    assert names == [name for name, _ in LANDSCAPE_LABELS] and len(set(names)) == len(names)
    assert {"sky", "cloud", "water", "grass", "rock", "sand", "tree", "mountain"} <= set(names)
    colours = np.asarray(LABEL_RGB, dtype=float)
    distances = np.linalg.norm(colours[:, None] - colours[None], axis=-1) + np.eye(len(colours)) * 1e9
    assert distances.min() > 50  # far enough apart for snapping anti-aliased strokes back


def test_sketches_are_mostly_white_with_dark_lines(dataset):
    for path in sorted((dataset / "sketch" / "train").glob("*.png")):
        drawing, _ = _halves(path)
        grey = drawing.mean(axis=2)
        assert (grey > 200).mean() > 0.7
        assert (grey < 120).mean() > 0.005
        assert np.ptp(drawing.astype(int), axis=2).max() <= 2  # grey ink, no colour


def test_pictures_look_like_landscapes_sky_above_ground():
    scene = render_scene(3, SIZE)
    picture = np.asarray(scene.picture).astype(float)
    top, bottom = picture[: SIZE // 6], picture[-SIZE // 6:]
    assert top[..., 2].mean() > top[..., 0].mean()  # a sky is bluer than it is red
    assert picture.std() > 10  # textured, not flat colour
    assert pair_image(scene, "paint").size == (2 * SIZE, SIZE)
    assert not np.array_equal(top.mean(axis=(0, 1)), bottom.mean(axis=(0, 1)))


def test_the_command_line_writes_a_data_set(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--kind", "sketch", "--count", "2", "--val", "1", "--size", "32", "--seed", "4"]) == 0
    assert len(list((tmp_path / "train").glob("*.png"))) == 2 and len(list((tmp_path / "val").glob("*.png"))) == 1
    assert "2 training and 1 validation pairs" in capsys.readouterr().err


def test_each_drawing_comes_out_the_same_whether_or_not_the_other_is_drawn():
    both = render_scene(21, SIZE)
    paint, sketch = render_scene(21, SIZE, kinds=("paint",)), render_scene(21, SIZE, kinds=("sketch",))
    assert paint.sketch is None and sketch.label_map is None
    assert np.array_equal(np.asarray(paint.label_map), np.asarray(both.label_map))
    assert np.array_equal(np.asarray(sketch.sketch), np.asarray(both.sketch))
    assert np.array_equal(np.asarray(paint.picture), np.asarray(sketch.picture))


def test_water_skies_and_line_styles_vary_from_scene_to_scene():
    water = LANDSCAPE_LABELS.index(next(item for item in LANDSCAPE_LABELS if item[0] == "water"))
    water_colours, sky_tops, inks = [], [], []
    for seed in range(24):
        scene = render_scene(seed, SIZE)
        picture = np.asarray(scene.picture).astype(float)
        if (scene.labels == water).mean() > 0.05:
            water_colours.append(picture[scene.labels == water].mean(axis=0))
        sky_tops.append(picture[:4].mean(axis=(0, 1)))
        inks.append((np.asarray(scene.sketch)[..., 0] < 128).mean())
    assert len(water_colours) >= 5
    assert np.std(water_colours, axis=0).max() > 8  # not one water colour (nor one set of highlights) for all
    saturation = [top.max() - top.min() for top in sky_tops]
    assert min(saturation) < 0.5 * max(saturation)  # grey, overcast skies as well as blue ones
    assert max(inks) > 2.5 * min(inks)  # thin pens and thick markers, sparse and hatched drawings



def test_example_drawings_are_fixed_drawings_of_scenes_no_data_set_draws():
    paint, sketch = example_drawing("paint", 3, SIZE), example_drawing("sketch", 3, SIZE)
    assert np.array_equal(np.asarray(paint), np.asarray(example_drawing("paint", 3, SIZE)))
    assert not np.array_equal(np.asarray(paint), np.asarray(example_drawing("paint", 4, SIZE)))
    colours = {tuple(c) for c in np.asarray(paint).reshape(-1, 3)}
    assert len(colours) > 1 and colours <= {tuple(c) for c in LABEL_RGB}
    assert np.asarray(sketch.convert("L")).mean() > 180  # dark lines on white
    # The examples' stream is not any split's a data set or a measurement reads.
    seeds = {scene_seed(0, "example", i) for i in range(EXAMPLES)}
    assert not seeds & {scene_seed(seed, split, i) for seed in (0, 1, 2, 7) for split in ("train", "val", "test")
                        for i in range(EXAMPLES)}
    for kind, index in (("paint", -1), ("paint", EXAMPLES), ("photo", 0)):
        with pytest.raises(ValueError):
            example_drawing(kind, index, SIZE)
