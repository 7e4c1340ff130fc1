"""``python -m inference sketch``: turn drawings (line drawings, label maps, A|B pairs) into pictures.

Uses the functions the studio's Live Sketch uses (``load_image`` to read and
validate, :func:`inference.pipelines.sketch.render` = prepare + generate +
finish), so a drawing gives the same picture here as on the site for the same
model, modes and seed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InferenceError
from ..pipelines.sketch_options import check_style
from ..registry import get_spec, specs_for_task
from .batch import add_batch_parser, check_common_options, run_batch

EXAMPLES = """\
examples:
  python -m inference sketch my_landscape.png --out pictures/
  python -m inference sketch drawings/ --out pictures/ --model landscape-sketch --no-dropout
  python -m inference sketch facades/val/ --out facades_out/ --model facades_label2photo --direction BtoA
  python -m inference sketch shoe.png --out shoes/ --model edges2shoes --norm eval --seed 7
  python -m inference sketch drawing.png --out out/ --model edges2shoes --weights latest_net_G.pth
  python -m inference sketch lake.png --out out/ --model landscape-paint --colour sky=#e09060 --colour water=#305870

modes: --norm official (default) normalises each drawing with its own statistics and keeps
dropout on, as the official test.py does (each --seed gives a different variation);
--norm eval uses the running statistics without dropout, as test.py --eval does.
--no-dropout (with --norm official) gives a stable picture that only changes where the drawing
changes; --dropout (with --norm eval) adds dropout to the running statistics.
An A|B pair (an image twice as wide as high, the official data set layout) is split and the
half named by --direction is used; other images are used whole. Outputs are the model's
input size (256 x 256 for the released models).
--colour gives a style-conditioned model the colour of one material (landscape-paint: sky, mountain,
water, grass; landscape-sketch also horizon and cloud); the materials not given are the model's choice.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``sketch`` subcommand."""
    models = [spec.name for spec in specs_for_task("sketch")]
    parser = add_batch_parser(
        subparsers,
        "sketch",
        help="turn drawings and label maps into pictures (pix2pix, Isola et al. 2017)",
        summary="Render drawings with a pix2pix generator.",
        inputs_help="drawings (image files) or folders of them",
        examples=EXAMPLES,
    )
    parser.add_argument(
        "--model", choices=models, default=models[0] if models else None,
        help=f"which generator to use (default: {models[0] if models else 'none'}); with --weights it names "
        "the model whose input size, palette and direction apply",
    )
    parser.add_argument("--weights", type=Path, metavar="FILE",
                        help="use this generator file (.pth or .safetensors, any official U-Net) instead of the installed model")
    parser.add_argument("--direction", choices=("AtoB", "BtoA"),
                        help="which half of an A|B pair is the input (default: the direction the model was trained in)")
    parser.add_argument("--norm", choices=("official", "eval"), default="official",
                        help="BatchNorm statistics: each drawing's own (official, default) or the running ones (eval)")
    parser.add_argument("--dropout", action=argparse.BooleanOptionalAction, default=None,
                        help="dropout as the noise source on (--dropout) or off for a stable picture (--no-dropout); "
                        "default: as the official test.py, on with --norm official, off with --norm eval")
    parser.add_argument("--seed", type=int, metavar="N", help="dropout seed: the same seed gives the same picture (default: random)")
    parser.add_argument("--colour", action="append", default=[], metavar="MATERIAL=#RRGGBB",
                        help="a style-conditioned model's colour for one material (repeatable; "
                        "default: every colour is the model's choice)")
    parser.set_defaults(run=run, tool_parser=parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Render every input; return 0, or 1 if any file failed or the model is missing."""
    parser: argparse.ArgumentParser = args.tool_parser
    if args.model is None:
        parser.error("no Live Sketch model is registered")
    check_common_options(parser, args)
    if args.weights is not None and not args.weights.is_file():
        parser.error(f"weights file {args.weights} does not exist")

    spec = get_spec(args.model)
    materials = spec.options.get("style") or ()
    try:
        args.style = check_style(dict(colour.partition("=")[::2] for colour in args.colour), materials)
    except InferenceError as exc:
        parser.error(f"--colour: {exc}")
    return run_batch(args, tool="sketch", verb="rendered", models=[(spec, args.weights)],
                     load=lambda: _renderer(args, spec))


def _renderer(args: argparse.Namespace, spec):
    """Load the model once; returns the function rendering one loaded drawing."""
    from ..engine import load_nets
    from ..pipelines.sketch import SketchOptions, render

    options = SketchOptions(norm=args.norm, dropout=args.dropout,
                            direction=args.direction or spec.options.get("direction", "AtoB"), seed=args.seed,
                            style=args.style)
    nets = load_nets(spec, weights=args.weights, device=args.device)
    return lambda loaded, source: render(loaded.image, nets, options)
