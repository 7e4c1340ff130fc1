"""Hostile socket traffic: every malformed message gets an error and the socket stays open,
only the site's own origin may connect, and many sockets opening at once are all served."""
import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from webapp.asgi import application
from webapp.studio.frames import MAX_SAFE_INT, pack

from .test_sketch_stream import MODEL, drawing

pytestmark = [pytest.mark.django_db(transaction=True)]

HEADERS = [(b"origin", b"http://localhost"), (b"host", b"localhost")]

MALFORMED_TEXT = [
    '{"type": "config", "model": "%s", "seed": Infinity}' % MODEL,
    '{"type": "config", "model": "%s", "seed": 1e400}' % MODEL,
    '{"type": "config", "model": "%s", "seed": NaN}' % MODEL,
    '{"type": "config", "model": "%s", "seed": 99999999999999999999999}' % MODEL,
    '{"type": "config", "model": "%s", "seed": 2.5}' % MODEL,
    '{"type": "config", "model": "%s", "seed": [1]}' % MODEL,
    '{"type": "config", "model": "%s", "dropout": {"a": 1}}' % MODEL,
    '{"type": "config", "model": "%s", "norm": [1, 2]}' % MODEL,
    '{"type": "config", "model": {"nested": true}}',
    '{"type": ["config"]}',
    '{"a":' * 3000 + "1" + "}" * 3000,
    "[" * 5000 + "]" * 5000,
    '{"type": "config", "x": ' + "[" * 20 + "]" * 20 + "}",
    '{"type": "config", "model": "' + "m" * 9000 + '"}',
    "\ud800",
    "7",
]


def sketch_socket() -> WebsocketCommunicator:
    return WebsocketCommunicator(application, "/ws/sketch/", headers=HEADERS)


async def assert_alive(ws) -> None:
    await ws.send_to(text_data=json.dumps({"type": "ping"}))
    assert json.loads(await ws.receive_from(timeout=10)) == {"type": "pong"}


def test_every_malformed_sketch_message_gets_an_error_and_the_socket_stays_open():
    @async_to_sync
    async def scenario():
        ws = sketch_socket()
        assert (await ws.connect())[0]
        replies = []
        for text in MALFORMED_TEXT:
            await ws.send_to(text_data=text)
            replies.append(json.loads(await ws.receive_from(timeout=10)))
        await ws.send_to(text_data=json.dumps({"type": "config", "model": MODEL}))
        config = json.loads(await ws.receive_from(timeout=10))
        for header in [{"seq": 2**53}, {"seq": 10**30}, {"seq": -1}, {"seq": 1.5}, {"seq": "1"}, {"seq": True},
                       {"seq": None}, {}]:
            await ws.send_to(bytes_data=pack(header, drawing()))
            replies.append(json.loads(await ws.receive_from(timeout=10)))
        await assert_alive(ws)
        await ws.disconnect()
        return replies, config

    replies, config = scenario()
    assert config["type"] == "config"
    assert all(reply["type"] == "error" and reply["message"] for reply in replies), replies
    assert not any("Traceback" in reply["message"] or "Error:" in reply["message"] for reply in replies)


def test_the_largest_safe_seq_is_answered_by_the_worker(live_worker, settings):
    settings.LIVE_FRAME_TIMEOUT_S = 300

    @async_to_sync
    async def scenario():
        ws = sketch_socket()
        await ws.connect()
        await ws.send_to(text_data=json.dumps({"type": "config", "model": MODEL}))
        await ws.receive_from(timeout=10)
        await ws.send_to(bytes_data=pack({"seq": MAX_SAFE_INT}, drawing()))
        reply = await ws.receive_output(timeout=120)
        await ws.disconnect()
        return reply

    reply = scenario()
    assert "bytes" in reply, reply  # the picture, not an error or a silence


def test_malformed_stylize_previews_get_errors_and_the_socket_stays_open():
    @async_to_sync
    async def scenario():
        ws = WebsocketCommunicator(application, "/ws/stylize/", headers=HEADERS)
        assert (await ws.connect())[0]
        await ws.send_to(bytes_data=pack({"type": "photo"}, drawing()))
        assert json.loads(await ws.receive_from(timeout=10))["type"] == "photo"
        replies = []
        for message in [{"type": "preview", "seq": 1, "blend": "candy"},
                        {"type": "preview", "seq": 2, "blend": {"model": ["x"], "weights": [1]}},
                        {"type": "preview", "seq": 3, "blend": {"model": "candy", "strength": "max"}},
                        {"type": "preview", "seq": 2**60, "blend": {}},
                        {"type": "preview", "blend": {"model": "candy"}}]:
            await ws.send_to(text_data=json.dumps(message))
            replies.append(json.loads(await ws.receive_from(timeout=10)))
        await ws.send_to(bytes_data=pack({"type": "photo", "deep": [[[[[[[[1]]]]]]]]}, drawing()))
        replies.append(json.loads(await ws.receive_from(timeout=10)))
        await assert_alive(ws)
        await ws.disconnect()
        return replies

    replies = scenario()
    assert all(reply["type"] == "error" and reply["message"] for reply in replies), replies


@pytest.mark.parametrize("origin, host, accepted", [
    (b"http://localhost", b"localhost", True),
    (b"http://localhost:8000", b"localhost:8000", True),
    (b"http://127.0.0.1:9999", b"127.0.0.1:8000", False),  # same host, another port
    (b"https://localhost:8000", b"localhost:8000", False),  # another scheme
    (b"http://evil.example:8000", b"localhost:8000", False),
    (b"http://evil.example", b"evil.example", False),  # a host not in ALLOWED_HOSTS
    (b"null", b"localhost", False),
    (b"", b"localhost", False),
])
def test_only_the_sites_own_origin_may_open_a_socket(origin, host, accepted):
    @async_to_sync
    async def scenario():
        ws = WebsocketCommunicator(application, "/ws/sketch/", headers=[(b"origin", origin), (b"host", host)])
        connected, _ = await ws.connect()
        await ws.disconnect()
        return connected

    assert scenario() is accepted


def test_a_trusted_origin_may_open_a_socket(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://studio.example"]

    @async_to_sync
    async def scenario():
        ws = WebsocketCommunicator(application, "/ws/sketch/",
                                   headers=[(b"origin", b"https://studio.example"), (b"host", b"localhost")])
        connected, _ = await ws.connect()
        await ws.disconnect()
        return connected

    assert scenario()
