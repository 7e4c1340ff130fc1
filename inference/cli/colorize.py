"""``python -m inference colorize``: colourise photos and folders of photos in batch.

Uses exactly the functions the web studio uses (``load_image`` for
validation, :func:`inference.pipelines.colorize.render` for the work), so a
file gives the same picture here as on the site, and fails the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import InferenceError
from ..pipelines.colorize_options import DEFAULT_GAMUT, GAMUT_MODES
from ..registry import REGISTRY, specs_for_task
from .batch import add_batch_parser, check_common_options, run_batch

EXAMPLES = """\
examples:
  python -m inference colorize old_photo.jpg --out coloured/
  python -m inference colorize scans/ --out coloured/ --format jpeg --quality 90
  python -m inference colorize portrait.png --out coloured/ --model siggraph17 --hints hints.json
  python -m inference colorize scans/ --out coloured/ --model eccv16 --weights my_finetune.pth
  python -m inference colorize old_photo.jpg --out official/ --gamut clip

gamut: out-of-gamut colours are brought in by lowering their chroma so each pixel keeps the
photo's lightness (preserve-luminance, default), or clipped per RGB channel exactly as the
official code's skimage lab2rgb does (clip), to reproduce the released outputs.

hints file (siggraph17 only): a JSON list of points relative to each image,
x and y from 0 to 1, for example
  [{"x": 0.42, "y": 0.30, "color": "#c0392b"}, {"x": 0.5, "y": 0.9, "color": "#2e7d32"}]
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``colorize`` subcommand."""
    models = [spec.name for spec in specs_for_task("colorize")]
    parser = add_batch_parser(
        subparsers,
        "colorize",
        help="colourise black-and-white photos (Zhang et al. ECCV16 / SIGGRAPH17)",
        summary="Colourise photos.",
        inputs_help="image files or folders to colourise",
        examples=EXAMPLES,
    )
    parser.add_argument(
        "--model",
        choices=models,
        default=models[0],
        help=f"which colouriser to use (default: {models[0]}); with --weights it names the architecture of that file",
    )
    parser.add_argument(
        "--weights",
        type=Path,
        metavar="FILE",
        help="use this weights file (.pth or .safetensors) instead of the installed model; --model must name its architecture",
    )
    parser.add_argument(
        "--hints",
        type=Path,
        metavar="FILE.json",
        help="colour hints for siggraph17 as a JSON list of {x, y, color} (see below); applied to every input",
    )
    parser.add_argument(
        "--gamut",
        choices=GAMUT_MODES,
        default=DEFAULT_GAMUT,
        help=f"how out-of-gamut colours become pixels (default: {DEFAULT_GAMUT}; clip = the official output)",
    )
    parser.set_defaults(run=run, tool_parser=parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Colourise every input; return 0, or 1 if any file failed or the model is missing."""
    parser: argparse.ArgumentParser = args.tool_parser
    check_common_options(parser, args)
    if args.weights is not None and not args.weights.is_file():
        parser.error(f"weights file {args.weights} does not exist")

    from ..pipelines.hints import parse_hints

    hints = []
    if args.hints is not None:
        try:
            hints = parse_hints(json.loads(args.hints.read_text(encoding="utf-8")))
        except OSError as exc:
            parser.error(f"cannot read hints file {args.hints}: {exc.strerror or exc}")
        except json.JSONDecodeError as exc:
            parser.error(f"hints file {args.hints} is not valid JSON: {exc}")
        except InferenceError as exc:
            parser.error(f"hints file {args.hints}: {exc}")

    spec = REGISTRY[args.model]
    return run_batch(args, tool="colorize", verb="colourised", models=[(spec, args.weights)],
                     load=lambda: _renderer(args, spec, hints))


def _renderer(args: argparse.Namespace, spec, hints: list):
    """Load the model once; returns the function colourising one loaded image."""
    # torch and the nets are imported here, not at module import, so that
    # `--help` and usage errors answer instantly.
    from tqdm import tqdm

    from ..engine import load_nets
    from ..images import black_and_white
    from ..pipelines.colorize import ColorizeOptions, render

    nets = load_nets(spec, weights=args.weights, device=args.device)
    if hints and spec.arch != "siggraph17":
        print(f"warning: {spec.name} cannot use colour hints; they are ignored (use --model siggraph17)", file=sys.stderr)
    options = ColorizeOptions(hints=tuple(hints), gamut=args.gamut)

    def colourise(loaded, source):
        if loaded.was_colour:
            tqdm.write(f"note: {source} is in colour; it is converted to grey first", file=sys.stderr)
        return render(black_and_white(loaded), nets, options)

    return colourise
