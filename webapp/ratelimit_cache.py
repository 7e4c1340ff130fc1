"""The cache that counts rate limits, on the same Redis as everything else.

Rate limits protect the site; they must not take it down. When Redis cannot be
reached, the job submission path still has to answer (it keeps the files and
lets the sweeper queue them later), so a counting failure lets the request
through (with RATELIMIT_FAIL_OPEN) instead of raising a 500.
"""
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class RateLimitCache(RedisCache):
    """RedisCache whose counting calls report "not counted" when Redis is unreachable."""

    def add(self, key, value, timeout=None, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError:
            log.warning("rate limit not counted: Redis is unreachable", exc_info=True)
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except RedisError:
            # django-ratelimit reads a ValueError as "the count is unknown".
            raise ValueError("Redis is unreachable") from None
