"""Live Stylize previews through the real live worker: newest request wins, errors keep the socket open."""
import io
import json
import struct

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from PIL import Image

from webapp.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("style_models")]


def photo_frame(size=(300, 200)) -> bytes:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(buf, "WEBP")
    header = json.dumps({"type": "photo"}).encode()
    return struct.pack(">I", len(header)) + header + buf.getvalue()


def unpack(data: bytes):
    (length,) = struct.unpack(">I", data[:4])
    return json.loads(data[4:4 + length]), data[4 + length:]


def socket():
    return WebsocketCommunicator(application, "/ws/stylize/", headers=[(b"origin", b"http://localhost"),
                                                                        (b"host", b"localhost")])


def test_preview_needs_a_photo_and_bad_requests_get_errors():
    @async_to_sync
    async def scenario():
        ws = socket()
        await ws.connect()
        replies = []
        await ws.send_to(text_data=json.dumps({"type": "preview", "seq": 1, "blend": {"model": "candy"}}))
        replies.append(json.loads(await ws.receive_from()))
        await ws.send_to(bytes_data=photo_frame())
        replies.append(json.loads(await ws.receive_from()))
        await ws.send_to(text_data=json.dumps({"type": "preview", "seq": 2, "blend": {"model": "nope"}}))
        replies.append(json.loads(await ws.receive_from()))
        await ws.send_to(bytes_data=b"\x00\x00\x00\x02{}" + b"GIF89a")
        replies.append(json.loads(await ws.receive_from()))
        await ws.send_to(text_data=json.dumps({"type": "ping"}))
        replies.append(json.loads(await ws.receive_from()))
        await ws.disconnect()
        return replies

    replies = scenario()
    assert [r["type"] for r in replies] == ["error", "photo", "error", "error", "pong"]
    assert "photo first" in replies[0]["message"] and "nope" in replies[2]["message"]


@pytest.mark.usefixtures("live_worker")
def test_newest_preview_wins_and_is_small(style_models):
    @async_to_sync
    async def scenario():
        ws = socket()
        await ws.connect()
        await ws.send_to(bytes_data=photo_frame())
        await ws.receive_from()
        for seq, weight in enumerate([0.1, 0.4, 0.7, 1.0], start=1):
            blend = {"model": style_models["multi"], "weights": {"0": weight, "1": 1 - weight + 0.01}}
            await ws.send_to(text_data=json.dumps({"type": "preview", "seq": seq, "blend": blend}))
        results = []
        while len(results) < 2:
            message = await ws.receive_output(90)
            assert "bytes" in message and message["bytes"], message
            results.append(unpack(message["bytes"]))
        quiet = await ws.receive_nothing(timeout=1.0)
        await ws.disconnect()
        return results, quiet

    results, quiet = scenario()
    assert [h["seq"] for h, _ in results] == [1, 4] and results[1][0]["dropped"] == 2 and quiet
    preview = Image.open(io.BytesIO(results[1][1]))
    assert max(preview.size) <= 384 and preview.size[0] > preview.size[1]
