"""The live Sketch stream: malformed input is refused politely, the newest frame wins, order holds."""
import io
import json
import struct

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from PIL import Image, ImageDraw

from webapp.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True)]

MODEL = "landscape-sketch"


def drawing(seed: int = 0, size: int = 256) -> bytes:
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    draw.line([(10 + seed * 7, 200), (128, 40 + seed * 5), (240, 210)], fill="black", width=4)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def frame(seq, payload: bytes | None = None, header: dict | None = None) -> bytes:
    encoded = json.dumps(header if header is not None else {"seq": seq}).encode()
    return struct.pack(">I", len(encoded)) + encoded + (payload if payload is not None else drawing(seq))


def unpack(data: bytes) -> tuple[dict, bytes]:
    (length,) = struct.unpack(">I", data[:4])
    return json.loads(data[4:4 + length]), data[4 + length:]


def socket() -> WebsocketCommunicator:
    return WebsocketCommunicator(application, "/ws/sketch/", headers=[(b"origin", b"http://localhost"),
                                                                       (b"host", b"localhost")])


async def configured(model: str = MODEL) -> WebsocketCommunicator:
    ws = socket()
    assert (await ws.connect())[0]
    await ws.send_to(text_data=json.dumps({"type": "config", "model": model, "dropout": False}))
    reply = json.loads(await ws.receive_from())
    assert reply["type"] == "config", reply
    return ws


async def next_message(ws, timeout: float = 60):
    message = await ws.receive_output(timeout)
    return json.loads(message["text"]) if message.get("text") else unpack(message["bytes"])


def test_config_names_the_model_its_input_size_and_palette():
    @async_to_sync
    async def scenario():
        ws = socket()
        await ws.connect()
        await ws.send_to(text_data=json.dumps({"type": "config", "model": "landscape-paint"}))
        reply = json.loads(await ws.receive_from())
        await ws.disconnect()
        return reply

    reply = scenario()
    assert reply["type"] == "config" and reply["model"] == "landscape-paint"
    assert reply["input_size"] > 0 and reply["kind"] == "label_map" and len(reply["palette"]) >= 5


def test_malformed_frames_get_errors_and_the_socket_stays_usable():
    @async_to_sync
    async def scenario():
        ws = socket()
        await ws.connect()
        replies = []
        await ws.send_to(bytes_data=frame(1))  # before any config
        replies.append(json.loads(await ws.receive_from()))
        await ws.send_to(text_data=json.dumps({"type": "config", "model": "no-such-model"}))
        replies.append(json.loads(await ws.receive_from()))
        await ws.send_to(text_data=json.dumps({"type": "config", "model": MODEL}))
        assert json.loads(await ws.receive_from())["type"] == "config"
        for bad in [b"\x00\x01", struct.pack(">I", 5000) + b"{}", frame(1, payload=b"GIF89a-not-allowed"),
                    frame(1, header={"seq": "one"}), frame(1, header=[1]), b"\x00" * (1024 * 1024)]:
            await ws.send_to(bytes_data=bad)
            replies.append(json.loads(await ws.receive_from()))
        await ws.send_to(text_data="{oops")
        replies.append(json.loads(await ws.receive_from()))
        await ws.send_to(text_data=json.dumps({"type": "ping"}))
        replies.append(json.loads(await ws.receive_from()))
        await ws.disconnect()
        return replies

    replies = scenario()
    assert [r["type"] for r in replies] == ["error"] * 9 + ["pong"]
    assert "config" in replies[0]["message"] and "no-such-model" in replies[1]["message"]
    assert all(r["message"] for r in replies[:-1])


def test_too_frequent_frames_get_an_error(settings):
    settings.LIVE_MAX_FPS = 4  # a burst of 2 frames, then 4 per second

    @async_to_sync
    async def scenario():
        ws = await configured()
        for seq in range(1, 6):
            await ws.send_to(bytes_data=frame(seq))
        errors = []
        while not await ws.receive_nothing(timeout=0.5):
            message = await ws.receive_output()
            if message.get("text"):
                errors.append(json.loads(message["text"]))
        await ws.disconnect()
        return errors

    errors = scenario()
    assert errors and all("Too many requests" in e["message"] for e in errors)


@pytest.mark.usefixtures("live_worker")
def test_newest_frame_wins_and_results_come_in_order():
    @async_to_sync
    async def scenario():
        ws = await configured()
        for seq in range(1, 6):  # 1 goes to the worker; 2-4 are replaced while it works; 5 waits
            await ws.send_to(bytes_data=frame(seq))
        results = []
        while len(results) < 2:
            message = await next_message(ws)
            assert not isinstance(message, dict), message
            results.append(message)
        assert await ws.receive_nothing(timeout=1.0)
        await ws.send_to(bytes_data=frame(3))  # older than one already received: dropped, never queued
        stale_reply = not await ws.receive_nothing(timeout=1.5)
        await ws.disconnect()
        return results, stale_reply

    results, stale_reply = scenario()
    (first, image), (last, _) = results
    assert (first["seq"], last["seq"]) == (1, 5)
    assert last["dropped"] == 3 and last["batch"] >= 1 and last["server_ms"] > 0
    assert Image.open(io.BytesIO(image)).size[0] > 0
    assert not stale_reply


@pytest.mark.usefixtures("live_worker")
def test_each_client_receives_only_its_own_frames():
    @async_to_sync
    async def scenario():
        a, b = await configured(), await configured("landscape-paint")
        await a.send_to(bytes_data=frame(7))
        got_a = await next_message(a)
        nothing_for_b = await b.receive_nothing(timeout=1.0)
        await a.disconnect()
        await b.disconnect()
        return got_a, nothing_for_b

    (header, _), nothing_for_b = scenario()
    assert header["seq"] == 7 and header["model"] == MODEL and nothing_for_b


@pytest.fixture
def no_live_worker(live_worker):
    """No live worker at all for the test: frames are provably never answered."""
    live_worker.stop()
    yield
    live_worker.start()


@pytest.mark.usefixtures("no_live_worker")
def test_a_frame_the_worker_does_not_answer_in_time_is_reported_and_the_stream_goes_on(settings):
    settings.LIVE_FRAME_TIMEOUT_S = 0.5

    @async_to_sync
    async def scenario():
        ws = await configured()
        await ws.send_to(bytes_data=frame(1))
        await ws.send_to(bytes_data=frame(2))
        first = json.loads(await ws.receive_from(timeout=5))
        second = json.loads(await ws.receive_from(timeout=5))
        await ws.disconnect()
        return first, second

    first, second = scenario()
    assert first["seq"] == 1 and "timed out" in first["message"]
    assert second["seq"] == 2  # the pending frame was sent on, and timed out in its turn
