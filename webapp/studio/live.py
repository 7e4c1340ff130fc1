"""The live paths: a Sketch frame, a Stylize or a Colorize preview in, one channel-layer message out (frames.py)."""
import base64
import logging
import time
from typing import Callable

from django.conf import settings
from PIL import Image

from inference.errors import InferenceError
from inference.images import encode_image, load_image
from inference.pipelines.hints import parse_hints
from inference.registry import get_spec

from .frames import MAX_FRAME_BYTES, PREVIEW_REPLY_IMAGE, SKETCH_REPLY_IMAGE
from .tools import TOOLS, colorize_preview_settings, stylize_image

log = logging.getLogger(__name__)

# A live frame or preview photo is at most 1024×1024; the pages send much less.
LIVE_MAX_PIXELS = 1024 * 1024


def _answer(seq: int, kind: str, render: Callable[[], dict]) -> dict:
    """Run one live request; failures become an error message for that request, never a silence."""
    started = time.perf_counter()
    try:
        message = render()
    except InferenceError as exc:
        return {"type": "live.error", "seq": seq, "message": str(exc)}
    except Exception:
        log.exception("live %s failed", kind)
        return {"type": "live.error", "seq": seq, "message": f"The {kind} could not be rendered; the error was logged."}
    return {**message, "seq": seq, "server_ms": round((time.perf_counter() - started) * 1000, 2)}


def _decode(image_b64: str):
    return load_image(base64.b64decode(image_b64), max_bytes=MAX_FRAME_BYTES, max_pixels=LIVE_MAX_PIXELS,
                      detect_colour=False).image


def render_live_frame(model_name: str, options: dict, frame_b64: str, seq: int) -> dict:
    """The "sketch.result" answering one Sketch frame: the picture (JPEG, frames.py) and its batch figures."""
    from inference.live import live_sketch_model
    from inference.pipelines.sketch import SketchOptions

    def render() -> dict:
        spec = TOOLS["sketch"].check_model(model_name)
        model = live_sketch_model(spec, max_batch=settings.LIVE_MAX_BATCH, max_wait=settings.LIVE_MAX_WAIT_MS / 1000,
                                  torch_threads=settings.LIVE_TORCH_THREADS)
        image, batch = model.render(_decode(frame_b64), SketchOptions(**options))
        # JPEG: a fifth of WebP's encoding time at this size, which matters at 15 frames/s.
        return {"type": "sketch.result", "image": encode_image(image, SKETCH_REPLY_IMAGE.upper(), quality=90),
                "forward_ms": round(batch.run_s * 1000, 2), "batch": batch.batch_size}

    return _answer(seq, "frame", render)


def render_style_preview(blend: dict, photo_b64: str, seq: int) -> dict:
    """The "style.result" answering one Stylize preview request: the preview (WebP, frames.py)."""

    def render() -> dict:
        image = stylize_image(_decode(photo_b64), blend, max_side=settings.STYLE_PREVIEW_SIDE, tile=0)
        return {"type": "style.result", "image": encode_image(image, PREVIEW_REPLY_IMAGE.upper(), quality=88)}

    return _answer(seq, "preview", render)


def render_colorize_preview(preview: dict, photo_b64: str, seq: int) -> dict:
    """The "colorize.result" answering one Colorize preview: the photo colourised with the hints by the same
    pipeline as a job (WebP, frames.py), and with "suggest" the colours the model finds likely at that hint."""
    from inference.engine import load_nets
    from inference.pipelines.colorize import ColorizeOptions, render, suggest_colours

    def render_preview() -> dict:
        checked = colorize_preview_settings(preview)  # checked again: the model may have gone since the socket did
        nets = load_nets(get_spec(checked["model"]))
        photo = _decode(photo_b64)
        photo.thumbnail((settings.COLORIZE_PREVIEW_SIDE, settings.COLORIZE_PREVIEW_SIDE), Image.Resampling.BICUBIC)
        hints = tuple(parse_hints(checked["hints"]))
        image = render(photo, nets, ColorizeOptions(hints=hints, gamut=checked["gamut"]))
        message = {"type": "colorize.result", "image": encode_image(image, PREVIEW_REPLY_IMAGE.upper(), quality=88)}
        if (chosen := checked["suggest"]) is not None:
            # The chosen hint is left out: given its own colour, the net would mostly suggest it back.
            others = hints[:chosen] + hints[chosen + 1:]
            message["suggestions"] = [s.as_dict() for s in suggest_colours(
                photo, nets, hints[chosen].x, hints[chosen].y, hints=others)]
        return message

    return _answer(seq, "preview", render_preview)
