"""What the command-line tools share: which files to render, where results go, how errors read.

Every tool (colorize, sketch, stylize) maps INPUT files and folders onto output
paths under --out the same way, writes results atomically and reports
per-file errors without stopping the batch.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ..files import write_atomically

__all__ = ["IMAGE_EXTENSIONS", "OUTPUT_EXTENSIONS", "MAX_INPUT_BYTES", "Job", "collect_jobs", "error",
           "write_atomically"]

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}
OUTPUT_EXTENSIONS = {"png": ".png", "jpeg": ".jpg"}
MAX_INPUT_BYTES = 1 << 30  # 1 GiB: the command line trusts its user more than the site does


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


def collect_jobs(inputs: list[Path], out: Path, extension: str) -> tuple[list[Job], list[tuple[Path, str]]]:
    """Map inputs to output paths; returns (jobs, [(source, error)]) for clashes."""
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
