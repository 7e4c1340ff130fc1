"""The live Edit socket: a start, a stroke that changes the picture where painted; bad messages keep it open."""
import io
import json

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from PIL import Image

from webapp.asgi import application
from webapp.studio.frames import unpack

pytestmark = [pytest.mark.django_db(transaction=True)]

MODEL = "npe-faces"
STROKE = {"points": [[0.3, 0.5], [0.45, 0.5]], "colour": "#ff2020", "radius": 0.08}


@pytest.fixture
def patient(settings):
    settings.LIVE_FRAME_TIMEOUT_S = 300


def socket() -> WebsocketCommunicator:
    return WebsocketCommunicator(application, "/ws/edit/", headers=[(b"origin", b"http://localhost"),
                                                                     (b"host", b"localhost")])


async def next_message(ws, timeout: float = 120):
    message = await ws.receive_output(timeout)
    return json.loads(message["text"]) if message.get("text") else unpack(message["bytes"], ("png",))


async def started(seed: int = 7) -> WebsocketCommunicator:
    ws = socket()
    assert (await ws.connect())[0]
    await ws.send_to(text_data=json.dumps({"type": "start", "model": MODEL, "seed": seed}))
    reply = await next_message(ws)
    assert reply["type"] == "start" and reply["seed"] == seed, reply
    return ws


async def picture(ws, seq: int, first: int, strokes: list) -> tuple[dict, np.ndarray]:
    await ws.send_to(text_data=json.dumps({"type": "stroke", "seq": seq, "from": first, "strokes": strokes}))
    answer = await next_message(ws)
    assert isinstance(answer, tuple), answer
    header, image = answer
    assert header["seq"] == seq
    return header, np.asarray(Image.open(io.BytesIO(image)).convert("RGB"), dtype=np.float32)


def brush_weight(stroke: dict) -> np.ndarray:
    from inference.pipelines.edit import brush, strokes_from_json

    return brush(strokes_from_json([stroke])[0])[0, 0].numpy()


@pytest.mark.usefixtures("live_worker", "patient")
def test_a_stroke_changes_the_picture_inside_the_brush_not_far_outside():
    @async_to_sync
    async def scenario():
        ws = await started()
        header, before = await picture(ws, 1, 0, [])
        assert header["strokes"] == 0 and before.shape == (64, 64, 3)
        header, after = await picture(ws, 2, 0, [STROKE])
        assert header["strokes"] == 1
        # The next request goes on from the kept state: only its own stroke travels.
        header, _ = await picture(ws, 3, 1, [])
        assert header["strokes"] == 1
        await ws.disconnect()
        return before, after

    before, after = scenario()
    change = np.abs(after - before).mean(-1)
    weight = brush_weight(STROKE)
    inside = change[weight > 0.5].mean()
    ys, xs = np.mgrid[0:64, 0:64]
    far = ((xs - 24) ** 2 + (ys - 32) ** 2 > 24 ** 2)  # well away from the stroke
    assert inside > 8, inside
    assert change[far].mean() < inside / 4, (change[far].mean(), inside)
    red_before = (before[..., 0] - before[..., 1:].mean(-1))[weight > 0.5].mean()
    red_after = (after[..., 0] - after[..., 1:].mean(-1))[weight > 0.5].mean()
    assert red_after > red_before


@pytest.mark.usefixtures("live_worker", "patient")
def test_malformed_strokes_get_an_error_and_the_socket_stays_open():
    @async_to_sync
    async def scenario():
        ws = socket()
        assert (await ws.connect())[0]
        await ws.send_to(text_data=json.dumps({"type": "stroke", "seq": 1, "from": 0, "strokes": []}))
        assert (await next_message(ws))["type"] == "error"  # no start yet
        await ws.send_to(text_data=json.dumps({"type": "start", "model": MODEL, "seed": 3}))
        assert (await next_message(ws))["type"] == "start"
        bad = [
            {"type": "stroke", "seq": 2, "from": 0, "strokes": [{"points": [], "colour": "#ffffff"}]},
            {"type": "stroke", "seq": 3, "from": 0, "strokes": [{"points": [[0.5, 0.5]], "colour": "#zzzzzz"}]},
            {"type": "stroke", "seq": 4, "from": 0, "strokes": [{"points": [[0.5, 0.5]], "colour": [1, 2, 300]}]},
            {"type": "stroke", "seq": 5, "from": 0, "strokes": [{"points": [[0.5, 0.5]], "colour": "#fff000",
                                                                 "radius": 0}]},
            {"type": "stroke", "seq": 6, "from": 0, "strokes": "lots"},
            {"type": "stroke", "seq": 7, "strokes": []},
            {"type": "stroke", "seq": "x", "from": 0, "strokes": []},
            {"type": "paint"},
        ]
        for message in bad:
            await ws.send_to(text_data=json.dumps(message))
            reply = await next_message(ws)
            assert reply["type"] == "error" and reply["message"], (message, reply)
        await ws.send_to(text_data="not json")
        assert (await next_message(ws))["type"] == "error"
        # Out of step: the server has applied no stroke yet.
        await ws.send_to(text_data=json.dumps({"type": "stroke", "seq": 8, "from": 5, "strokes": []}))
        reply = await next_message(ws)
        assert reply["type"] == "error" and reply["strokes"] == 0 and reply["seq"] == 8
        header, image = await picture(ws, 9, 0, [STROKE])  # still open, still painting
        assert header["strokes"] == 1 and image.shape == (64, 64, 3)
        await ws.disconnect()

    scenario()
