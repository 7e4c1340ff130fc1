"""``python -m inference stylize``: paint photos and folders of photos in a style or a blend of styles.

Uses exactly the functions the web studio uses (``load_image`` for
validation, a :class:`~inference.pipelines.style_blend.Blend` turned into
options by ``blend_options``, :func:`inference.pipelines.stylize.render` for
the work, :func:`inference.engine.style_statistics` for style pictures), so a
file renders the same here as on the site for the same settings.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from ..errors import InferenceError
from ..modelspec import ModelSpec
from ..pipelines.style_blend import STYLE_ARCHS, Blend
from ..pipelines.style_options import PRESERVE_COLOUR_MODES
from ..registry import get_spec, specs_for_task
from .batch import add_batch_parser, check_common_options, error, input_limits, run_batch

_DEFAULT_MODEL = "candy"

EXAMPLES = """\
examples:
  python -m inference stylize photo.jpg --out painted/ --model mosaic
  python -m inference stylize photos/ --out painted/ --model udnie --strength 0.6 --preserve-colour luminance
  python -m inference stylize photo.jpg --out painted/ --model my-styles --list-styles
  python -m inference stylize photo.jpg --out painted/ --model my-styles --style-weights 0.7,0.3,0
  python -m inference stylize photo.jpg --out painted/ --weights runs/my-styles/my-styles.safetensors --style-weights 1,1
  python -m inference stylize photo.jpg --out painted/ --weights saved_models/candy.pth
  python -m inference stylize photo.jpg --out painted/ --style starry.jpg:2 --style scream.jpg:1 --strength 0.8
  python -m inference stylize big.tif --out painted/ --model candy --tile 768 --format jpeg --quality 90

kinds of model:
  single      one fast_neural_style style (candy, mosaic, rain_princess, udnie);
              --strength cross-fades the painted picture with the photo
  multistyle  a network trained here with several styles (train stylize); blend
              them with --style-weights, --strength fades towards the photo
  adain       any style picture (--style IMAGE[:WEIGHT], repeatable); --strength is
              AdaIN's content-style trade-off alpha

exit codes: 0 all done, 1 a file or the model failed, 2 usage error
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``stylize`` subcommand."""
    models = [s.name for s in specs_for_task("stylize") if s.arch in STYLE_ARCHS]
    parser = add_batch_parser(
        subparsers,
        "stylize",
        help="paint photos in a style or a blend of styles (fast neural style, multi-style, AdaIN)",
        summary="Paint photos in a style.",
        inputs_help="image files or folders to stylise",
        examples=EXAMPLES,
        out_required=False,
    )
    parser.add_argument("--model", metavar="NAME",
                        help=f"installed style model (default: {_DEFAULT_MODEL}; adain-decoder with --style); "
                        f"known now: {', '.join(models)}")
    parser.add_argument("--weights", type=Path, metavar="FILE",
                        help="a fast_neural_style .pth or a multi-style network file instead of an installed model "
                        "(its kind is read from the file)")
    parser.add_argument("--style-weights", metavar="W,W,...",
                        help="multi-style models: one weight per style, in --list-styles order "
                        "(normalised to sum 1; default: the first style only)")
    parser.add_argument("--list-styles", action="store_true", help="print the model's styles and exit")
    parser.add_argument("--style", action="append", default=[], metavar="IMAGE[:WEIGHT]",
                        help="AdaIN: a style picture with an optional weight (default 1); repeat to blend several")
    parser.add_argument("--style-size", type=int, default=512, metavar="PX",
                        help="AdaIN: scale style pictures down to this longer side (default: 512); "
                        "smaller = larger brush strokes")
    parser.add_argument("--decoder", type=Path, metavar="FILE", help="AdaIN: decoder.pth instead of the installed adain-decoder")
    parser.add_argument("--encoder", type=Path, metavar="FILE", help="AdaIN: vgg_normalised.pth instead of the installed adain-vgg")
    parser.add_argument("--strength", type=float, default=1.0, metavar="S", help="0 (the photo) to 1 (full style) (default: 1)")
    parser.add_argument("--preserve-colour", choices=PRESERVE_COLOUR_MODES, default="none",
                        help="keep the photo's colours: luminance = only the style's light and dark, "
                        "match = the style recoloured to the photo's palette (default: none)")
    parser.add_argument("--max-side", type=int, metavar="PX", help="scale photos down to this longer side first (default: full resolution)")
    parser.add_argument("--tile", type=int, default=1024, metavar="PX",
                        help="render photos larger than this in overlapping tiles of this size; 0 = never (default: 1024)")
    parser.set_defaults(run=run, tool_parser=parser)
    return parser


def parse_style(text: str) -> tuple[Path, float]:
    """"IMAGE[:WEIGHT]" -> (path, weight); a colon belongs to the path unless a number follows it."""
    path, sep, weight = text.rpartition(":")
    if sep and path:
        try:
            return Path(path), float(weight)
        except ValueError:
            pass
    return Path(text), 1.0


def parse_weights(text: str) -> list[float]:
    """"0.7,0.3" -> [0.7, 0.3] (ValueError on anything else)."""
    return [float(part) for part in text.split(",")]


@dataclass
class _Plan:
    """What to run: the model (its ``arch`` is the kind) and where its weights come from."""

    spec: ModelSpec
    weights: Path | None = None
    encoder_spec: ModelSpec | None = None
    encoder_weights: Path | None = None


def _file_spec(path: Path, arch: str, style_names: list[str] | None) -> ModelSpec:
    """A registry record for a weights file given on the command line."""
    return ModelSpec(
        name=f"file:{path.resolve()}", family="transformer_net", task="stylize", arch=arch, title=path.name,
        url="", filename=path.name, sha256=None, sha256_prefix=None, licence="NOASSERTION", input_size=256,
        default=False, paper="", description="",
        options={"styles": [{"name": n, "thumbnail": None} for n in style_names or ()]},
    )


def _names_in_file(path: Path) -> list[str] | None:
    """Style names stored in a multi-style safetensors file's metadata, if any."""
    import json

    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as fh:
            names = json.loads((fh.metadata() or {}).get("style_names", "null"))
    except Exception:  # not safetensors, or no usable metadata: names are numbered instead
        return None
    return [str(n) for n in names] if isinstance(names, list) else None


def _plan(args: argparse.Namespace, parser: argparse.ArgumentParser) -> _Plan:
    """Decide the kind of model from the options (parser.error on contradictions)."""
    if args.style or args.decoder or args.encoder:
        if not args.style:
            parser.error("--decoder and --encoder are for AdaIN; give at least one --style IMAGE")
        if args.weights is not None:
            parser.error("--weights is for fast neural style and multi-style files; use --decoder for AdaIN")
        spec = get_spec(args.model or "adain-decoder")
        if spec.arch != "adain":
            parser.error(f"--style needs an AdaIN model, and {spec.name} is not one (try --model adain-decoder)")
        encoder = get_spec(spec.options.get("encoder", "adain-vgg"))
        return _Plan(spec, args.decoder, encoder, args.encoder)
    if args.weights is not None:
        from ..checkpoints import read_state_dict
        from ..nets.transformer_net import arch_of

        state_dict = read_state_dict(args.weights)  # CheckpointError -> exit 1 in run()
        arch = arch_of(state_dict)
        names = _names_in_file(args.weights) if arch == "multistyle" else None
        return _Plan(_file_spec(args.weights, arch, names), args.weights)
    spec = get_spec(args.model or _DEFAULT_MODEL)
    if spec.arch == "adain":
        parser.error(f"{spec.name} takes its style from pictures: give --style IMAGE")
    if spec.task != "stylize" or spec.arch not in STYLE_ARCHS:
        parser.error(f"{spec.name} is not a style model")
    return _Plan(spec)



def run(args: argparse.Namespace) -> int:
    """Stylise every input; return 0, 1 if any file or the model failed, 2 on usage errors."""
    from ..pipelines.style_options import StyleOptions

    parser: argparse.ArgumentParser = args.tool_parser
    if args.style_size < 16:
        parser.error("--style-size must be at least 16")
    try:
        options = StyleOptions(strength=args.strength, preserve_colour=args.preserve_colour,
                               max_side=args.max_side, tile=args.tile)
    except InferenceError as exc:
        parser.error(str(exc))
    for given in (args.weights, args.decoder, args.encoder):
        if given is not None and not given.is_file():
            parser.error(f"weights file {given} does not exist")
    styles = [parse_style(text) for text in args.style]
    for path, weight in styles:
        if not path.is_file():
            parser.error(f"style picture {path} does not exist")
        if weight < 0:
            parser.error(f"style weight for {path} must not be negative")
    if styles and sum(weight for _, weight in styles) <= 0:
        parser.error("at least one --style weight must be above zero")
    style_weights = None
    if args.style_weights is not None:
        try:
            style_weights = parse_weights(args.style_weights)
        except ValueError:
            parser.error(f"--style-weights must be numbers separated by commas, got {args.style_weights!r}")

    try:
        plan = _plan(args, parser)
    except InferenceError as exc:
        error(str(exc))
        return 1
    if style_weights is not None and plan.spec.arch != "multistyle":
        parser.error("--style-weights is for multi-style models; this one has a single style")

    if args.list_styles:
        return _list_styles(plan)
    if not args.inputs:
        parser.error("give at least one INPUT image or folder")
    if args.out is None:
        parser.error("--out DIR is required")
    check_common_options(parser, args)

    models = [(plan.spec, plan.weights)]
    if plan.encoder_spec is not None:
        models.append((plan.encoder_spec, plan.encoder_weights))
    return run_batch(args, tool="stylize", verb="stylised", models=models,
                     load=lambda: _renderer(args, plan, options, styles, style_weights))


def _list_styles(plan: _Plan) -> int:
    """Print the styles a model offers, one per line, numbered in --style-weights order."""
    if plan.spec.arch == "adain":
        print("AdaIN takes its styles from the pictures given with --style.")
        return 0
    if plan.spec.arch == "single":
        print(f"1. {plan.spec.options.get('style', plan.spec.title)}")
        return 0
    names = [style["name"] for style in plan.spec.options.get("styles", ())]
    if not names:  # a file without names: count the styles in it
        from ..checkpoints import read_state_dict

        names = [f"style {i + 1}" for i in range(read_state_dict(plan.weights)["in1.weight"].shape[0] - 1)]
    for i, name in enumerate(names, start=1):
        print(f"{i}. {name}")
    return 0


def _renderer(args: argparse.Namespace, plan: _Plan, options, styles: list[tuple[Path, float]],
              style_weights: list[float] | None):
    """Load the networks and the style pictures' statistics once; returns the function stylising one photo."""
    from ..engine import load_nets, style_statistics
    from ..images import load_image
    from ..pipelines.style_blend import blend_options
    from ..pipelines.stylize import render

    nets = load_nets(plan.spec, weights=plan.weights, encoder_weights=plan.encoder_weights, device=args.device)
    if plan.spec.arch == "multistyle":
        weights = style_weights or [1.0] + [0.0] * (nets.net.n_styles - 1)
        if len(weights) != nets.net.n_styles:
            raise InferenceError(
                f"{plan.spec.title} has {nets.net.n_styles} styles ({', '.join(nets.net.style_names)}); "
                f"--style-weights gave {len(weights)} weights."
            )
    else:  # AdaIN: a style picture's key is its place on the command line
        weights = [weight for _, weight in styles]
    blend = Blend(plan.spec.name, tuple((str(i), w) for i, w in enumerate(weights)), options.strength,
                  options.preserve_colour)
    limits = input_limits(args)

    def statistics(key: str):
        path = styles[int(key)][0]
        return style_statistics(nets, str(path.resolve()), max_side=args.style_size,
                                load=lambda: load_image(path, **limits).image)

    stylise_options = blend_options(blend, nets, statistics, max_side=options.max_side, tile=options.tile)
    return lambda loaded, source: render(loaded.image, nets, stylise_options)
