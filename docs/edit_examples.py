"""Writes docs/edit-examples.png: edits with the bundled npe-faces model.

    python docs/edit_examples.py docs/edit-examples.png

One row per example: the start, the stroke drawn over it, the result after
three applications of the stroke (default EditOptions), the mask M.
"""
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference.data.faces import contact_sheet, face, face_seed  # noqa: E402
from inference.engine import load_nets  # noqa: E402
from inference.pipelines.edit import (EditOptions, Stroke, apply_stroke, brush, compose, start_from_photo,  # noqa: E402
                                      start_from_seed, to_image)
from inference.registry import get_spec  # noqa: E402

BLOND, DARK, PINK = (216, 180, 108), (30, 22, 18), (214, 160, 174)
TOP_OF_HEAD = ((0.3, 0.16), (0.5, 0.1), (0.7, 0.16))
EXAMPLES = [  # (start: a photo (an unseen procedural face) or a seed, stroke)
    (("photo", 5000), Stroke(TOP_OF_HEAD, BLOND, 0.08)),
    (("photo", 5001), Stroke(TOP_OF_HEAD, DARK, 0.08)),
    (("seed", 3), Stroke(((0.08, 0.1), (0.08, 0.5)), PINK, 0.08)),
    (("seed", 4), Stroke(TOP_OF_HEAD, BLOND, 0.08)),
]


def main() -> None:
    torch.set_num_threads(1)
    nets = load_nets(get_spec("npe-faces"), device="cpu")
    options = EditOptions()
    cells = []
    for (kind, number), stroke in EXAMPLES:
        state = start_from_photo(nets, face(face_seed(0, number), 64)[0]) if kind == "photo" else start_from_seed(nets, number)
        before = to_image(state.photo)
        edited = state
        for _ in range(3):
            edited = apply_stroke(edited, nets, stroke, options)
        picture, mask = compose(edited, nets, options)
        weight = brush(stroke)[0, 0].numpy()[..., None] * 0.6
        painted = np.asarray(before).astype(float) * (1 - weight) + weight * np.array(stroke.colour)
        cells += [before, Image.fromarray(painted.astype("uint8")), to_image(picture), to_image(mask.expand(1, 3, 64, 64))]
    contact_sheet([c.resize((128, 128), Image.Resampling.NEAREST) for c in cells], columns=4).save(sys.argv[1])


if __name__ == "__main__":
    main()
