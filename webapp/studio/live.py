"""The live paths: a Sketch frame or a Stylize preview in, one channel-layer message out (frames.py)."""
import base64
import logging
import time
from typing import Callable

from django.conf import settings

from inference.errors import InferenceError
from inference.images import encode_image, load_image

from .frames import MAX_FRAME_BYTES, PREVIEW_REPLY_IMAGE, SKETCH_REPLY_IMAGE
from .tools import TOOLS, stylize_image

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
