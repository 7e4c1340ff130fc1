"""The studio WebSocket: pushes job events to their owner's open pages.

Protocol (JSON text frames):
  server -> client  {"type": "job", "job": {...Job.as_event()...}}
  client -> server  {"type": "ping"}                 -> {"type": "pong"}
  anything else                                      -> {"type": "error", "message": "..."}
Only the owner's group is joined, so a socket never sees another person's jobs.
"""
import asyncio
import base64
import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from .models import owner_group
from .visitors import SESSION_KEY

MAX_TEXT_FRAME = 4096


class StudioConsumer(AsyncWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            self.group = owner_group(user.pk, "")
        else:
            session = self.scope.get("session")
            visitor = await database_sync_to_async(session.get)(SESSION_KEY) if session is not None else None
            if not visitor:
                await self.close(code=4401)
                return
            self.group = owner_group(None, visitor)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None or text_data is None or len(text_data) > MAX_TEXT_FRAME:
            await self._error("Expected a small JSON text message.")
            return
        try:
            message = json.loads(text_data)
        except json.JSONDecodeError:
            await self._error("Malformed JSON.")
            return
        if not isinstance(message, dict) or message.get("type") != "ping":
            await self._error("Unknown message type.")
            return
        await self.send(text_data=json.dumps({"type": "pong"}))

    async def job_update(self, event: dict) -> None:
        await self.send(text_data=json.dumps({"type": "job", "job": event["job"]}))

    async def _error(self, message: str) -> None:
        await self.send(text_data=json.dumps({"type": "error", "message": message}))


class SketchConsumer(AsyncWebsocketConsumer):
    """The live Sketch stream: frames in, rendered frames out, newest wins.

    Protocol (see frames.py for the binary layout):
      client -> server  text {"type": "config", "model": NAME, "dropout": false, "norm": "official", "seed": null}
                        binary frame {"seq": n} + PNG/WebP at the model's input size
                        text {"type": "ping"}
      server -> client  text {"type": "config", "model": ..., "input_size": ..., "kind": ..., "palette": [...]}
                        binary frame {"seq", "server_ms", "forward_ms", "batch", "dropped"} + WebP
                        text {"type": "error", "message": ..., "seq"?: n}
    At most one frame per client is at the worker; a newer frame replaces the
    pending one (counted in "dropped") and a frame older than one already
    received is dropped, never queued.
    """

    config: dict | None = None
    last_seq = -1
    in_flight: int | None = None
    pending: tuple[int, bytes] | None = None
    dropped = 0

    async def connect(self) -> None:
        from django.conf import settings

        self.max_fps = settings.LIVE_MAX_FPS
        self.frame_timeout = settings.LIVE_FRAME_TIMEOUT_S
        self.tokens = self.max_fps / 2
        self.refilled = time.monotonic()
        self.watchdog: asyncio.Task | None = None
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.watchdog:
            self.watchdog.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None:
            await self._frame(bytes_data)
        elif text_data is not None and len(text_data) <= MAX_TEXT_FRAME:
            await self._control(text_data)
        else:
            await self._error("Expected a small JSON text message or a binary frame.")

    async def _control(self, text: str) -> None:
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            await self._error("Malformed JSON.")
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))
        elif kind == "config":
            await self._configure(message)
        else:
            await self._error("Unknown message type.")

    async def _configure(self, message: dict) -> None:
        from inference.errors import InferenceError

        from .tools import TOOLS, sketch_options

        try:
            spec = TOOLS["sketch"].check_model(str(message.get("model", "")))
            options = sketch_options(message)
        except InferenceError as exc:
            await self._error(str(exc))
            return
        self.config = {"model": spec.name, "options": options}
        await self.send(text_data=json.dumps({
            "type": "config", "model": spec.name, "input_size": spec.input_size,
            "kind": spec.options.get("kind", "sketch"), "palette": spec.options.get("palette", []),
            "options": options,
        }))

    async def _frame(self, data: bytes) -> None:
        from .frames import FrameError, unpack

        if self.config is None:
            await self._error("Choose a model first: send a config message.")
            return
        try:
            header, payload = unpack(data)
        except FrameError as exc:
            await self._error(str(exc))
            return
        seq = header.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            await self._error("Frame header needs a non-negative integer seq.")
            return
        if seq <= self.last_seq:
            self.dropped += 1  # stale: a newer frame was already received
            return
        if not self._take_token():
            await self._error(f"Too many frames: at most {self.max_fps:g} per second.", seq=seq)
            return
        self.last_seq = seq
        if self.in_flight is None:
            await self._dispatch(seq, payload)
        else:
            if self.pending is not None:
                self.dropped += 1
            self.pending = (seq, payload)

    def _take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.max_fps / 2, self.tokens + (now - self.refilled) * self.max_fps)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def _dispatch(self, seq: int, payload: bytes) -> None:
        from asgiref.sync import sync_to_async

        from .tasks import render_frame

        self.in_flight = seq
        config = self.config
        await sync_to_async(render_frame.apply_async, thread_sensitive=False)(
            args=[config["model"], config["options"], base64.b64encode(payload).decode(), self.channel_name, seq],
            queue="live", expires=self.frame_timeout,
        )
        if self.watchdog and self.watchdog is not asyncio.current_task():
            self.watchdog.cancel()
        self.watchdog = asyncio.ensure_future(self._expire(seq))

    async def _expire(self, seq: int) -> None:
        await asyncio.sleep(self.frame_timeout)
        if self.in_flight == seq:  # the worker never answered: do not stall this client forever
            await self._error("The frame timed out; is a live worker running?", seq=seq)
            await self._settle()

    async def _settle(self) -> None:
        self.in_flight = None
        if self.pending is not None:
            seq, payload = self.pending
            self.pending = None
            await self._dispatch(seq, payload)

    async def sketch_result(self, event: dict) -> None:
        from .frames import pack

        if event["seq"] != self.in_flight:
            return  # answer to a frame that already timed out
        header = {"seq": event["seq"], "server_ms": event["server_ms"], "forward_ms": event["forward_ms"],
                  "batch": event["batch"], "dropped": self.dropped, "model": self.config["model"]}
        await self.send(bytes_data=pack(header, event["image"]))
        await self._settle()

    async def sketch_error(self, event: dict) -> None:
        if event["seq"] != self.in_flight:
            return
        await self._error(event["message"], seq=event["seq"])
        await self._settle()

    async def _error(self, message: str, seq: int | None = None) -> None:
        payload = {"type": "error", "message": message}
        if seq is not None:
            payload["seq"] = seq
        await self.send(text_data=json.dumps(payload))
