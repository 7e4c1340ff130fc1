"""The Stylize page's style cards: each style of an installed style model applied to one reference picture.

The reference picture is one of our own procedural landscapes (fixed seed),
so every card shows the same scene in a different style. Previews are
rendered once per weights file and kept on disk under
``data_dir()/style-previews/<sha256 of the weights>-<REFERENCE>/<key>.webp``:
a new file (a fetch, an import, a retrain) gets new previews and the old
folder is simply unused. They are rendered at install time by ``manage.py
models fetch|import`` and ``manage.py studio``, and otherwise by a worker the
first time the Stylize page finds them missing.

Everything here but :func:`render_previews` is torch-free, for the web process.
"""

from __future__ import annotations

import io
from pathlib import Path

from .errors import InferenceError
from .files import cached_sha256, write_atomically
from .modelspec import ModelSpec
from .paths import data_dir

PREVIEW_SIDE = 192
# The reference scene; part of the cache folder's name, so a change renders every preview again.
REFERENCE_SEED = 11
REFERENCE = f"landscape{REFERENCE_SEED}-{PREVIEW_SIDE}"


def style_keys(spec: ModelSpec) -> list[str]:
    """The styles a model's cards show: "" for a one-style model, "0".."n-1" for a multi-style net;
    none for AdaIN (its styles are the person's own pictures) and for anything not a style model."""
    if spec.task != "stylize":
        return []
    if spec.arch == "single":
        return [""]
    if spec.arch == "multistyle":
        return [str(i) for i in range(len(spec.options.get("styles", ())))]
    return []


def _folder(spec: ModelSpec) -> Path | None:
    if not spec.installed:
        return None
    return data_dir() / "style-previews" / f"{cached_sha256(spec.path)}-{REFERENCE}"


def preview_path(spec: ModelSpec, key: str) -> Path | None:
    """Where the preview of style ``key`` of the installed file is (or will be); None if not installed
    or ``key`` is not one of its styles."""
    folder = _folder(spec)
    if folder is None or key not in style_keys(spec):
        return None
    return folder / f"{key or 'style'}.webp"


def missing_previews(spec: ModelSpec) -> list[str]:
    """The keys of an installed style model whose preview is not rendered yet."""
    return [key for key in style_keys(spec) if (path := preview_path(spec, key)) and not path.is_file()]


def reference_picture():
    """The fixed picture every style is shown on (same pixels on every machine)."""
    from .data.landscapes import render_scene

    return render_scene(REFERENCE_SEED, size=PREVIEW_SIDE).picture


def render_previews(spec: ModelSpec, *, device: str | None = None) -> list[Path]:
    """Render the missing previews of an installed style model (torch; a worker or a command line).

    Returns:
        The preview files written (none when all exist or the model has no style cards).

    Raises:
        ModelNotInstalled, CheckpointError, InferenceError: the model cannot be loaded or run.
    """
    missing = missing_previews(spec)
    if not missing:
        return []
    from .engine import load_nets
    from .pipelines.style_options import StyleOptions
    from .pipelines.stylize import render

    nets = load_nets(spec, device=device)
    picture = reference_picture()
    written = []
    for key in missing:
        weights = ()
        if spec.arch == "multistyle":
            weights = tuple(1.0 if str(i) == key else 0.0 for i in range(nets.net.n_styles))
        styled = render(picture, nets, StyleOptions(max_side=PREVIEW_SIDE, tile=0, style_weights=weights))
        buffer = io.BytesIO()
        styled.save(buffer, "WEBP", quality=85)
        path = preview_path(spec, key)
        written.append(write_atomically(path, buffer.getvalue()))
    return written


def render_previews_or_warn(spec: ModelSpec, device: str = "cpu") -> str | None:
    """:func:`render_previews` for an install step (on the CPU: a command line must not take a GPU the
    workers need): a sentence when it failed (the install still counts)."""
    if not style_keys(spec):
        return None
    try:
        render_previews(spec, device=device)
    except (InferenceError, OSError) as exc:
        return f"Could not render the style previews of {spec.name}: {exc}"
    return None
