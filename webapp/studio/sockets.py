"""What every studio socket shares: one reading of client messages, errors that keep the socket open.

The rules for a message are in frames.py (`read_json`, `check_seq`); consumers
implement `on_message(dict)` and, where the protocol has them, `on_frame(bytes)`.
"""
import json
import logging

from channels.generic.websocket import AsyncWebsocketConsumer

from inference.errors import InferenceError

from .frames import FrameError, read_json

log = logging.getLogger(__name__)


class ProtocolConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            if bytes_data is not None:
                await self.on_frame(bytes_data)
                return
            message = read_json(text_data)
            if message.get("type") == "ping":
                await self.send(text_data=json.dumps({"type": "pong"}))
                return
            await self.on_message(message)
        except (FrameError, InferenceError) as exc:
            await self.error(str(exc))
        except Exception:
            # A message no rule above foresaw: the client hears so, the socket stays open.
            log.exception("%s could not handle a message", type(self).__name__)
            await self.error("That message could not be handled.")

    async def on_message(self, message: dict) -> None:
        raise FrameError("Unknown message type.")

    async def on_frame(self, data: bytes) -> None:
        raise FrameError("This socket takes no binary frames.")

    async def error(self, message: str, seq: int | None = None, retry: bool = False) -> None:
        payload = {"type": "error", "message": message}
        if seq is not None:
            payload["seq"] = seq
        if retry:
            payload["retry"] = True
        await self.send(text_data=json.dumps(payload))
