"""WebSockets of the live tools: requests in, renders out, the newest request wins.

The messages and the newest-wins rules are defined in frames.py; this module
enforces them (LatestWinsConsumer) for Sketch frames, Stylize previews and
Colorize hint previews.

Backpressure: a request goes to the worker only once the previous answer has
left the server (the socket's outbox, webapp/socket_guards.py, is writable), so
a client that stops reading holds at most one answer in the server's memory.
"""
import asyncio
import base64
import json
import logging
import time

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from django.conf import settings

from inference.errors import InferenceError

from .frames import FrameError, check_seq, pack, unpack
from .sockets import ProtocolConsumer
from .tools import TOOLS, colorize_preview_settings, sketch_options

log = logging.getLogger(__name__)


class LatestWinsConsumer(ProtocolConsumer):
    """Newest-wins request handling; subclasses say how to start one request's work.

    Answers come on the "live" channel layer, Redis pub/sub (settings.CHANNEL_LAYERS): a
    worker's answer is one PUBLISH that Daphne's one subscriber connection reads, where the
    default layer's queue costs a Lua clean-up, BZPOPMIN, a backup ZADD and ZREM on
    Daphne's side and a pipeline on the worker's. Pub/sub delivers at most once and only
    while the socket is subscribed, which is what an answer needs: a lost one is a request
    the watchdog times out, and the client sends its newest drawing again.
    """

    channel_layer_alias = "live"

    last_seq = -1
    in_flight: int | None = None
    pending: tuple[int, object] | None = None
    dispatched_at = 0.0
    dropped = 0

    async def connect(self) -> None:
        self.max_fps = settings.LIVE_MAX_FPS
        self.frame_timeout = settings.LIVE_FRAME_TIMEOUT_S
        self.tokens = self.max_fps / 2
        self.refilled = time.monotonic()
        self.watchdog: asyncio.Task | None = None
        self.outbox = self.scope.get("outbox")
        if self.outbox is not None:
            self.outbox.when_writable(lambda: asyncio.ensure_future(self._drained()))
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.watchdog:
            self.watchdog.cancel()

    async def dispatch(self, message: dict) -> None:
        """Requests and answers go straight to their handler.

        Channels runs close_old_connections before every message, on its one thread for
        synchronous code and back: twice a frame here, about a tenth of Daphne's CPU per
        frame (README, Benchmarks). No handler here touches the database outside
        database_sync_to_async, which closes stale connections itself; the socket's
        connect and disconnect keep Channels' way.
        """
        if message["type"] in ("websocket.connect", "websocket.disconnect"):
            await super().dispatch(message)
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def start_work(self, seq: int, work) -> None:
        """Send one request to the live worker; it answers with `done(seq, ...)` or `failed(seq, ...)`."""
        raise NotImplementedError

    @property
    def writable(self) -> bool:
        """Whether the last answer has left the server (always, outside Daphne: nothing to watch)."""
        return self.outbox is None or self.outbox.writable

    async def submit(self, seq, work) -> None:
        seq = check_seq(seq)
        if seq <= self.last_seq:
            self.dropped += 1  # stale: a newer request was already received
            return
        if not self._take_token():
            await self.error(f"Too many requests: at most {self.max_fps:g} per second.", seq=seq)
            return
        self.last_seq = seq
        if self.in_flight is None and self.writable:
            await self._dispatch(seq, work)
        else:
            if self.pending is not None:
                self.dropped += 1
            self.pending = (seq, work)

    def _take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.max_fps / 2, self.tokens + (now - self.refilled) * self.max_fps)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def queue_task(self, task, args: list, seq: int, **options) -> None:
        """Queue ``task`` on the live queue; its publish blocks on Redis, so it runs off the event loop."""
        await sync_to_async(task.apply_async, thread_sensitive=False)(
            args=args, queue="live", expires=self.frame_timeout,
            # Celery otherwise writes repr(args) into every message for its logs: an image's bytes.
            argsrepr=f"(seq={seq})", kwargsrepr="{}", **options)

    async def _dispatch(self, seq: int, work) -> None:
        self.in_flight = seq
        try:
            await self.start_work(seq, work)
        except Exception:
            # Redis unreachable (Celery gives up publishing after about a second): nothing is in
            # flight, so the next request goes out at once instead of waiting behind this one forever.
            log.warning("live request %s could not be queued", seq, exc_info=True)
            self.in_flight = None
            await self.error("The live worker could not be reached; trying again.", seq=seq, retry=True)
            return
        if self.watchdog and self.watchdog is not asyncio.current_task():
            self.watchdog.cancel()
        self.watchdog = asyncio.ensure_future(self._expire(seq))

    async def _expire(self, seq: int) -> None:
        await asyncio.sleep(self.frame_timeout)
        if self.in_flight == seq:  # the worker never answered: do not stall this client forever
            await self.error("The request timed out; is a live worker running?", seq=seq, retry=True)
            await self._settle()

    async def _settle(self) -> None:
        self.in_flight = None
        if self.pending is not None and self.writable:
            seq, work = self.pending
            self.pending = None
            await self._dispatch(seq, work)

    async def _drained(self) -> None:
        if self.in_flight is None and self.pending is not None and self.writable:
            await self._settle()

    async def answered(self, seq: int) -> bool:
        """Whether `seq` is the request in flight (else its answer came too late and is ignored)."""
        return seq == self.in_flight

    async def live_error(self, event: dict) -> None:
        if await self.answered(event["seq"]):
            await self.error(event["message"], seq=event["seq"])
            await self._settle()


class SketchConsumer(LatestWinsConsumer):
    """/ws/sketch/: a config, then drawings; each answered with its picture (frames.py)."""

    config: dict | None = None

    async def on_message(self, message: dict) -> None:
        if message.get("type") != "config":
            raise FrameError("Unknown message type.")
        spec = TOOLS["sketch"].check_model(str(message.get("model", "")))
        options = sketch_options(message)
        self.config = {"model": spec.name, "options": options}
        await self.send(text_data=json.dumps({
            "type": "config", "model": spec.name, "input_size": spec.input_size,
            "kind": spec.options.get("kind", "sketch"), "palette": spec.options.get("palette", []),
            "options": options,
        }))

    async def on_frame(self, data: bytes) -> None:
        if self.config is None:
            raise FrameError("Choose a model first: send a config message.")
        header, payload = unpack(data)
        await self.submit(header.get("seq"), (self.config, payload))

    async def start_work(self, seq: int, work) -> None:
        from .tasks import render_frame

        config, payload = work
        self.dispatched_at = time.perf_counter()
        # msgpack: the drawing travels as bytes, not base64 inside JSON.
        await self.queue_task(render_frame, [config["model"], config["options"], payload, self.channel_name, seq,
                                             time.time()], seq, serializer="msgpack")

    async def sketch_result(self, event: dict) -> None:
        if not await self.answered(event["seq"]):
            return
        ms = dict(event.get("ms") or {})
        if "done_at" in event:
            ms["reply"] = round(max(0.0, time.time() - event["done_at"]) * 1000, 2)
        ms["server"] = round((time.perf_counter() - self.dispatched_at) * 1000, 2)
        header = {"seq": event["seq"], "server_ms": event["server_ms"], "forward_ms": event["forward_ms"],
                  "batch": event["batch"], "dropped": self.dropped, "model": self.config["model"], "ms": ms}
        await self.send(bytes_data=pack(header, event["image"]))
        await self._settle()


class PhotoPreviewConsumer(LatestWinsConsumer):
    """The photo once (kept until the next), then preview requests, each answered with a picture; subclasses
    read a request's settings (`read_preview`) and name the live task that renders them (`preview_task`)."""

    photo: bytes | None = None
    preview_task = ""  # a task in tasks.py taking (settings, photo as base64, reply channel, seq)

    async def on_frame(self, data: bytes) -> None:
        header, payload = unpack(data)
        if header.get("type") != "photo":
            raise FrameError("Binary frames carry the photo: header {\"type\": \"photo\"}.")
        self.photo = payload
        await self.send(text_data=json.dumps({"type": "photo", "bytes": len(payload)}))

    async def on_message(self, message: dict) -> None:
        if message.get("type") != "preview":
            raise FrameError("Unknown message type.")
        if self.photo is None:
            raise FrameError("Send the photo first.")
        seq = check_seq(message.get("seq"))
        try:
            preview = await self.read_preview(message)
        except InferenceError as exc:
            await self.error(str(exc), seq=seq)
            return
        await self.submit(seq, (preview, self.photo))

    async def read_preview(self, message: dict) -> dict:
        """The request's validated settings, as the task takes them; InferenceError with a sentence otherwise."""
        raise NotImplementedError

    async def start_work(self, seq: int, work) -> None:
        from . import tasks

        preview, photo = work
        await self.queue_task(getattr(tasks, self.preview_task),
                              [preview, base64.b64encode(photo).decode(), self.channel_name, seq], seq)

    async def send_preview(self, event: dict, **extra) -> None:
        if not await self.answered(event["seq"]):
            return
        header = {"seq": event["seq"], "server_ms": event["server_ms"], "dropped": self.dropped, **extra}
        await self.send(bytes_data=pack(header, event["image"]))
        await self._settle()


class StylizeConsumer(PhotoPreviewConsumer):
    """/ws/stylize/: the photo once, then a blend per slider move, each answered with a preview (frames.py)."""

    preview_task = "preview_style"

    async def read_preview(self, message: dict) -> dict:
        from channels.db import database_sync_to_async

        from .tools import stylize_blend
        from .visitors import SESSION_KEY

        session = self.scope.get("session")
        visitor = await database_sync_to_async(session.get)(SESSION_KEY) if session is not None else None
        blend = await database_sync_to_async(stylize_blend)(message.get("blend"), user=self.scope.get("user"),
                                                            visitor=visitor)
        return blend.as_dict()

    async def style_result(self, event: dict) -> None:
        await self.send_preview(event)


class ColorizeConsumer(PhotoPreviewConsumer):
    """/ws/colorize/: the photo once, then the hints at every change, each answered with a preview (frames.py)."""

    preview_task = "preview_colorize"

    async def read_preview(self, message: dict) -> dict:
        return colorize_preview_settings(message)

    async def colorize_result(self, event: dict) -> None:
        await self.send_preview(event, **({"suggestions": event["suggestions"]} if "suggestions" in event else {}))
