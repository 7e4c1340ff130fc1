"""Live Stylize previews through the real live worker: newest request wins, errors keep the socket open."""
import io
import json

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from PIL import Image

from webapp.asgi import application
from webapp.studio.frames import PREVIEW_REPLY_IMAGE, image_kind, pack, unpack

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("style_models")]


def photo_frame(size=(300, 200)) -> bytes:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(buf, "WEBP")
    return pack({"type": "photo"}, buf.getvalue())


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
def test_newest_preview_wins_and_is_small(style_models, settings):
    settings.LIVE_FRAME_TIMEOUT_S = 300  # the first preview also loads the model, however busy the machine

    def request(seq: int, weight: float) -> str:
        blend = {"model": style_models["multi"], "weights": {"0": weight, "1": 1 - weight + 0.01}}
        return json.dumps({"type": "preview", "seq": seq, "blend": blend})

    async def next_preview(ws):
        message = await ws.receive_output(300)
        assert message.get("bytes"), message
        return unpack(message["bytes"], (PREVIEW_REPLY_IMAGE,))

    @async_to_sync
    async def scenario():
        ws = socket()
        await ws.connect()
        await ws.send_to(bytes_data=photo_frame())
        photo_reply = json.loads(await ws.receive_from())
        for seq, weight in enumerate([0.1, 0.4, 0.7, 1.0], start=1):
            await ws.send_to(text_data=request(seq, weight))
        results = [await next_preview(ws)]
        while results[-1][0]["seq"] != 4:
            results.append(await next_preview(ws))
        await ws.send_to(text_data=request(2, 0.5))  # older than one already received: dropped
        await ws.send_to(text_data=request(5, 0.5))
        after_stale = await next_preview(ws)
        await ws.disconnect()
        return photo_reply, results, after_stale

    photo_reply, results, after_stale = scenario()
    assert photo_reply == {"type": "photo", "bytes": len(photo_frame()) - len(pack({"type": "photo"}, b""))}
    seqs = [header["seq"] for header, _ in results]
    assert seqs == sorted(set(seqs)) and seqs[-1] == 4  # in order, the newest always answered
    assert len(seqs) + results[-1][0]["dropped"] == 4  # every request either answered or dropped
    assert all(image_kind(image) == PREVIEW_REPLY_IMAGE for _, image in results)
    preview = Image.open(io.BytesIO(results[-1][1]))
    assert max(preview.size) <= 384 and preview.size[0] > preview.size[1]
    # Had the stale request been queued, its preview would come first (one at the worker at a time).
    assert after_stale[0]["seq"] == 5 and after_stale[0]["dropped"] == results[-1][0]["dropped"] + 1
