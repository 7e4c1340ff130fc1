"""Job events reach the owner's sockets only, through the real Redis channel layer."""
import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from webapp.asgi import application
from webapp.studio.models import Job

from .conftest import grey_photo, upload

pytestmark = [pytest.mark.django_db(transaction=True)]


def socket_for(client, origin: bytes = b"http://localhost") -> WebsocketCommunicator:
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if "sessionid" in client.cookies:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return WebsocketCommunicator(application, "/ws/studio/", headers=headers)


async def collect_until_done(socket, job_id: str, timeout: float = 60) -> list[str]:
    statuses = []
    while True:
        message = json.loads(await socket.receive_from(timeout=timeout))
        if message["type"] == "job" and message["job"]["id"] == job_id:
            statuses.append(message["job"]["status"])
            if message["job"]["status"] in ("done", "failed", "cancelled"):
                return statuses


@pytest.mark.usefixtures("celery_worker")
def test_owner_sees_running_then_done_and_a_stranger_sees_nothing(owner_client, stranger_client):
    @async_to_sync
    async def scenario():
        mine, theirs = socket_for(owner_client), socket_for(stranger_client)
        assert (await mine.connect())[0] and (await theirs.connect())[0]
        from asgiref.sync import sync_to_async

        response = await sync_to_async(owner_client.post)(
            "/tools/colorize/jobs/", {"images": [upload("p.png", grey_photo())], "model": "eccv16"})
        job_id = response.json()["jobs"][0]["id"]
        statuses = await collect_until_done(mine, job_id)
        assert await theirs.receive_nothing(timeout=1)
        await mine.disconnect()
        await theirs.disconnect()
        return job_id, statuses

    job_id, statuses = scenario()
    assert statuses[0] == "running" and statuses[-1] == "done"
    assert Job.objects.get(pk=job_id).status == Job.Status.DONE


def test_socket_from_a_foreign_origin_is_refused(owner_client):
    @async_to_sync
    async def scenario():
        connected, _ = await socket_for(owner_client, origin=b"http://evil.example").connect()
        return connected

    assert not scenario()


def test_socket_without_a_session_is_refused(client):
    @async_to_sync
    async def scenario():
        connected, _ = await socket_for(client).connect()
        return connected

    assert not scenario()


def test_anonymous_visitor_with_a_session_may_connect(client):
    client.get("/tools/colorize/")  # gives this browser its visitor token

    @async_to_sync
    async def scenario():
        socket = socket_for(client)
        connected, _ = await socket.connect()
        await socket.disconnect()
        return connected

    assert scenario()


def test_malformed_frames_get_an_error_and_the_socket_stays_usable(owner_client):
    @async_to_sync
    async def scenario():
        socket = socket_for(owner_client)
        await socket.connect()
        replies = []
        for frame in ["{not json", json.dumps({"type": "launch-missiles"}), "x" * 10000]:
            await socket.send_to(text_data=frame)
            replies.append(json.loads(await socket.receive_from()))
        await socket.send_to(bytes_data=b"\x00\x01")
        replies.append(json.loads(await socket.receive_from()))
        await socket.send_to(text_data=json.dumps({"type": "ping"}))
        replies.append(json.loads(await socket.receive_from()))
        await socket.disconnect()
        return replies

    replies = scenario()
    assert [r["type"] for r in replies] == ["error", "error", "error", "error", "pong"]
    assert all(r.get("message") for r in replies[:4])
