"""WebSockets of the live tools: requests in, renders out, the newest request wins.

The messages and the newest-wins rules are defined in frames.py; this module
enforces them (LatestWinsConsumer) for Sketch frames and Stylize previews.
"""
import asyncio
import base64
import json
import time

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from inference.errors import InferenceError

from .frames import FrameError, pack, unpack
from .tools import TOOLS, sketch_options

MAX_TEXT_FRAME = 8192


class LatestWinsConsumer(AsyncWebsocketConsumer):
    """Newest-wins request handling; subclasses say how to start one request's work."""

    last_seq = -1
    in_flight: int | None = None
    pending: tuple[int, object] | None = None
    dropped = 0

    async def connect(self) -> None:
        self.max_fps = settings.LIVE_MAX_FPS
        self.frame_timeout = settings.LIVE_FRAME_TIMEOUT_S
        self.tokens = self.max_fps / 2
        self.refilled = time.monotonic()
        self.watchdog: asyncio.Task | None = None
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.watchdog:
            self.watchdog.cancel()

    async def start_work(self, seq: int, work) -> None:
        """Send one request to the live worker; it answers with `done(seq, ...)` or `failed(seq, ...)`."""
        raise NotImplementedError

    async def submit(self, seq, work) -> None:
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            await self.error("A request needs a non-negative integer seq.")
            return
        if seq <= self.last_seq:
            self.dropped += 1  # stale: a newer request was already received
            return
        if not self._take_token():
            await self.error(f"Too many requests: at most {self.max_fps:g} per second.", seq=seq)
            return
        self.last_seq = seq
        if self.in_flight is None:
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

    async def _dispatch(self, seq: int, work) -> None:
        self.in_flight = seq
        await self.start_work(seq, work)
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
        if self.pending is not None:
            seq, work = self.pending
            self.pending = None
            await self._dispatch(seq, work)

    async def answered(self, seq: int) -> bool:
        """Whether `seq` is the request in flight (else its answer came too late and is ignored)."""
        return seq == self.in_flight

    async def live_error(self, event: dict) -> None:
        if await self.answered(event["seq"]):
            await self.error(event["message"], seq=event["seq"])
            await self._settle()

    async def error(self, message: str, seq: int | None = None, retry: bool = False) -> None:
        payload = {"type": "error", "message": message}
        if seq is not None:
            payload["seq"] = seq
        if retry:
            payload["retry"] = True
        await self.send(text_data=json.dumps(payload))

    async def read_json(self, text: str | None) -> dict | None:
        """The message as a dict, or None after telling the client what was wrong."""
        if text is None or len(text) > MAX_TEXT_FRAME:
            await self.error("Expected a small JSON text message.")
            return None
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            await self.error("Malformed JSON.")
            return None
        if not isinstance(message, dict):
            await self.error("Unknown message type.")
            return None
        if message.get("type") == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))
            return None
        return message


class SketchConsumer(LatestWinsConsumer):
    """/ws/sketch/: a config, then drawings; each answered with its picture (frames.py)."""

    config: dict | None = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None:
            await self._frame(bytes_data)
            return
        message = await self.read_json(text_data)
        if message is None:
            return
        if message.get("type") == "config":
            await self._configure(message)
        else:
            await self.error("Unknown message type.")

    async def _configure(self, message: dict) -> None:
        try:
            spec = TOOLS["sketch"].check_model(str(message.get("model", "")))
            options = sketch_options(message)
        except InferenceError as exc:
            await self.error(str(exc))
            return
        self.config = {"model": spec.name, "options": options}
        await self.send(text_data=json.dumps({
            "type": "config", "model": spec.name, "input_size": spec.input_size,
            "kind": spec.options.get("kind", "sketch"), "palette": spec.options.get("palette", []),
            "options": options,
        }))

    async def _frame(self, data: bytes) -> None:
        if self.config is None:
            await self.error("Choose a model first: send a config message.")
            return
        try:
            header, payload = unpack(data)
        except FrameError as exc:
            await self.error(str(exc))
            return
        await self.submit(header.get("seq"), (self.config, payload))

    async def start_work(self, seq: int, work) -> None:
        from .tasks import render_frame

        config, payload = work
        await sync_to_async(render_frame.apply_async, thread_sensitive=False)(
            args=[config["model"], config["options"], base64.b64encode(payload).decode(), self.channel_name, seq],
            queue="live", expires=self.frame_timeout,
        )

    async def sketch_result(self, event: dict) -> None:
        if not await self.answered(event["seq"]):
            return
        header = {"seq": event["seq"], "server_ms": event["server_ms"], "forward_ms": event["forward_ms"],
                  "batch": event["batch"], "dropped": self.dropped, "model": self.config["model"]}
        await self.send(bytes_data=pack(header, event["image"]))
        await self._settle()


class StylizeConsumer(LatestWinsConsumer):
    """/ws/stylize/: the photo once, then a blend per slider move, each answered with a preview (frames.py)."""

    photo: bytes | None = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None:
            try:
                header, payload = unpack(bytes_data)
            except FrameError as exc:
                await self.error(str(exc))
                return
            if header.get("type") != "photo":
                await self.error("Binary frames carry the photo: header {\"type\": \"photo\"}.")
                return
            self.photo = payload
            await self.send(text_data=json.dumps({"type": "photo", "bytes": len(payload)}))
            return
        message = await self.read_json(text_data)
        if message is None:
            return
        if message.get("type") != "preview":
            await self.error("Unknown message type.")
            return
        if self.photo is None:
            await self.error("Send the photo first.")
            return
        try:
            blend = await self._blend(message.get("blend"))
        except InferenceError as exc:
            await self.error(str(exc), seq=message.get("seq") if isinstance(message.get("seq"), int) else None)
            return
        await self.submit(message.get("seq"), (blend.as_dict(), self.photo))

    async def _blend(self, data):
        from channels.db import database_sync_to_async

        from .tools import stylize_blend
        from .visitors import SESSION_KEY

        session = self.scope.get("session")
        visitor = await database_sync_to_async(session.get)(SESSION_KEY) if session is not None else None
        return await database_sync_to_async(stylize_blend)(data, user=self.scope.get("user"), visitor=visitor)

    async def start_work(self, seq: int, work) -> None:
        from .tasks import preview_style

        blend, photo = work
        await sync_to_async(preview_style.apply_async, thread_sensitive=False)(
            args=[blend, base64.b64encode(photo).decode(), self.channel_name, seq],
            queue="live", expires=self.frame_timeout,
        )

    async def style_result(self, event: dict) -> None:
        if not await self.answered(event["seq"]):
            return
        header = {"seq": event["seq"], "server_ms": event["server_ms"], "dropped": self.dropped}
        await self.send(bytes_data=pack(header, event["image"]))
        await self._settle()
