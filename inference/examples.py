"""Example inputs for models trained on Atelier's procedural data: a first try that already works.

A model's catalog entry names its generator in ``options["examples"]``:
"landscapes" (the Sketch demos: a label map or a line drawing of a scene,
:func:`inference.data.landscapes.example_drawing`) or "faces" (the Upscale
demo: a face, :func:`inference.data.faces.example_face`). Each generator has
a stream of its own that no data set or measurement draws, and there are
:data:`EXAMPLES` of each, always the same pixels, so they can be cached
wherever they are served. A landscape example also has the style of its
scene (its colours, :func:`inference.data.landscapes.scene_style`), which a
style-conditioned model is given with it, so it paints that scene's picture.
Torch-free, for the web process.
"""

from __future__ import annotations

from typing import NamedTuple

from PIL import Image

from .data.landscapes import EXAMPLES, example_scene
from .errors import InferenceError
from .modelspec import ModelSpec

__all__ = ["EXAMPLES", "Example", "example_input"]

# A Sketch model's input kind -> the landscape drawing it takes.
_DRAWINGS = {"label_map": "paint", "sketch": "sketch"}
# The side of an example face: the Upscale page shrinks a photo's centre square to the model's input.
FACE_SIDE = 64


class Example(NamedTuple):
    """One example input: the picture, and the style it goes with ({} when it has none)."""

    image: Image.Image
    style: dict[str, str]


def example_input(spec: ModelSpec, index: int) -> Example:
    """Example input ``index`` (0 <= index < EXAMPLES) of ``spec``; InferenceError when it has none."""
    source = spec.options.get("examples")
    drawing = _DRAWINGS.get(spec.options.get("kind", "sketch"))
    if source != "faces" and not (source == "landscapes" and drawing):
        raise InferenceError(f"{spec.title} has no examples.")
    if not 0 <= index < EXAMPLES:
        raise InferenceError(f"There are {EXAMPLES} examples, numbered from 0.")
    if source == "faces":
        from .data.faces import example_face

        return Example(example_face(index, FACE_SIDE), {})
    scene = example_scene(drawing, index, spec.input_size)
    return Example(scene.label_map if drawing == "paint" else scene.sketch, scene.style)
