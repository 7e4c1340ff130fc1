"""The channel layer under load, across a Redis restart and when cancelled, on a private redis-server."""
import asyncio
import signal

import pytest
from asgiref.sync import async_to_sync

from webapp.channel_layer import StudioChannelLayer
from webapp.embedded_redis import EmbeddedRedis

# Enough event-loop turns to cancel a first receive at every step of its way in: the pool
# connecting (HELLO, PING, CLIENT, SELECT), the cleanup script, then BZPOPMIN waiting.
CANCEL_STEPS = 80


@pytest.fixture
def private_redis(tmp_path):
    redis = EmbeddedRedis(tmp_path / "redis")
    redis.start()
    yield redis
    redis.stop()


def layer_on(url: str, **config) -> StudioChannelLayer:
    return StudioChannelLayer(hosts=[{"address": url, "socket_connect_timeout": 5}], **config)


def test_more_group_joins_at_once_than_the_pool_has_connections_all_succeed(private_redis):
    layer = layer_on(private_redis.url, pool_size=4)

    @async_to_sync
    async def scenario():
        names = [await layer.new_channel() for _ in range(200)]
        await asyncio.gather(*(layer.group_add("crowd", name) for name in names))
        await layer.group_send("crowd", {"type": "hello"})
        received = await asyncio.gather(*(layer.receive(name) for name in names))
        await layer.flush()
        return received

    assert [m["type"] for m in scenario()] == ["hello"] * 200


def test_the_first_messages_after_a_redis_restart_get_through(private_redis):
    layer = layer_on(private_redis.url)

    @async_to_sync
    async def scenario():
        name = await layer.new_channel()
        await layer.group_add("before", name)
        await layer.send(name, {"type": "one"})
        first = await layer.receive(name)
        # A hard kill: nothing is flushed and every pooled connection is left dangling.
        private_redis.process.send_signal(signal.SIGKILL)
        private_redis.process.wait()
        private_redis.start()
        other = await layer.new_channel()
        await layer.group_add("after", other)
        await layer.group_send("after", {"type": "two"})
        second = await asyncio.wait_for(layer.receive(other), 30)
        await layer.flush()
        return first, second

    first, second = scenario()
    assert first["type"] == "one" and second["type"] == "two"


def test_a_receive_cancelled_at_any_step_ends(private_redis):
    # Every consumer's receive is cancelled when its socket closes. With a socket timeout, redis-py
    # sent each command through asyncio.wait_for, which on Python 3.11 drops a cancellation that
    # arrives as the write completes: the receive then waited for messages forever, holding a pool
    # connection, and a test that ended there hung the suite.
    layer = layer_on(private_redis.url)

    async def cancelled_after(steps: int) -> bool:
        task = asyncio.ensure_future(layer.receive(await layer.new_channel()))
        for _ in range(steps):
            await asyncio.sleep(0)  # one turn of the loop, not a wait for time
        task.cancel()
        # A receive that ignored the cancel goes back to BZPOPMIN (5 s) forever; one that took it
        # ends in milliseconds.
        done, _ = await asyncio.wait([task], timeout=5)
        return bool(done)

    def ended(steps: int) -> bool:
        # A new event loop each time, as each socket test has: the connection pool is made afresh.
        # Closed without asyncio.run's cancelling of what is left, which a stuck receive could ignore too.
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(cancelled_after(steps))
        finally:
            loop.close()

    stuck = [steps for steps in range(CANCEL_STEPS) if not ended(steps)]
    assert stuck == []
