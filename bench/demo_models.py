"""The bundled Live Sketch models against earlier files, on held-out procedural scenes.

    python bench/demo_models.py --old /tmp/old-weights --scenes 24 --grid docs/training/demo-models-compare.jpg

For each bundled model (landscape-paint, landscape-sketch) the installed file
and the file of the same name in --old draw the same held-out scenes of
:mod:`inference.data.landscapes` (the "test" stream of --seed, used by no
training set), in the studio's live mode (official normalisation, no
dropout). A style-conditioned file (one whose catalog entry lists style
materials) draws each scene twice: given the scene's colours (its style, as
the Sketch page's Examples give it), and with every colour left to the model.
Printed per model and file, averaged over the scenes:

* L1: mean absolute difference to the scene's picture, in 0-255 levels;
* checkerboard: :func:`inference.data.spectrum.nyquist_share`, the share of
  the power spectrum at the 2-pixel period (also given for the true pictures);
* L1 with the regions' colours given: the same L1 after shifting the model's
  picture, in every region of the scene's label map, so that its mean colour
  is the true picture's there. What this removes is the error of choosing a
  region's colour (which sky, which water), which no drawing tells; what is
  left is shape and texture. Printed beside it, the L1 of the flat picture of
  the true region means alone.

--grid writes a JPEG of a few scenes per model: input | old | new | truth
(a style-conditioned file given the scene's colours).
Prints figures only; nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from inference.data.landscapes import render_scene, scene_seed  # noqa: E402
from inference.data.spectrum import nyquist_share  # noqa: E402
from inference.engine import load_nets  # noqa: E402
from inference.pipelines.sketch import SketchOptions, render  # noqa: E402
from inference.registry import get_spec  # noqa: E402

MODELS = {"landscape-paint": "label_map", "landscape-sketch": "sketch"}


def region_codes(label_map: Image.Image) -> np.ndarray:
    """One integer per pixel naming its label-map region (its colour)."""
    rgb = np.asarray(label_map.convert("RGB")).reshape(-1, 3).astype(np.int64)
    return rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2]


def region_colour_l1(output: Image.Image, scene) -> tuple[float, float]:
    """(L1 after giving each region the true mean colour, L1 of the true region means as a flat picture)."""
    codes = region_codes(scene.label_map)
    out = np.asarray(output.convert("RGB"), dtype=np.float64).reshape(-1, 3).copy()
    truth = np.asarray(scene.picture.convert("RGB"), dtype=np.float64).reshape(-1, 3)
    flat = np.empty_like(truth)
    for code in np.unique(codes):
        region = codes == code
        mean = truth[region].mean(axis=0)
        out[region] += mean - out[region].mean(axis=0)
        flat[region] = mean
    return float(np.abs(out - truth).mean()), float(np.abs(flat - truth).mean())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, metavar="DIR", help="folder holding the earlier files (same names)")
    parser.add_argument("--scenes", type=int, default=24, help="held-out scenes per model (default: 24)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the held-out 'test' stream (default: 7)")
    parser.add_argument("--grid", type=Path, metavar="FILE.jpg", help="write input | old | new | truth rows here")
    parser.add_argument("--grid-rows", type=int, default=3, help="scenes per model in the grid (default: 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    scenes = [render_scene(scene_seed(args.seed, "test", i), 256) for i in range(args.scenes)]
    truth_share = statistics.mean(nyquist_share(s.picture) for s in scenes)
    print(f"{args.scenes} held-out scenes (seed {args.seed}, 'test' stream); true pictures: "
          f"checkerboard {truth_share * 1e4:.2f} e-4")
    rows = []
    options = SketchOptions(norm="official", dropout=False)
    print(f"{'model':18} {'file':22} {'L1 (0-255)':>11} {'checkerboard (e-4)':>19} {'L1, region colours given':>25}"
          f" {'true region means alone':>24}")
    for name, kind in MODELS.items():
        spec = get_spec(name)
        drawings = [s.label_map if kind == "label_map" else s.sketch for s in scenes]
        # An earlier file takes the drawing alone (load_nets reads that from its first layer).
        runs = [("old", args.old / spec.filename, False)]
        runs += [("new, colours given", None, True), ("new, model's colours", None, False)] \
            if spec.options.get("style") else [("new", None, False)]
        outputs = {}
        for label, weights, styled in runs:
            nets = load_nets(spec, weights=weights, device="cpu")
            outputs[label] = [render(d, nets, dataclasses.replace(options, style=s.style if styled else ()))
                              for d, s in zip(drawings, scenes)]
            l1 = statistics.mean(float(np.abs(np.asarray(o, dtype=np.float64) - np.asarray(s.picture, dtype=np.float64)).mean())
                                 for o, s in zip(outputs[label], scenes))
            share = statistics.mean(nyquist_share(o) for o in outputs[label])
            given, flat = (statistics.mean(v) for v in zip(*(region_colour_l1(o, s) for o, s in zip(outputs[label], scenes))))
            print(f"{name:18} {label:22} {l1:11.2f} {share * 1e4:19.2f} {given:25.2f} {flat:24.2f}")
        for i in range(min(args.grid_rows, args.scenes)):
            rows.append([drawings[i], outputs["old"][i], outputs[runs[1][0]][i], scenes[i].picture])
    if args.grid:
        tile = 256
        grid = Image.new("RGB", (4 * tile, len(rows) * tile), "white")
        for r, row in enumerate(rows):
            for c, image in enumerate(row):
                grid.paste(image.convert("RGB").resize((tile, tile)), (c * tile, r * tile))
        args.grid.parent.mkdir(parents=True, exist_ok=True)
        grid.save(args.grid, quality=82, optimize=True)
        print(f"grid: {args.grid} (input | old | new | truth)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
