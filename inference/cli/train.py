"""``python -m inference train NAME ...``: the training loops, one subcommand each.

``python manage.py train NAME ...`` forwards here, so both spellings take the
same options and write the same files.
"""

from __future__ import annotations

import argparse
import importlib

# trainer name -> module with add_arguments(parser) and run(args) -> int
TRAINERS: dict[str, str] = {
    "pix2pix": "inference.training.pix2pix",
    "stylize": "inference.training.stylize",
    "adain": "inference.training.adain",
}


def _available() -> dict[str, object]:
    modules = {}
    for name, module_name in TRAINERS.items():
        try:
            modules[name] = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
    return modules


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a network and install it into the registry",
                                   description="Train a network on a folder of images and install the result.")
    trainers = parser.add_subparsers(dest="trainer", metavar="NAME", title="trainers", required=True)
    for name, module in _available().items():
        sub = trainers.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0],
                                  description=(module.__doc__ or "").strip(),
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
