"""``python -m inference train NAME ...``: the training loops, one subcommand each.

``python manage.py train NAME ...`` forwards here, so both spellings take the
same options, write the same files and exit with the same codes
(:data:`EXIT_CODES`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from ..errors import InferenceError
from ..training import BadOption

# trainer name -> module with add_arguments(parser) and run(args) -> int
TRAINERS: dict[str, str] = {
    "pix2pix": "inference.training.pix2pix",
    "stylize": "inference.training.stylize",
    "adain": "inference.training.adain",
    "prsr": "inference.training.prsr",
    "npe": "inference.training.npe",
}

# exit code -> what it means; printed by --help
EXIT_CODES: dict[int, str] = {
    0: "trained (and installed, unless --no-install)",
    1: "the run failed: unusable data, a run folder that cannot be resumed, a model it needs is not installed",
    2: "an option value that cannot work (argparse's usage errors too)",
    130: "interrupted (Ctrl-C): the run folder holds whole files only; --resume continues from the last checkpoint",
}

RUN_FOLDER = """run folder (--out, default <data dir>/runs/NAME), the same for every trainer:
  losses.csv          step,epoch,<losses>,<metrics>,lr,seconds (step 0: evaluation before training)
  curves.png          the curves of losses.csv
  samples/step-N.png  sample grids
  checkpoint.pt       everything --resume needs
  NAME.safetensors    the trained model, as installed"""


def exit_code(error: BaseException) -> int:
    """The exit code :data:`EXIT_CODES` gives ``error``."""
    if isinstance(error, KeyboardInterrupt):
        return 130
    if isinstance(error, BadOption):
        return 2
    return 1


def call(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a trainer; print an exception's message on stderr and return its exit code."""
    try:
        return int(run(args))
    except (InferenceError, KeyboardInterrupt) as error:
        message = str(error) if isinstance(error, InferenceError) else "interrupted; --resume continues from the last checkpoint"
        print(f"error: {message}", file=sys.stderr)
        return exit_code(error)


def _available() -> dict[str, object]:
    modules = {}
    for name, module_name in TRAINERS.items():
        try:
            modules[name] = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
    return modules


def _epilog() -> str:
    codes = "\n".join(f"  {code:<4}{meaning}" for code, meaning in EXIT_CODES.items())
    return f"{RUN_FOLDER}\n\nexit codes:\n{codes}"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a network and install it into the registry",
                                   description="Train a network on a folder of images and install the result.",
                                   epilog=_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    trainers = parser.add_subparsers(dest="trainer", metavar="NAME", title="trainers", required=True)
    for name, module in _available().items():
        sub = trainers.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0],
                                  description=(module.__doc__ or "").strip(), epilog=_epilog(),
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=lambda args, run=module.run: call(run, args))
