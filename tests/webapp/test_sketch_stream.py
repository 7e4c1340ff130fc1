"""The live Sketch stream: malformed input is refused politely, the newest frame wins, order holds.

Assertions hold on any schedule of the worker: what is certain is that every
frame is either answered or dropped, answers come in increasing order, and
the newest frame is always answered.
"""
import io
import json
import struct
import time

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from PIL import Image, ImageDraw

from webapp.asgi import application
from webapp.studio.frames import SKETCH_REPLY_IMAGE, image_kind, pack, unpack

pytestmark = [pytest.mark.django_db(transaction=True)]

MODEL = "landscape-sketch"


@pytest.fixture
def patient(settings):
    """A frame timeout no busy machine reaches (the first frame also loads and warms the model)."""
    settings.LIVE_FRAME_TIMEOUT_S = 300


def drawing(seed: int = 0, size: int = 256) -> bytes:
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    draw.line([(10 + seed * 7, 200), (128, 40 + seed * 5), (240, 210)], fill="black", width=4)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def frame(seq, payload: bytes | None = None, header: dict | None = None) -> bytes:
    return pack(header if header is not None else {"seq": seq}, payload if payload is not None else drawing(seq))


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
    return json.loads(message["text"]) if message.get("text") else unpack(message["bytes"], (SKETCH_REPLY_IMAGE,))


async def answers_until(ws, last_seq: int) -> list[tuple[dict, bytes]]:
    """Every answer up to the one for `last_seq` (errors fail the test)."""
    answers = []
    while not answers or answers[-1][0]["seq"] != last_seq:
        message = await next_message(ws)
        assert not isinstance(message, dict), message
        answers.append(message)
    return answers


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
    settings.LIVE_MAX_FPS = 2  # a burst of one frame, then two per second
    sent = 12

    @async_to_sync
    async def scenario():
        ws = await configured()
        started = time.monotonic()
        for seq in range(1, sent + 1):
            await ws.send_to(bytes_data=frame(seq))
        await ws.send_to(text_data=json.dumps({"type": "ping"}))
        refused = []
        while True:  # the consumer answers in order: every refusal comes before the pong
            output = await ws.receive_output(30)
            if not output.get("text"):
                continue  # an accepted frame's picture, if a live worker happens to run
            message = json.loads(output["text"])
            if message["type"] == "pong":
                break
            if "Too many requests" in message["message"]:
                refused.append(message["seq"])
        window = time.monotonic() - started  # the consumer took all the frames within it
        await ws.disconnect()
        return refused, window

    refused, window = scenario()
    # However slowly the frames arrived, the limiter let through at most its burst plus its rate.
    assert sent - len(refused) <= 1 + 2 * window
    assert refused and set(refused) <= set(range(2, sent + 1)) and refused == sorted(refused)


@pytest.mark.usefixtures("live_worker", "patient")
def test_newest_frame_wins_and_results_come_in_order():
    @async_to_sync
    async def scenario():
        ws = await configured()
        for seq in range(1, 6):  # the worker takes one at a time; the others wait or are replaced
            await ws.send_to(bytes_data=frame(seq))
        answers = await answers_until(ws, 5)
        await ws.send_to(bytes_data=frame(3))  # older than one already received: dropped, never queued
        await ws.send_to(bytes_data=frame(6))
        after_stale = await next_message(ws)
        await ws.disconnect()
        return answers, after_stale

    answers, after_stale = scenario()
    seqs = [header["seq"] for header, _ in answers]
    assert seqs == sorted(set(seqs)) and seqs[-1] == 5  # in order, the newest always answered
    last = answers[-1][0]
    assert len(seqs) + last["dropped"] == 5  # every frame either answered or dropped
    assert last["batch"] >= 1 and last["server_ms"] > 0 and last["model"] == MODEL
    # Where the frame's time went (frames.py): every stage reported, the consumer's total covering the worker's.
    stages = {"queue", "decode", "convert", "wait", "forward", "encode", "reply", "server"}
    assert stages <= set(last["ms"]) and all(last["ms"][stage] >= 0 for stage in stages)
    assert last["ms"]["server"] >= last["server_ms"] * 0.5
    assert all(image_kind(image) == SKETCH_REPLY_IMAGE for _, image in answers)
    assert Image.open(io.BytesIO(answers[-1][1])).size[0] > 0
    # Had the stale frame been queued, its answer would come first (one frame at the worker at a time).
    header, _ = after_stale
    assert header["seq"] == 6 and header["dropped"] == last["dropped"] + 1


@pytest.mark.usefixtures("live_worker", "patient")
def test_each_client_receives_only_its_own_frames():
    @async_to_sync
    async def scenario():
        a, b = await configured(), await configured("landscape-paint")
        await a.send_to(bytes_data=frame(7))
        got_a = await next_message(a)
        # A's answer went out before B sent anything: misrouted to B, it would arrive before B's own.
        await b.send_to(bytes_data=frame(8))
        got_b = await next_message(b)
        await a.disconnect()
        await b.disconnect()
        return got_a, got_b

    (header_a, _), (header_b, _) = scenario()
    assert header_a["seq"] == 7 and header_a["model"] == MODEL
    assert header_b["seq"] == 8 and header_b["model"] == "landscape-paint"


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
    assert first["seq"] == 1 and "timed out" in first["message"] and first["retry"] is True
    assert second["seq"] == 2  # the pending frame was sent on, and timed out in its turn


@pytest.mark.usefixtures("live_worker", "patient")
def test_colours_are_a_setting_the_picture_follows():
    """The demo models take style colours: a config with other colours, same drawing, another picture;
    colours the model does not know are refused with a message and the socket goes on."""
    import numpy as np

    async def picture(ws, seq, style) -> np.ndarray:
        await ws.send_to(text_data=json.dumps({"type": "config", "model": MODEL, "dropout": False, "style": style}))
        reply = json.loads(await ws.receive_from())
        assert reply["type"] == "config" and reply["options"]["style"] == style, reply
        await ws.send_to(bytes_data=frame(seq, drawing(0)))
        (header, image), = await answers_until(ws, seq)
        return np.asarray(Image.open(io.BytesIO(image)).convert("RGB")).astype(float)

    @async_to_sync
    async def scenario():
        ws = socket()
        assert (await ws.connect())[0]
        dusk = await picture(ws, 1, {"sky": "#c87850", "grass": "#3c4a20"})
        noon = await picture(ws, 2, {"sky": "#5a8ce6", "grass": "#78b040"})
        await ws.send_to(text_data=json.dumps({"type": "config", "model": MODEL, "style": {"lava": "#ff0000"}}))
        refused = json.loads(await ws.receive_from())
        await ws.disconnect()
        return dusk, noon, refused

    dusk, noon, refused = scenario()
    top = slice(0, 40)  # above the drawing's lines: sky
    assert noon[top, :, 2].mean() - noon[top, :, 0].mean() > dusk[top, :, 2].mean() - dusk[top, :, 0].mean() + 20
    assert refused["type"] == "error" and "lava" in refused["message"]
