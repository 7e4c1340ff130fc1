"""The live path of Sketch: one frame in, one rendered frame out, micro-batched per model."""
import base64
import logging
import time

from django.conf import settings

from inference.errors import InferenceError
from inference.images import encode_image, load_image

from .frames import MAX_FRAME_BYTES
from .tools import TOOLS

log = logging.getLogger(__name__)

# A live frame is at most 1024×1024; the canvas sends the model's input size.
LIVE_MAX_PIXELS = 1024 * 1024


def render_live_frame(model_name: str, options: dict, frame_b64: str, seq: int) -> dict:
    """The channel-layer message answering one frame: the rendered image, or an error."""
    from inference.live import live_sketch_model
    from inference.pipelines.sketch import SketchOptions

    started = time.perf_counter()
    try:
        spec = TOOLS["sketch"].check_model(model_name)
        loaded = load_image(base64.b64decode(frame_b64), max_bytes=MAX_FRAME_BYTES, max_pixels=LIVE_MAX_PIXELS)
        model = live_sketch_model(spec, max_batch=settings.LIVE_MAX_BATCH, max_wait=settings.LIVE_MAX_WAIT_MS / 1000)
        image, batch = model.render(loaded.image, SketchOptions(**options))
        payload = encode_image(image, "WEBP", quality=90)
    except InferenceError as exc:
        return {"type": "live.error", "seq": seq, "message": str(exc)}
    except Exception as exc:
        log.exception("live frame failed")
        return {"type": "live.error", "seq": seq, "message": f"The frame could not be rendered ({type(exc).__name__})."}
    return {
        "type": "sketch.result",
        "seq": seq,
        "image": payload,
        "server_ms": round((time.perf_counter() - started) * 1000, 2),
        "forward_ms": round(batch.run_s * 1000, 2),
        "batch": batch.batch_size,
    }


def render_style_preview(blend: dict, photo_b64: str, seq: int) -> dict:
    """The channel-layer message answering one preview request."""
    from inference.pipelines.style_blend import parse_blend, render_blend

    from .tools import open_style_image

    started = time.perf_counter()
    try:
        loaded = load_image(base64.b64decode(photo_b64), max_bytes=MAX_FRAME_BYTES, max_pixels=LIVE_MAX_PIXELS)
        parsed = parse_blend(blend, TOOLS["stylize"].check_model)
        image = render_blend(loaded.image, parsed, style_image=open_style_image, max_side=settings.STYLE_PREVIEW_SIDE,
                             tile=0)
        payload = encode_image(image, "WEBP", quality=88)
    except InferenceError as exc:
        return {"type": "live.error", "seq": seq, "message": str(exc)}
    except Exception as exc:
        log.exception("style preview failed")
        return {"type": "live.error", "seq": seq, "message": f"The preview could not be rendered ({type(exc).__name__})."}
    return {"type": "style.result", "seq": seq, "image": payload,
            "server_ms": round((time.perf_counter() - started) * 1000, 2)}
