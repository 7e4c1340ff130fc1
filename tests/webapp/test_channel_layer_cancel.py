"""A cancelled channel-layer receive ends, whatever it was doing (webapp/channel_layer.py).

Every consumer's receive is cancelled when its socket closes. With a socket timeout, redis-py
sent each command through asyncio.wait_for, which on Python 3.11 drops a cancellation that
arrives as the write completes: the receive then waited for messages forever, holding a pool
connection, and a test that ended there hung the suite.
"""
import asyncio

from webapp.channel_layer import StudioChannelLayer

# Enough event-loop turns to cancel a first receive at every step of its way in: the pool
# connecting (HELLO, PING, CLIENT, SELECT), the cleanup script, then BZPOPMIN waiting.
STEPS = 80


def test_a_receive_cancelled_at_any_step_ends(private_redis):
    layer = StudioChannelLayer(hosts=[{"address": private_redis.url, "socket_connect_timeout": 5}])

    async def cancelled_after(steps: int) -> bool:
        task = asyncio.ensure_future(layer.receive(await layer.new_channel()))
        for _ in range(steps):
            await asyncio.sleep(0)  # one turn of the loop, not a wait for time
        task.cancel()
        # A receive that ignored the cancel goes back to BZPOPMIN (5 s) forever; one that took it
        # ends in milliseconds.
        done, _ = await asyncio.wait([task], timeout=5)
        return bool(done)

    # A new event loop each time, as each socket test has: the connection pool is made afresh.
    stuck = [steps for steps in range(STEPS) if not asyncio.run(cancelled_after(steps))]
    assert stuck == []
