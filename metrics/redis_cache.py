"""Django's Redis cache, with one redis-py client per connection pool (issue 14).

Django's RedisCacheClient makes a new `redis.Redis` for every cache call, and each one
builds redis-py's table of response callbacks (about 170 entries): a fifth of the CPU of
a page served from the cache, measured in-process (cProfile with process time, three
cache reads a page). A `redis.Redis` over a connection pool is safe to share between
threads (redis-py's docs), and the pool is what Django already keeps, so keeping the
client too changes nothing but that cost.

And the reads and writes of the cache that a cache that is down never fails.
"""

import contextlib

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

from .aggregates.queue import UNREACHABLE


class KeptClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClient


def cache_get(key):
    """The cached value of `key`, or None also when the cache (Redis) cannot be reached:
    a cache that is down costs speed, never the answer."""
    try:
        return cache.get(key)
    except UNREACHABLE:
        return None


def cache_set(key, value, seconds):
    """Cache `value`, unless the cache cannot be reached."""
    with contextlib.suppress(*UNREACHABLE):
        cache.set(key, value, seconds)
