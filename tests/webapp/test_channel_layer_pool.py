"""The channel layer under load and across a Redis restart, on a private redis-server."""
import asyncio
import signal

from asgiref.sync import async_to_sync

from webapp.channel_layer import StudioChannelLayer


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
