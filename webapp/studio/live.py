"""The live paths: a Sketch frame, a Stylize or a Colorize preview in, one channel-layer message out (frames.py)."""
import asyncio
import base64
import logging
import os
import threading
import time
from typing import Callable

from django.conf import settings
from PIL import Image

from inference.errors import InferenceError
from inference.images import encode_image, load_image
from inference.live import live_sketch_model, on_torch_thread as run_on_torch_thread
from inference.pipelines.hints import parse_hints
from inference.registry import get_spec

from .frames import MAX_FRAME_BYTES, PREVIEW_REPLY_IMAGE, SKETCH_REPLY_IMAGE
from .tools import TOOLS, colorize_preview_settings, stylize_image

log = logging.getLogger(__name__)

# A live frame or preview photo is at most 1024×1024; the pages send much less.
LIVE_MAX_PIXELS = 1024 * 1024


def _answer(seq: int, kind: str, render: Callable[[], dict], *, on_torch_thread: bool = True) -> dict:
    """Run one live request; failures become an error message for that request, never a silence.

    ``render`` runs on the worker's one torch thread (inference/live.py: on_torch_thread), so previews
    and Sketch batches take turns on the cores instead of each worker thread starting its own OpenMP
    team, which slows every forward pass of the process. A Sketch frame passes False: only its
    forward pass goes there, through the model's micro-batcher.
    """
    started = time.perf_counter()
    try:
        message = run_on_torch_thread(render) if on_torch_thread else render()
    except InferenceError as exc:
        return {"type": "live.error", "seq": seq, "message": str(exc)}
    except Exception:
        log.exception("live %s failed", kind)
        return {"type": "live.error", "seq": seq, "message": f"The {kind} could not be rendered; the error was logged."}
    return {**message, "seq": seq, "server_ms": round((time.perf_counter() - started) * 1000, 2)}


def _decode(image: str | bytes):
    """A request's image: bytes (msgpack task messages) or base64 text (JSON ones)."""
    data = image if isinstance(image, (bytes, bytearray)) else base64.b64decode(image)
    return load_image(data, max_bytes=MAX_FRAME_BYTES, max_pixels=LIVE_MAX_PIXELS, detect_colour=False).image


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def live_sketch_model_for(spec):
    """The live worker's resident model for ``spec`` (inference/live.py), with the LIVE_* settings."""
    return live_sketch_model(spec, max_batch=settings.LIVE_MAX_BATCH, max_wait=settings.LIVE_MAX_WAIT_MS / 1000,
                             gpu_dtype=settings.LIVE_GPU_DTYPE)


def warm_live_models() -> None:
    """Load and warm up the Sketch models LIVE_WARM_MODELS names ("default": the installed default
    and bundled ones); a model that cannot be loaded is logged and skipped."""
    from inference import registry

    names = list(settings.LIVE_WARM_MODELS)
    if "default" in names:
        names.remove("default")
        names += [spec.name for spec in registry.specs_for_task("sketch")
                  if (spec.default or spec.bundled) and spec.installed]
    for name in dict.fromkeys(names):
        try:
            model = live_sketch_model_for(TOOLS["sketch"].check_model(name))
        except Exception:
            log.warning("live model %s could not be warmed up", name, exc_info=True)
        else:
            log.info("live model %s ready (warm-up %.2f s)", name, model.warm_s)


def render_live_frame(model_name: str, options: dict, frame: str | bytes, seq: int, sent_at: float | None = None) -> dict:
    """The "sketch.result" answering one Sketch frame: the picture (JPEG, frames.py), its batch figures
    and where the time went ("ms", frames.py). ``sent_at``: time.time() when the consumer sent the task."""
    from inference.pipelines.sketch import SketchOptions

    def render() -> dict:
        started = time.perf_counter()
        queued = max(0.0, time.time() - sent_at) if sent_at else 0.0
        spec = TOOLS["sketch"].check_model(model_name)
        model = live_sketch_model_for(spec)
        drawing = _decode(frame)
        decoded = time.perf_counter()
        image, batch = model.render(drawing, SketchOptions(**options))
        rendered = time.perf_counter()
        # JPEG: a fifth of WebP's encoding time at this size, which matters at 15 frames/s.
        encoded = encode_image(image, SKETCH_REPLY_IMAGE.upper(), quality=90, optimize_jpeg=False)
        done = time.perf_counter()
        ms = {"queue": _ms(queued), "decode": _ms(decoded - started),
              "convert": _ms(rendered - decoded - batch.wait_s - batch.run_s), "wait": _ms(batch.wait_s),
              "forward": _ms(batch.run_s), "encode": _ms(done - rendered)}
        log.debug("frame %s of %s: batch %d, %s", seq, spec.name, batch.batch_size, ms)
        return {"type": "sketch.result", "image": encoded, "forward_ms": ms["forward"], "batch": batch.batch_size,
                "ms": ms, "done_at": time.time()}

    return _answer(seq, "frame", render, on_torch_thread=False)


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


class _ReplyLoop:
    """One event loop per worker process, on its own thread, for every live reply.

    async_to_sync starts a thread and an event loop per call, and the channel layer
    a Redis connection per loop: about 6 ms a reply where this takes under 1 ms
    (measured on the 2-core machine). Made again after a fork (the pid changes).
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pid = None

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self.lock:
            if self.loop is None or self.pid != os.getpid():
                self.loop, self.pid = asyncio.new_event_loop(), os.getpid()
                threading.Thread(target=self.loop.run_forever, name="live-replies", daemon=True).start()
            return self.loop

    def send(self, channel: str, message: dict, timeout: float = 10.0) -> None:
        from channels.layers import get_channel_layer

        # The live sockets' own layer (live_consumers.py: LatestWinsConsumer).
        layer = get_channel_layer("live")
        future = asyncio.run_coroutine_threadsafe(layer.send(channel, message), self._running_loop())
        future.result(timeout)


_REPLIES = _ReplyLoop()


def send_reply(channel: str, message: dict) -> None:
    """Send one live answer to the consumer's channel (thread-safe; blocks until Redis has it)."""
    _REPLIES.send(channel, message)
