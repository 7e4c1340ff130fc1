"""Drawings are prepared as the official data loader prepares them, and label maps snap to the palette."""

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from inference.data.palette import LABEL_RGB
from inference.errors import InferenceError
from inference.pipelines.sketch import SketchOptions, finish, prepare, snap_to_palette
from inference.registry import get_spec

PAINT = get_spec("landscape-paint")
SKETCH = get_spec("landscape-sketch")


def drawing_of(tensor):
    """The drawing's own channels of a prepared input; the bundled models' style planes follow them
    (zeros when no colour is given: test_sketch_style.py)."""
    assert torch.all(tensor[3:] == 0)
    return tensor[:3]


def test_an_a_b_pair_gives_the_half_named_by_the_direction():
    pair = Image.new("RGB", (512, 256), (255, 255, 255))
    pair.paste((0, 0, 0), (256, 0, 512, 256))
    assert torch.all(drawing_of(prepare(pair, SKETCH, direction="AtoB")) == 1.0)
    assert torch.all(drawing_of(prepare(pair, SKETCH, direction="BtoA")) == -1.0)


def test_other_images_are_used_whole_and_resized_bicubically_to_the_input_size():
    drawing = Image.new("RGB", (300, 200), "white")
    ImageDraw.Draw(drawing).line([(0, 100), (300, 100)], fill="black", width=6)
    tensor = prepare(drawing, SKETCH)
    assert tensor.shape == (SKETCH.options["input_nc"], 256, 256) and tensor.dtype == torch.float32
    tensor = drawing_of(tensor)
    expected = np.asarray(drawing.resize((256, 256), Image.Resampling.BICUBIC)).astype(np.float32) / 127.5 - 1
    assert torch.allclose(tensor, torch.from_numpy(expected).permute(2, 0, 1))


def test_grey_and_transparent_drawings_become_rgb():
    assert drawing_of(prepare(Image.new("L", (256, 256), 0), SKETCH)).shape == (3, 256, 256)
    clear = Image.new("RGBA", (256, 256), (0, 0, 0, 0))  # transparent canvas = white paper
    assert torch.all(drawing_of(prepare(clear, SKETCH)) == 1.0)


def test_anti_aliased_label_strokes_snap_to_palette_colours():
    sky, grass, water = (LABEL_RGB[i] for i in (0, 6, 4))
    canvas = Image.new("RGB", (256, 256), sky)
    draw = ImageDraw.Draw(canvas)
    draw.ellipse([40, 120, 220, 250], fill=grass)
    small = canvas.resize((97, 97), Image.Resampling.LANCZOS)  # blends the edges like a browser brush
    ImageDraw.Draw(small).line([(0, 50), (97, 60)], fill=water, width=3)
    pixels = np.asarray(finish(drawing_of(prepare(small, PAINT)))).reshape(-1, 3)
    assert {tuple(p) for p in pixels.tolist()} <= {tuple(c) for c in LABEL_RGB}
    assert {sky, grass} <= {tuple(p) for p in pixels.tolist()}


def test_snapping_picks_the_nearest_colour():
    palette = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0]], dtype=np.uint8)
    pixels = np.array([[[10, 10, 10], [200, 220, 210], [200, 40, 30]]], dtype=np.uint8)
    assert snap_to_palette(pixels, palette).tolist() == [[[0, 0, 0], [255, 255, 255], [255, 0, 0]]]


def test_sketch_models_are_not_snapped():
    grey = Image.new("RGB", (256, 256), (128, 128, 128))
    assert torch.allclose(drawing_of(prepare(grey, SKETCH)), torch.full((3, 256, 256), 128 / 127.5 - 1), atol=1e-6)
    no_palette = dataclasses.replace(PAINT, options={**PAINT.options, "palette": None})
    assert torch.allclose(drawing_of(prepare(grey, no_palette)), torch.full((3, 256, 256), 128 / 127.5 - 1), atol=1e-6)


def test_unknown_modes_are_refused_with_a_sentence():
    with pytest.raises(InferenceError, match="use 'official' or 'eval'"):
        SketchOptions(norm="train")
    with pytest.raises(InferenceError, match="use 'AtoB' or 'BtoA'"):
        prepare(Image.new("RGB", (8, 8)), SKETCH, direction="sideways")
