"""Example inputs for models trained on Atelier's procedural data: a first try that already works.

A model's catalog entry names its generator in ``options["examples"]``:
"landscapes" (the Sketch demos: a label map or a line drawing of a scene,
:func:`inference.data.landscapes.example_drawing`) or "faces" (the Upscale
demo: a face, :func:`inference.data.faces.example_face`). Each generator has
a stream of its own that no data set or measurement draws, and there are
:data:`EXAMPLES` of each, always the same pixels, so they can be cached
wherever they are served. Torch-free, for the web process.
"""

from __future__ import annotations

from PIL import Image

from .data.landscapes import EXAMPLES, example_drawing
from .errors import InferenceError
from .modelspec import ModelSpec

__all__ = ["EXAMPLES", "example_image"]

# A Sketch model's input kind -> the landscape drawing it takes.
_DRAWINGS = {"label_map": "paint", "sketch": "sketch"}
# The side of an example face: the Upscale page shrinks a photo's centre square to the model's input.
FACE_SIDE = 64


def example_image(spec: ModelSpec, index: int) -> Image.Image:
    """Example input ``index`` (0 <= index < EXAMPLES) of ``spec``; InferenceError when it has none."""
    source = spec.options.get("examples")
    drawing = _DRAWINGS.get(spec.options.get("kind", "sketch"))
    if source != "faces" and not (source == "landscapes" and drawing):
        raise InferenceError(f"{spec.title} has no examples.")
    if not 0 <= index < EXAMPLES:
        raise InferenceError(f"There are {EXAMPLES} examples, numbered from 0.")
    if source == "faces":
        from .data.faces import example_face

        return example_face(index, FACE_SIDE)
    return example_drawing(drawing, index, spec.input_size)
