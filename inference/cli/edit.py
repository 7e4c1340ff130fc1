"""``python -m inference edit``: apply a saved list of brush strokes to photos (the Neural Photo Editor).

Uses :func:`inference.pipelines.edit.render`, the function the studio's Edit
page and a gallery re-run use, so the same photo (or seed), strokes and
settings give the same picture here as on the site.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..registry import get_spec, specs_for_task
from .batch import add_batch_parser, check_common_options, error, run_batch

EXAMPLES = """\
examples:
  python -m inference edit portrait.jpg --strokes strokes.json --out edited/
  python -m inference edit faces/ --strokes blond.json --out edited/ --steps 6 --step-size 3
  python -m inference edit --seed 7 --strokes strokes.json --out edited/     # the random face of seed 7

strokes.json: a list of strokes, or an object with "strokes" and any of the settings below
(options on the command line win over the file):
  {"seed": null, "mix_seed": null, "mix": 0.0, "steps": 4, "step_size": 12.0,
   "strokes": [
     {"colour": "#d8b46c", "radius": 0.06, "points": [[0.30, 0.18], [0.45, 0.12], [0.62, 0.16]]},
     {"colour": [40, 90, 200], "radius": 0.04, "points": [[0.40, 0.42]]}
   ]}
Points are (x, y) in [0, 1] from the picture's top-left corner; radius is a fraction of the picture
side; colour is "#rrggbb" or [r, g, b]. Each stroke moves the latent code by --steps gradient steps
towards its colour inside the brush; the result is the decoding blended into the photo where it
changed (the paper's interpolation mask). The network edits the photo's centre square at 64 x 64;
results are 64 x 64. "seed" starts from a random face instead of the photo (give --seed and no
INPUT); "mix_seed"/"mix" interpolate the starting latent towards another random face.
"""

# setting -> its type, as in EditOptions
SETTINGS = {"seed": int, "mix_seed": int, "mix": float, "steps": int, "step_size": float, "mask_sigma": float,
            "mask_gain": float, "mask_floor": float}


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``edit`` subcommand."""
    models = [spec.name for spec in specs_for_task("edit")]
    parser = add_batch_parser(
        subparsers,
        "edit",
        help="paint over faces with the Neural Photo Editor's contextual brush (Brock et al. 2017)",
        summary="Apply brush strokes to photos through a latent-variable model.",
        inputs_help="photos (image files) or folders of them; none with --seed",
        examples=EXAMPLES,
    )
    next(action for action in parser._actions if action.dest == "inputs").nargs = "*"  # none with --seed
    parser.add_argument("--strokes", type=Path, required=True, metavar="FILE", help="the strokes (JSON, see below)")
    parser.add_argument("--model", choices=models, default=models[0] if models else None,
                        help=f"which model (default: {models[0] if models else 'none'})")
    parser.add_argument("--weights", type=Path, metavar="FILE", help="use this weights file instead of the installed model's")
    parser.add_argument("--seed", type=int, metavar="N", help="start from the random face of seed N (no INPUT needed)")
    parser.add_argument("--mix-seed", type=int, metavar="N", help="interpolate the start towards the random face of seed N ...")
    parser.add_argument("--mix", type=float, metavar="T", help="... by T in [0, 1]")
    parser.add_argument("--steps", type=int, metavar="N", help="gradient steps per stroke (default: the file's, else 4)")
    parser.add_argument("--step-size", type=float, metavar="ETA", help="gradient step size (default: the file's, else 12)")
    parser.set_defaults(run=run, tool_parser=parser)
    return parser


def read_options(path: Path, args: argparse.Namespace):
    """The :class:`EditOptions` of a strokes file, with the command line's settings on top (ValueError if malformed)."""
    from ..pipelines.edit_options import EditOptions, strokes_from_json

    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON ({exc.msg}, line {exc.lineno})") from None
    settings = {k: data[k] for k in SETTINGS if isinstance(data, dict) and data.get(k) is not None}
    for key in SETTINGS:
        value = getattr(args, key, None)
        if value is not None:
            settings[key] = value
    try:
        options = EditOptions(strokes=strokes_from_json(data), **{k: SETTINGS[k](v) for k, v in settings.items()})
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    if options.steps < 0 or not 0.0 <= options.mix <= 1.0:
        raise ValueError("steps must be at least 0 and mix in [0, 1]")
    return options


def run(args: argparse.Namespace) -> int:
    """Edit every input (or the seed's face); return 0, or 1 if any file failed or the model is missing."""
    parser: argparse.ArgumentParser = args.tool_parser
    if args.model is None:
        parser.error("no Edit model is registered")
    if not args.inputs and args.seed is None:
        parser.error("give photos to edit, or --seed N for a random face")
    check_common_options(parser, args)
    if args.weights is not None and not args.weights.is_file():
        parser.error(f"weights file {args.weights} does not exist")
    try:
        options = read_options(args.strokes, args)
    except ValueError as exc:
        parser.error(str(exc))
    if args.inputs and options.seed is not None:
        parser.error("a seed starts from a random face: give photos or a seed, not both")
    spec = get_spec(args.model)
    if not args.inputs:
        return _random_face(args, spec, options)
    return run_batch(args, tool="edit", verb="edited", models=[(spec, args.weights)],
                     load=lambda: _renderer(args, spec, options))


def _renderer(args: argparse.Namespace, spec, options):
    """Load the model once; returns the function editing one loaded photo."""
    from ..engine import load_nets
    from ..pipelines.edit import render

    nets = load_nets(spec, weights=args.weights, device=args.device)
    return lambda loaded, source: render(loaded.image, nets, options)


def _random_face(args: argparse.Namespace, spec, options) -> int:
    """``--seed N`` without inputs: edit the seed's random face into ``OUT/seed-N.MODEL.png``."""
    from ..engine import load_nets
    from ..errors import InferenceError
    from ..files import write_atomically
    from ..images import encode_image
    from ..pipelines.edit import render
    from .batch import OUTPUT_EXTENSIONS, output_tag

    target = args.out / f"seed-{args.seed}.{output_tag(spec, args.weights)}{OUTPUT_EXTENSIONS[args.format]}"
    try:
        nets = load_nets(spec, weights=args.weights, device=args.device)
    except InferenceError as exc:
        error(str(exc))
        return 1
    write_atomically(target, encode_image(render(None, nets, options), args.format.upper(), quality=args.quality))
    print(f"1 edited. Results in {args.out}", file=sys.stderr)
    return 0
