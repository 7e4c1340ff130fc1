"""The Redis channel layer with a pool that waits for a free connection instead of failing.

channels_redis builds redis-py's plain ConnectionPool, which raises "Too many
connections" once max_connections commands are in flight: 200 sockets opening
at once failed half their handshakes. A BlockingConnectionPool queues them for
up to `pool_timeout` seconds; its connections are health-checked before reuse,
and redis-py retries a command on a fresh connection, so the first sockets
after a Redis restart work too.
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
        return aioredis.BlockingConnectionPool.from_url(
            address, max_connections=self.pool_size, timeout=self.pool_timeout,
            health_check_interval=5,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=5),
            retry_on_error=[ConnectionError, TimeoutError], **host,
        )
