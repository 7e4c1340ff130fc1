"""The studio WebSocket (/ws/studio/, messages in frames.py): pushes job events to their owner's open pages.

Only the owner's group is joined, so a socket never sees another person's jobs.
"""
import json

from channels.db import database_sync_to_async

from .models import owner_group
from .sockets import ProtocolConsumer
from .visitors import SESSION_KEY


class StudioConsumer(ProtocolConsumer):
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

    async def job_update(self, event: dict) -> None:
        await self.send(text_data=json.dumps({"type": "job", "job": event["job"]}))
