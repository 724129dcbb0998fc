"""The Redis cache as the portal uses it: a cache, never a dependency.

Everything the portal keeps in the cache (travel-leg times, ...) can be computed
again, so while Redis is unreachable a read is a miss and a write is dropped,
each logged. Django's own Redis backend raises instead, which turned a Redis
outage into failed pings and pages.
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


def _tolerant(name: str, fallback):
    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except OUTAGE_ERRORS as error:
                logger.warning("cache %s skipped, Redis unreachable: %s", name, error)
                return fallback(args, kwargs)

        return call

    return wrap


def _default_of(args, kwargs):
    return kwargs.get("default", args[1] if len(args) > 1 else None)


class OutageTolerantRedisCache(RedisCache):
    get = _tolerant("get", _default_of)(RedisCache.get)
    get_many = _tolerant("get_many", lambda a, k: {})(RedisCache.get_many)
    has_key = _tolerant("has_key", lambda a, k: False)(RedisCache.has_key)
    set = _tolerant("set", lambda a, k: None)(RedisCache.set)
    set_many = _tolerant("set_many", lambda a, k: list(a[0]) if a else [])(RedisCache.set_many)
    add = _tolerant("add", lambda a, k: False)(RedisCache.add)
    touch = _tolerant("touch", lambda a, k: False)(RedisCache.touch)
    delete = _tolerant("delete", lambda a, k: False)(RedisCache.delete)
    delete_many = _tolerant("delete_many", lambda a, k: None)(RedisCache.delete_many)
