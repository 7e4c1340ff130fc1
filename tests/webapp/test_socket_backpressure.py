"""A client that stops reading its socket cannot make Daphne buffer answers for it without end,
and 200 sockets opened at once are all served; real Daphne, real live worker, real Redis."""
import io
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from tests.conftest import start_daphne
from webapp import processes
from webapp.studio.frames import SKETCH_REPLY_IMAGE, pack, unpack

from .raw_websocket import RawWebSocket
from .site_client import SiteClient
from .test_sketch_stream import MODEL

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def daphne(live_worker, tmp_path):
    """A Daphne of this test's own, so its memory is this test's to measure."""
    process, port = start_daphne(tmp_path / "daphne.log", {"LIVE_FRAME_TIMEOUT_S": "300"})
    yield process, port
    processes.stop(process)


def noisy_drawing(seed: int) -> bytes:
    # Noise makes large answers: the buffers fill after a few of them.
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def configured(port: int, **kwargs) -> RawWebSocket:
    ws = RawWebSocket("127.0.0.1", port, "/ws/sketch/", **kwargs)
    ws.send_json({"type": "config", "model": MODEL})
    return ws


def next_reply(ws: RawWebSocket):
    opcode, payload = ws.receive()
    if opcode == 1:
        return json.loads(payload)
    assert opcode == 2, opcode
    return unpack(payload, (SKETCH_REPLY_IMAGE,))


def test_a_client_that_stops_reading_gets_no_more_work_until_it_reads(daphne):
    process, port = daphne
    drawings = [noisy_drawing(seed) for seed in range(4)]
    reader = configured(port)
    assert next_reply(reader)["type"] == "config"
    stalled = configured(port, receive_buffer=4096)  # and never read until the end
    rounds = 24
    # The reader's answers pace the stalled client: one frame each, at the worker's own speed.
    for seq in range(1, rounds + 1):
        stalled.send(pack({"seq": seq}, drawings[seq % 4]))
        reader.send(pack({"seq": seq}, drawings[(seq + 1) % 4]))
        header, _ = next_reply(reader)
        assert header["seq"] == seq

    # Now it reads: what was buffered for it, then the newest frame, sent once its buffer drained.
    answers = []
    while not answers or answers[-1][0]["seq"] != rounds:
        reply = next_reply(stalled)
        if isinstance(reply, dict):
            assert reply["type"] == "config", reply
            continue
        answers.append(reply)
    buffered = sum(len(image) for _, image in answers[:-1])
    reader.close()
    stalled.close()
    # Twisted's 64 KiB and the kernel's pinned 128 KiB hold a handful of ~28 KB answers;
    # without backpressure every one of the 24 was rendered and held for the client.
    assert len(answers) <= rounds // 2, [header["seq"] for header, _ in answers]
    assert answers[-1][0]["dropped"] >= rounds - len(answers)
    assert buffered < 512 * 1024


@pytest.mark.parametrize("path", ["/ws/studio/", "/ws/sketch/"])
def test_two_hundred_sockets_opened_at_once_are_all_served(daphne, path):
    # /ws/studio/ joins its owner's group in the channel layer (Redis) before it accepts: the
    # connects that once got HTTP 500 from the layer's connection pool.
    _, port = daphne
    visitor = SiteClient(f"http://127.0.0.1:{port}")
    assert visitor.get(reverse("tool", args=["sketch"]))[0] == 200  # a session with a visitor token
    cookie = visitor.cookie_header()

    def ping() -> str:
        ws = RawWebSocket("127.0.0.1", port, path, cookie=cookie)
        try:
            ws.send_json({"type": "ping"})
            return json.loads(ws.receive(timeout=120)[1])["type"]
        finally:
            ws.close()

    with ThreadPoolExecutor(max_workers=200) as pool:
        replies = list(pool.map(lambda _: ping(), range(200)))
    assert replies == ["pong"] * 200
