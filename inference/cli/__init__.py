"""Command-line entry point: ``python -m inference TOOL [options]``.

Each tool is a module in this package listed in :data:`TOOLS`, exposing
``add_parser(subparsers)`` (which sets ``run`` and ``tool_parser`` as parser defaults) and
``run(args) -> int``. Adding a tool (``sketch``, ``stylize`` ...) is one
module plus one line here. Tool modules import torch only inside ``run``,
so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

# tool name -> module implementing it
TOOLS: dict[str, str] = {
    "colorize": "inference.cli.colorize",
    "stylize": "inference.cli.stylize",
    "sketch": "inference.cli.sketch",
    "upscale": "inference.cli.upscale",
    "edit": "inference.cli.edit",
    "train": "inference.cli.train",
}


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with one subcommand per tool."""
    parser = argparse.ArgumentParser(
        prog="python -m inference",
        description="Run Atelier's neural image tools on files, with the same pipelines as the web studio.",
        epilog="Run 'python -m inference TOOL --help' for a tool's options.",
    )
    subparsers = parser.add_subparsers(dest="tool", metavar="TOOL", title="tools", required=True)
    for module_name in TOOLS.values():
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the tool and return its exit code.

    Exit codes: 0 success, 1 some work failed, 2 usage error (argparse's).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.run(args))
