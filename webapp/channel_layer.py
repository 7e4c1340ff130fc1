"""The Redis channel layer with a pool that waits for a free connection instead of failing.

channels_redis builds redis-py's plain ConnectionPool, which raises "Too many
connections" once max_connections commands are in flight: 200 sockets opening
at once failed half their handshakes. A BlockingConnectionPool queues them for
up to `pool_timeout` seconds; its connections are health-checked before reuse,
and redis-py retries a command on a fresh connection, so the first sockets
after a Redis restart work too.

Its connections have no socket timeout. With one, redis-py sends every command
through asyncio.wait_for, and on Python 3.11 wait_for drops a cancellation that
arrives as the write completes (fixed in 3.12). A consumer cancelled there, as
every socket's receive is when it closes, went on waiting for messages forever
and kept a pool connection (tests/webapp/test_channel_layer_pool.py). Nothing
needs the timeout: BZPOPMIN returns after channels_redis's brpop_timeout, a
Redis that dies closes the connection, and connecting has its own timeout.
(DESIGN.md's trap, redis-py 8's 5 s default killing idle consumers, is avoided
the same way: no timeout at all rather than one above brpop_timeout.)
"""
from channels_redis.core import RedisChannelLayer
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError


class StudioChannelLayer(RedisChannelLayer):
    def __init__(self, *args, pool_size: int = 100, pool_timeout: float = 20.0, **kwargs):
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout
        super().__init__(*args, **kwargs)

    def create_pool(self, index):
        host = dict(self.hosts[index])
        address = host.pop("address")
        host["socket_timeout"] = None
        return aioredis.BlockingConnectionPool.from_url(
            address, max_connections=self.pool_size, timeout=self.pool_timeout,
            health_check_interval=5,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=5),
            retry_on_error=[ConnectionError, TimeoutError], **host,
        )
