"""Style colours: each scene says its colours, the network reads them as extra planes, and a model
trained with --style paints the colours it is given."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from inference.cli import main
from inference.data.landscapes import LABEL_INDEX, example_scene, render_scene, scene_seed, write_dataset
from inference.data.palette import STYLE_MATERIALS
from inference.engine import clear_cache, load_nets
from inference.errors import InferenceError
from inference.examples import example_input
from inference.pipelines.sketch import SketchOptions, finish, prepare, render
from inference.pipelines.sketch_options import check_style, style_planes
from inference.registry import get_spec

SIZE = 64


def test_a_scene_s_style_is_the_mean_colour_of_each_material_it_shows():
    for index in range(6):
        scene = render_scene(scene_seed(5, "test", index), SIZE, kinds=("paint",))
        picture = np.asarray(scene.picture).astype(float)
        assert scene.style and set(scene.style) <= set(STYLE_MATERIALS) and "sky" in scene.style
        if "horizon" in scene.style:  # unless mountains hide the sky there
            assert scene.style["horizon"] != scene.style["sky"]
        for material, colour in scene.style.items():
            if material == "horizon":
                continue  # a band of the sky, not a label
            region = scene.labels == LABEL_INDEX[material]
            if region.mean() < 0.05:
                continue  # too few painted pixels to compare with
            measured = picture[region].mean(axis=0)
            given = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
            # The style is measured under the scene's own labels, the comparison under the painted ones.
            assert np.abs(measured - given).max() < 25, (material, measured, given)


def test_the_horizon_is_the_sky_above_the_horizon_line_lighter_than_the_sky_on_a_clear_day():
    horizons = [render_scene(scene_seed(5, "test", i), SIZE, kinds=("paint",)).style for i in range(12)]
    lighter = [sum(int(s["horizon"][k:k + 2], 16) for k in (1, 3, 5)) > sum(int(s["sky"][k:k + 2], 16) for k in (1, 3, 5))
               for s in horizons if "horizon" in s]
    assert len(lighter) >= 8 and sum(lighter) >= 0.75 * len(lighter)


def test_both_drawings_of_a_scene_share_its_style_and_scenes_differ():
    seed = scene_seed(5, "test", 0)
    assert render_scene(seed, SIZE, kinds=("paint",)).style == render_scene(seed, SIZE, kinds=("sketch",)).style
    skies = {render_scene(scene_seed(5, "test", i), SIZE, kinds=("paint",)).style["sky"] for i in range(8)}
    assert len(skies) == 8


def test_each_written_pair_has_its_style_beside_it(tmp_path):
    write_dataset(tmp_path, kind="sketch", count=2, val_count=1, size=SIZE, seed=4, progress=False)
    for split, index in (("train", 0), ("train", 1), ("val", 0)):
        written = json.loads((tmp_path / split / f"{index:05d}.json").read_text())
        assert written == {"style": render_scene(scene_seed(4, split, index), SIZE, kinds=("sketch",)).style}


def test_style_planes_give_colours_in_model_order_and_zeros_for_the_model_s_choice():
    planes = style_planes({"water": "#ff0080", "sky": "#000000"}, ("sky", "mountain", "water", "grass"))
    assert planes.shape == (16,) and planes.dtype == np.float32
    sky, mountain, water, grass = planes.reshape(4, 4)
    assert sky.tolist() == [-1, -1, -1, 1] and water.tolist() == pytest.approx([1, -1, 128 / 127.5 - 1, 1], abs=1e-6)
    assert mountain.tolist() == grass.tolist() == [0, 0, 0, 0]
    assert not style_planes({}, STYLE_MATERIALS).any()


@pytest.mark.parametrize("style, message", [
    ({"sky": "blue"}, "#rrggbb"),
    ({"sky": "#12345g"}, "#rrggbb"),
    ({"lava": "#ff0000"}, "no colour for 'lava'"),
    ({f"m{i}": "#000000" for i in range(17)}, "must map materials"),
    ("sky", "must map materials"),
])
def test_bad_styles_are_refused_with_a_message(style, message):
    with pytest.raises(InferenceError, match=message):
        check_style(style, STYLE_MATERIALS)


def test_a_model_without_materials_takes_no_colours():
    assert check_style({}, ()) == {}
    with pytest.raises(InferenceError, match="it takes no colours"):
        check_style({"sky": "#ffffff"}, ())


def test_options_keep_the_style_as_sorted_lower_case_pairs():
    options = SketchOptions(style={"water": "#AABBCC", "sky": "#010203"})
    assert options.style == (("sky", "#010203"), ("water", "#aabbcc"))
    assert SketchOptions().style == ()
    with pytest.raises(InferenceError):
        SketchOptions(style={"sky": "red"})


def test_landscape_examples_come_with_their_scene_s_style():
    example = example_input(get_spec("landscape-paint"), 2)
    scene = example_scene("paint", 2, 256)
    assert example.style == scene.style and np.array_equal(np.asarray(example.image), np.asarray(scene.label_map))
    assert example_input(get_spec("prsr-faces"), 0).style == {}


# -- a model trained with --style --------------------------------------------------------------------

@pytest.fixture(scope="module")
def styled(tmp_path_factory):
    """A tiny label-map model trained with --style for 14 epochs of 32 pairs, installed as "tiny-styled"."""
    data, models, run = (tmp_path_factory.mktemp(name) for name in ("pairs", "models", "run"))
    write_dataset(data, kind="paint", count=32, val_count=4, size=SIZE, seed=12, progress=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATELIER_MODELS_DIR", str(models))
        code = main(["train", "pix2pix", "--data", str(data), "--name", "tiny-styled", "--out", str(run),
                     "--style", ",".join(STYLE_MATERIALS), "--kind", "label_map", "--palette", "landscape",
                     "--input-size", str(SIZE), "--ngf", "8", "--ndf", "8", "--workers", "0", "--threads", "1",
                     "--seed", "3", "--epochs", "10", "--epochs-decay", "4"])
        assert code == 0
        yield get_spec("tiny-styled"), data
    clear_cache()


def test_the_installed_model_records_its_materials_and_takes_their_planes(styled):
    spec, _ = styled
    materials = list(STYLE_MATERIALS)
    assert spec.options["style"] == materials and spec.options["input_nc"] == 3 + 4 * len(materials)
    tensor = prepare(Image.new("RGB", (SIZE, SIZE), "white"), spec, style={"grass": "#00ff00"})
    assert tensor.shape == (3 + 4 * len(materials), SIZE, SIZE)
    # After the picture's 3 channels: the other materials withheld (zeros), then grass (last) and its flag.
    assert materials[-1] == "grass"
    assert torch.all(tensor[3:-4] == 0) and torch.all(tensor[-1] == 1)
    assert tensor[-4:-1].mean((1, 2)).tolist() == [-1.0, 1.0, -1.0]


def test_the_trained_model_paints_the_colours_it_is_given(styled):
    """Each held-out drawing comes out closer to its own picture with its own scene's colours than with
    another scene's: the model learnt to read the style, not only the drawing."""
    spec, data = styled
    nets = load_nets(spec, device="cpu")
    pairs = sorted((data / "val").glob("*.png"))
    styles = [json.loads(p.with_suffix(".json").read_text())["style"] for p in pairs]
    own, swapped = [], []
    for i, path in enumerate(pairs):
        pair = Image.open(path)
        target = np.asarray(pair)[:, SIZE:].astype(float)
        for style, into in ((styles[i], own), (styles[(i + 1) % len(pairs)], swapped)):
            picture = render(pair, nets, SketchOptions(dropout=False, style=style))
            into.append(np.abs(np.asarray(picture).astype(float) - target).mean())
    # A model that ignored its style would score exactly the same both ways (21.4 against 23.3 here).
    assert np.mean(own) < 0.97 * np.mean(swapped), (own, swapped)


def test_style_training_needs_the_styles_beside_the_pairs(tmp_path, capsys):
    write_dataset(tmp_path, kind="paint", count=2, val_count=1, size=SIZE, seed=1, progress=False)
    (tmp_path / "train" / "00001.json").unlink()
    code = main(["train", "pix2pix", "--data", str(tmp_path), "--style", "sky", "--kind", "label_map",
                 "--palette", "landscape", "--input-size", str(SIZE), "--no-install", "--out", str(tmp_path / "run")])
    assert code != 0 and "NAME.json" in capsys.readouterr().err


def test_live_frames_with_other_colours_share_a_batch_and_each_gets_its_own_picture():
    """The colours are in each frame's tensor, so the live batcher groups frames without them: a batch
    of differently coloured frames gives each exactly its single render."""
    import dataclasses

    from inference.live import LiveSketchModel

    spec = get_spec("landscape-paint")
    model = LiveSketchModel(spec, max_batch=4, max_wait=0.004)
    drawing = example_scene("paint", 1, 256).label_map
    styles = [{"sky": "#e08040"}, {"sky": "#4080e0", "water": "#205060"}, {}]
    options = [SketchOptions(dropout=False, style=style) for style in styles]
    # What the live path groups frames by (LiveSketchModel.render): the same for all three.
    assert len({dataclasses.replace(o, seed=None, style=()) for o in options}) == 1
    tensors = [prepare(drawing, spec, style=style) for style in styles]
    batch = model._run_batch(dataclasses.replace(options[0], style=()), [(t, None) for t in tensors])
    nets = load_nets(spec, device="cpu")
    for output, option in zip(batch, options):
        single = np.asarray(render(drawing, nets, option)).astype(int)
        assert np.abs(np.asarray(finish(output)).astype(int) - single).max() <= 1
    assert not torch.equal(batch[0], batch[1])


def test_another_file_for_a_style_entry_takes_the_input_its_first_layer_reads(tmp_path):
    """--weights with a drawing-only file for a style entry draws from the drawing alone; a file for
    other colours is refused with a message, not a shape error."""
    from official_pix2pix_keys import official_state_dict, unet_layers, write_checkpoint

    from inference.errors import CheckpointError

    plain = tmp_path / "latest_net_G.pth"
    write_checkpoint(official_state_dict(unet_layers(num_downs=6, ngf=8), seed=5), plain)
    nets = load_nets(get_spec("landscape-paint"), weights=plain, device="cpu")
    assert nets.spec.options["input_nc"] == 3 and "style" not in nets.spec.options
    drawing = example_scene("paint", 0, 256).label_map
    assert np.array_equal(np.asarray(render(drawing, nets, SketchOptions(dropout=False, style={"sky": "#ff0000"}))),
                          np.asarray(render(drawing, nets, SketchOptions(dropout=False))))
    with pytest.raises(CheckpointError, match="19 input channels"):
        load_nets(get_spec("landscape-sketch"), weights=get_spec("landscape-paint").path, device="cpu")
