"""Live Colorize hint previews through the real live worker: a hint colours the preview where it is, the
newest request wins, the palette comes with a chosen hint, malformed messages keep the socket open."""
import io
import json

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from PIL import Image

from webapp.asgi import application
from webapp.studio.frames import PREVIEW_REPLY_IMAGE, image_kind, pack, unpack

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("installed_models")]

HINT = {"x": 0.8, "y": 0.85, "color": "#e01818"}  # on the grass, a mid grey: room for colour


@pytest.fixture
def patient(settings):
    settings.LIVE_FRAME_TIMEOUT_S = 300  # the first preview also loads the model, however busy the machine


def photo_frame(size=(160, 120)) -> bytes:
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.camera()).resize(size).save(buf, "PNG")
    return pack({"type": "photo"}, buf.getvalue())


def socket() -> WebsocketCommunicator:
    return WebsocketCommunicator(application, "/ws/colorize/", headers=[(b"origin", b"http://localhost"),
                                                                         (b"host", b"localhost")])


def request(seq: int, hints: list, model: str = "siggraph17", **extra) -> str:
    return json.dumps({"type": "preview", "seq": seq, "model": model, "hints": hints, **extra})


async def next_preview(ws) -> tuple[dict, np.ndarray]:
    message = await ws.receive_output(300)
    assert message.get("bytes"), message
    header, image = unpack(message["bytes"], (PREVIEW_REPLY_IMAGE,))
    assert image_kind(image) == PREVIEW_REPLY_IMAGE
    return header, np.asarray(Image.open(io.BytesIO(image)).convert("RGB"), dtype=np.float32)


async def with_photo() -> WebsocketCommunicator:
    ws = socket()
    assert (await ws.connect())[0]
    await ws.send_to(bytes_data=photo_frame())
    assert json.loads(await ws.receive_from())["type"] == "photo"
    return ws


def test_previews_need_a_photo_and_malformed_messages_get_errors_on_an_open_socket():
    @async_to_sync
    async def scenario():
        ws = socket()
        await ws.connect()
        replies = []

        async def answer(**message):
            await ws.send_to(**message)
            replies.append(json.loads(await ws.receive_from()))

        await answer(text_data=request(1, []))
        await answer(bytes_data=photo_frame())
        await answer(text_data=request(2, [{"x": 2, "y": 0.5, "color": "#ff0000"}]))
        await answer(text_data=request(3, [{"x": 0.5, "y": 0.5, "color": "red"}]))
        await answer(text_data=request(4, [HINT], model="nope"))
        await answer(text_data=request(5, [HINT], suggest=1))
        await answer(text_data=request(6, [HINT], model="eccv16", suggest=0))
        await answer(text_data=request(7, [HINT], gamut="sideways"))
        await answer(text_data=request(8, "not a list"))
        await answer(text_data=json.dumps({"type": "preview", "seq": 1e400, "model": "siggraph17", "hints": []}))
        await answer(text_data="{not json")
        await answer(bytes_data=b"\x00\x00\x00\x02{}" + b"GIF89a")
        await answer(text_data=json.dumps({"type": "ping"}))
        await ws.disconnect()
        return replies

    replies = scenario()
    assert [r["type"] for r in replies] == ["error", "photo"] + ["error"] * 10 + ["pong"]
    messages = [r.get("message") for r in replies]
    assert "photo first" in messages[0]
    assert "between 0 and 1" in messages[2] and "#rrggbb" in messages[3] and "nope" in messages[4]
    assert "suggest" in messages[5] and "no colour hints" in messages[6] and "sideways" in messages[7]
    assert [r.get("seq") for r in replies[2:10]] == [2, 3, 4, 5, 6, 7, 8, None]


@pytest.mark.usefixtures("live_worker", "patient")
def test_a_hint_colours_the_preview_where_it_is_and_the_palette_comes_with_the_chosen_hint():
    @async_to_sync
    async def scenario():
        ws = await with_photo()
        answers = []
        for seq, hints, extra in [(1, [], {}), (2, [HINT], {}), (3, [HINT], {"suggest": 0})]:
            await ws.send_to(text_data=request(seq, hints, **extra))
            answers.append(await next_preview(ws))
        await ws.disconnect()
        return answers

    (plain_header, plain), (hinted_header, hinted), (suggested_header, suggested) = scenario()
    assert plain.shape == hinted.shape == (120, 160, 3)  # the photo's own size
    assert "suggestions" not in plain_header and "suggestions" not in hinted_header
    change = np.abs(hinted - plain).mean(-1)
    near = change[98:106, 124:132].mean()  # around (0.8, 0.85) of 160 x 120
    far = change[5:30, 10:50].mean()  # the sky at the top left
    assert near > 5 and near > 4 * far, (near, far)
    # Asking for the palette does not change the picture; it adds the colours likely at the hint.
    assert np.abs(suggested - hinted).max() == 0
    palette = suggested_header["suggestions"]
    assert 1 <= len(palette) <= 8
    assert all(set(s) == {"color", "probability"} and s["color"].startswith("#") for s in palette)
    assert [s["probability"] for s in palette] == sorted((s["probability"] for s in palette), reverse=True)


@pytest.mark.usefixtures("live_worker", "patient")
def test_only_the_newest_of_queued_hint_updates_is_rendered():
    def hints_at(x: float) -> list:
        return [{"x": x, "y": 0.5, "color": "#2040e0"}]

    @async_to_sync
    async def scenario():
        ws = await with_photo()
        for seq, x in enumerate([0.1, 0.3, 0.5, 0.7, 0.9], start=1):
            await ws.send_to(text_data=request(seq, hints_at(x)))
        results = [await next_preview(ws)]
        while results[-1][0]["seq"] != 5:
            results.append(await next_preview(ws))
        await ws.send_to(text_data=request(3, hints_at(0.2)))  # older than one already received: dropped
        await ws.send_to(text_data=request(6, hints_at(0.9)))
        after_stale = await next_preview(ws)
        await ws.disconnect()
        return results, after_stale

    results, after_stale = scenario()
    seqs = [header["seq"] for header, _ in results]
    assert seqs == sorted(set(seqs)) and seqs[-1] == 5  # in order, the newest always answered
    assert len(seqs) < 5 and len(seqs) + results[-1][0]["dropped"] == 5  # the ones that waited were replaced
    # Had the stale request been queued, its preview would come first (one at the worker at a time).
    assert after_stale[0]["seq"] == 6 and after_stale[0]["dropped"] == results[-1][0]["dropped"] + 1
    # Same photo, same hints as seq 5: the same picture.
    assert np.abs(after_stale[1] - results[-1][1]).max() == 0
