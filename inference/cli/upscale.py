"""``python -m inference upscale``: enlarge photos with an RRDBNet (Real-ESRGAN, ESRGAN) or sample faces with PRSR.

Uses the functions the studio's Upscale page uses (``load_image`` to read and
validate, :func:`inference.pipelines.upscale.render_samples`), so a photo
gives the same result here as on the site for the same model and options.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from ..registry import get_spec, specs_for_task
from .batch import add_batch_parser, check_common_options, run_batch

EXAMPLES = """\
examples:
  python -m inference upscale photo.jpg --out big/ --model realesrgan-x4plus
  python -m inference upscale photos/ --out big/ --model realesrgan-x2plus --tile 256 --device cuda
  python -m inference upscale photo.jpg --out big/ --weights RRDB_ESRGAN_x4.pth
  python -m inference upscale face.png --out faces/ --model prsr-faces --samples 4 --temperature 0.8 --seed 7

RRDBNet models (Real-ESRGAN x4plus / x2plus, ESRGAN) enlarge the whole photo x4 or x2;
photos larger than --tile pixels run in overlapping tiles (the same picture within one
level). --weights FILE alone is enough for any RRDBNet file in the Real-ESRGAN/BasicSR,
ESRGAN or 2018 ESRGAN naming: its keys tell the naming and the scale.
PRSR models (prsr-faces) take the photo's centre square, shrink it to 8 x 8 by area
averaging and draw --samples different 32 x 32 faces from it, sample k with seed --seed + k;
with several samples they are written as photo.MODEL.s0.png, photo.MODEL.s1.png, ...
--temperature 0 gives the single most likely face.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``upscale`` subcommand."""
    from ..pipelines.upscale_options import DEFAULT_MAX_OUTPUT_MEGAPIXELS, MAX_SAMPLES, UpscaleOptions

    models = [spec.name for spec in specs_for_task("upscale")]
    defaults = UpscaleOptions()
    parser = add_batch_parser(
        subparsers,
        "upscale",
        help="enlarge photos (Real-ESRGAN / ESRGAN) or sample faces from tiny ones (pixel recursive super-resolution)",
        summary="Upscale photos with an RRDBNet, or draw PRSR samples from them.",
        inputs_help="photos (image files) or folders of them",
        examples=EXAMPLES,
    )
    parser.add_argument("--model", choices=models,
                        help=f"which model (default: {models[0] if models else 'none'}, or what --weights holds)")
    parser.add_argument("--weights", type=Path, metavar="FILE",
                        help="use this weights file (.pth or .safetensors) instead of the installed model; "
                        "an RRDBNet or PRSR file needs no --model")
    parser.add_argument("--tile", type=int, default=defaults.tile, metavar="N",
                        help=f"RRDBNet: tile side in input pixels, 0 for none (default: {defaults.tile})")
    parser.add_argument("--max-output-megapixels", type=float, default=DEFAULT_MAX_OUTPUT_MEGAPIXELS, metavar="N",
                        help=f"RRDBNet: refuse photos whose result would exceed N megapixels "
                        f"(default: {DEFAULT_MAX_OUTPUT_MEGAPIXELS})")
    parser.add_argument("--temperature", type=float, default=defaults.temperature, metavar="T",
                        help=f"PRSR: sampling temperature from 0 (most likely) to 2 (default: {defaults.temperature})")
    parser.add_argument("--samples", type=int, default=defaults.samples, metavar="N",
                        help=f"PRSR: samples per photo, 1 to {MAX_SAMPLES} (default: {defaults.samples})")
    parser.add_argument("--seed", type=int, default=defaults.seed, metavar="S",
                        help=f"PRSR: seed of the first sample (default: {defaults.seed})")
    parser.set_defaults(run=run, tool_parser=parser)
    return parser


def _spec_for_weights(path: Path):
    """The registry entry whose network a weights file holds (CheckpointError if it is neither family's)."""
    from ..checkpoints import read_state_dict
    from ..errors import CheckpointError
    from ..nets import prsr, rrdbnet

    state_dict = read_state_dict(path)
    if "conditioning.stem.weight" in state_dict:
        scale = prsr.config_from_state_dict(state_dict)["scale"]
        spec = get_spec("prsr-faces")
        return dataclasses.replace(spec, input_size=spec.input_size * spec.options["scale"] // scale,
                                   options={**spec.options, "scale": scale})
    try:
        arch = rrdbnet.arch_of(state_dict)
    except (ValueError, KeyError) as exc:
        raise CheckpointError(f"{path} is neither an RRDBNet (ESRGAN / Real-ESRGAN) nor a PRSR checkpoint: {exc}.") from None
    return next(spec for spec in specs_for_task("upscale") if spec.arch == arch)


def run(args: argparse.Namespace) -> int:
    """Upscale every input; return 0, or 1 if any file failed or the model is missing."""
    from ..errors import InferenceError
    from ..pipelines.upscale_options import UpscaleOptions
    from .batch import error

    parser: argparse.ArgumentParser = args.tool_parser
    check_common_options(parser, args)
    if args.weights is not None and not args.weights.is_file():
        parser.error(f"weights file {args.weights} does not exist")
    if not args.max_output_megapixels > 0:
        parser.error("--max-output-megapixels must be a positive number")
    try:
        options = UpscaleOptions(temperature=args.temperature, samples=args.samples, seed=args.seed, tile=args.tile)
    except InferenceError as exc:
        parser.error(str(exc))
    if args.model is not None:
        spec = get_spec(args.model)
    elif args.weights is not None:
        try:
            spec = _spec_for_weights(args.weights)
        except InferenceError as exc:
            error(str(exc))
            return 1
    else:
        models = specs_for_task("upscale")
        if not models:
            parser.error("no Upscale model is registered")
        spec = models[0]
    from ..pipelines.upscale_options import is_sampler

    samples = options.samples if is_sampler(spec) else 1
    return run_batch(args, tool="upscale", verb="upscaled", models=[(spec, args.weights)],
                     load=lambda: _renderer(args, spec, options), samples=samples)


def _renderer(args: argparse.Namespace, spec, options):
    """Load the model once; returns the function upscaling one loaded photo."""
    from ..engine import load_nets
    from ..pipelines.upscale import check_output_size, is_sampler, render_samples

    nets = load_nets(spec, weights=args.weights, device=args.device)
    max_pixels = int(args.max_output_megapixels * 1_000_000)

    def upscale(loaded, source):
        if is_sampler(spec):
            return render_samples(loaded.image, nets, options)
        check_output_size(loaded.image.size, int(nets.net.scale), max_pixels)
        return render_samples(loaded.image, nets, options)[0]

    return upscale
