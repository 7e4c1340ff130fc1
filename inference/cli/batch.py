"""What the command-line tools share: which files to render, where results go, how errors read.

Every tool (colorize, sketch, stylize) maps INPUT files and folders onto output
paths under --out the same way, runs the same per-file loop (:func:`run_batch`),
writes results atomically and reports per-file errors without stopping the
batch. An output is named after its input and the model, ``photo.eccv16.png``,
so a second model's results can go into the same folder.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InferenceError, ModelNotInstalled
from ..files import write_atomically
from ..images import MAX_ASPECT_RATIO
from ..modelspec import ModelSpec

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

    from ..images import LoadedImage

__all__ = ["IMAGE_EXTENSIONS", "OUTPUT_EXTENSIONS", "DEFAULT_MAX_MB", "Job", "add_batch_parser", "collect_jobs",
           "error", "input_limits", "output_tag", "run_batch"]

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}
OUTPUT_EXTENSIONS = {"png": ".png", "jpeg": ".jpg"}
DEFAULT_MAX_MB = 1000  # the command line trusts its user more than the site (25 MB) does
DEFAULT_MAX_MEGAPIXELS = 64.0


@dataclass
class Job:
    source: Path
    target: Path


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def output_tag(spec: ModelSpec, weights: Path | None) -> str:
    """The model's part of an output name: the weights file's name when one is given, else the model's."""
    return weights.stem if weights is not None else spec.name


def collect_jobs(inputs: list[Path], out: Path, extension: str, tag: str) -> tuple[list[Job], list[tuple[Path, str]]]:
    """Map inputs to output paths ``<stem>.<tag><extension>``; returns (jobs, [(source, error)]) for clashes."""
    extension = f".{tag}{extension}"
    jobs: list[Job] = []
    problems: list[tuple[Path, str]] = []
    claimed: dict[Path, Path] = {}

    def add(source: Path, target: Path) -> None:
        key = target.resolve()
        if key in claimed:
            problems.append((source, f"its output {target} would overwrite the output of {claimed[key]}"))
            return
        claimed[key] = source
        jobs.append(Job(source, target))

    for item in inputs:
        if item.is_dir():
            for source in sorted(p for p in item.rglob("*") if p.is_file()):
                # Never pick up our own results when --out lies inside an input folder.
                if source.suffix.lower() not in IMAGE_EXTENSIONS or _is_within(source, out):
                    continue
                relative = source.relative_to(item)
                add(source, out / relative.parent / (relative.stem + extension))
        else:
            add(item, out / (item.stem + extension))
    return jobs, problems


def error(message: str) -> None:
    """Report a problem on stderr the way every tool does."""
    print(f"error: {message}", file=sys.stderr)


def add_batch_parser(subparsers, name: str, *, help: str, summary: str, inputs_help: str, examples: str,
                     out_required: bool = True) -> argparse.ArgumentParser:
    """A tool's subcommand with the options every tool shares.

    INPUT..., --out, --format, --quality, --device, --overwrite and
    --max-megapixels, --max-mb, --max-aspect-ratio mean the same in every tool; the tool adds its own.
    """
    parser = subparsers.add_parser(
        name,
        help=help,
        description=textwrap.fill(
            f"{summary} Each INPUT is an image file or a folder; folders are searched recursively for images "
            f"({', '.join(sorted(IMAGE_EXTENSIONS))}) and their structure is mirrored under --out. A result is "
            "named after its input and the model (photo.jpg -> photo.MODEL.png). Existing "
            "outputs are skipped unless --overwrite is given. A file that fails is reported and the run goes on; "
            "the exit code is 1 if any file failed, 2 for usage errors. Files are checked as the web studio "
            "checks uploads: refused are other formats, files over --max-mb or --max-megapixels, a side more "
            "than --max-aspect-ratio times the other, animations and multi-page files (one still picture is "
            "rendered, so other frames would be lost), and data after the image's end (polyglot files).",
            width=78,
        ),
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="*" if not out_required else "+", metavar="INPUT", type=Path, help=inputs_help)
    parser.add_argument("--out", required=out_required, type=Path, metavar="DIR",
                        help="folder to write results into (created if needed)"
                        + ("" if out_required else "; required unless --list-styles"))
    parser.add_argument("--format", choices=sorted(OUTPUT_EXTENSIONS), default="png", help="output file format (default: png)")
    parser.add_argument("--quality", type=int, default=92, metavar="N", help="JPEG quality from 1 to 100 (default: 92)")
    parser.add_argument("--device", metavar="cpu|cuda",
                        help="where to run the network (default: $ATELIER_DEVICE, else cuda when available, else cpu)")
    parser.add_argument("--overwrite", action="store_true", help="replace outputs that already exist instead of skipping them")
    parser.add_argument("--max-megapixels", type=float, default=DEFAULT_MAX_MEGAPIXELS, metavar="N",
                        help=f"refuse images larger than N megapixels (default: {DEFAULT_MAX_MEGAPIXELS:g})")
    parser.add_argument("--max-mb", type=float, default=DEFAULT_MAX_MB, metavar="N",
                        help=f"refuse files larger than N MB of 1,000,000 bytes (default: {DEFAULT_MAX_MB})")
    parser.add_argument("--max-aspect-ratio", type=float, default=MAX_ASPECT_RATIO, metavar="N",
                        help=f"refuse images whose longer side is more than N times the shorter "
                             f"(default: {MAX_ASPECT_RATIO}, as the site)")
    return parser


def input_limits(args: argparse.Namespace) -> dict:
    """The keyword limits of :func:`inference.images.load_image` from the shared options."""
    return {"max_bytes": int(args.max_mb * 1_000_000), "max_pixels": int(args.max_megapixels * 1_000_000),
            "max_aspect": args.max_aspect_ratio}


def check_common_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse bad values of the shared options with a usage error (exit 2)."""
    if not 1 <= args.quality <= 100:
        parser.error("--quality must be between 1 and 100")
    if not args.max_megapixels > 0:
        parser.error("--max-megapixels must be a positive number")
    if not args.max_mb > 0:
        parser.error("--max-mb must be a positive number")
    if not args.max_aspect_ratio >= 1:
        parser.error("--max-aspect-ratio must be at least 1")
    for item in args.inputs:
        if not item.exists():
            parser.error(f"input {item} does not exist")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} exists and is not a folder")


def sample_paths(target: Path, samples: int) -> list[Path]:
    """A job's output files: ``target`` itself, or ``photo.model.s0.png`` ... for several samples."""
    if samples == 1:
        return [target]
    return [target.with_name(f"{target.stem}.s{k}{target.suffix}") for k in range(samples)]


def pending_jobs(args: argparse.Namespace, tag: str,
                 samples: int = 1) -> tuple[list[Job], int, list[tuple[Path, str]]] | None:
    """(jobs to do, outputs skipped because they exist, clashes already reported); None if no image was found."""
    jobs, failures = collect_jobs(args.inputs, args.out, OUTPUT_EXTENSIONS[args.format], tag)
    for source, message in failures:
        error(f"{source}: {message}")
    if not jobs and not failures:
        error("no images found in the given inputs (looked for " + ", ".join(sorted(IMAGE_EXTENSIONS)) + ")")
        return None
    todo = [job for job in jobs if args.overwrite or not all(p.exists() for p in sample_paths(job.target, samples))]
    return todo, len(jobs) - len(todo), failures


def summarise(done: int, skipped: int, failures: list, *, verb: str, out: Path) -> int:
    """Print what a run did and return its exit code: 1 if any file failed."""
    summary = f"{done} {verb}"
    if skipped:
        summary += f", {skipped} skipped (output exists; use --overwrite to redo)"
    if failures:
        summary += f", {len(failures)} failed"
    print(summary + f". Results in {out}", file=sys.stderr)
    return 1 if failures else 0


def run_batch(args: argparse.Namespace, *, tool: str, verb: str, models: Sequence[tuple[ModelSpec, Path | None]],
              load: Callable[[], Callable[["LoadedImage", Path], "Image.Image"]], samples: int = 1) -> int:
    """The loop every tool runs over its inputs; returns the exit code.

    Args:
        args: the parsed shared options (inputs, --out, --format, --quality,
            --overwrite, --max-megapixels, --max-mb, --max-aspect-ratio).
        tool: the tool's name, for the progress bar.
        verb: what was done to a file ("colourised"), for the summary.
        models: (model, weights file or None) for every network the run needs;
            the first one names the outputs (:func:`output_tag`).
        load: loads the networks (the seconds torch takes, only when there is
            work) and returns the function rendering one loaded image (given
            with its file, for notes).
        samples: with more than one, the render function returns that many
            pictures, written as ``photo.model.s0.png`` ... (:func:`sample_paths`).

    A missing model is reported first, whether or not outputs exist; a file
    that fails is reported and the batch goes on (exit 1 at the end).
    """
    for spec, weights in models:
        if weights is None and not spec.installed:
            error(str(ModelNotInstalled(spec)))  # before the seconds it takes to import torch
            return 1
    pending = pending_jobs(args, output_tag(*models[0]), samples)
    if pending is None:
        return 1
    todo, skipped, failures = pending
    done = 0
    if todo:
        from tqdm import tqdm

        from ..images import encode_image, load_image

        try:
            render = load()
        except InferenceError as exc:
            error(str(exc))
            return 1
        limits = input_limits(args)
        with tqdm(todo, unit="image", desc=tool, file=sys.stderr, dynamic_ncols=True) as bar:
            for job in bar:
                bar.set_postfix_str(job.source.name, refresh=False)
                try:
                    loaded = load_image(job.source, **limits)
                    result = render(loaded, job.source)
                    pictures = result if samples > 1 else [result]
                    for target, picture in zip(sample_paths(job.target, samples), pictures, strict=True):
                        write_atomically(target, encode_image(picture, args.format.upper(), quality=args.quality))
                    done += 1
                except (InferenceError, OSError) as exc:
                    message = str(exc) if isinstance(exc, InferenceError) else (exc.strerror or str(exc))
                    failures.append((job.source, message))
                    bar.write(f"error: {job.source}: {message}", file=sys.stderr)
                except Exception as exc:  # one odd file must not end a long batch
                    failures.append((job.source, repr(exc)))
                    bar.write(f"error: {job.source}: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
    return summarise(done, skipped, failures, verb=verb, out=args.out)
