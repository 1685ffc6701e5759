"""Django's Redis cache backend, keeping one Redis client per connection pool and thread, each
holding its own connection.

Django's RedisCacheClient builds a new `redis.Redis` object for every cache call; each
construction fills a table of about 80 response callbacks, which profiled at a fifth of a
millisecond per call, several calls a request (markets, rate tables, throttles, sessions,
versions). So one client is kept instead.

It is kept per thread with redis-py's `single_connection_client`: the client holds one
connection of the pool for its life instead of taking one from the pool and giving it back
on every command. That hand-over (the pool's lock, its health check of the socket, the
release) was a quarter of a round trip's CPU, ~16 of ~61 µs measured single-threaded, and
every storefront page makes at least one round trip (its versions). Per thread, because a
single-connection client serialises its commands on a lock: threads of one process never
wait for each other's round trips. A thread's client (and its connection) goes when the
thread does; a forked child makes its own, never sharing its parent's socket. Pipelines
still take their own connection from the pool. Redis down: building the client raises, as
the command would have, and the next call tries again. A kept connection the server closed
(a restart, an idle timeout) is opened again for the same command: the pool's check used to
do that when it handed the connection out, and now the cache's `retry` option does
(shop/settings.py; tests/shop/test_cache_outage.py).
"""

from __future__ import annotations

import os
import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    def get_client(self, key=None, *, write=False):
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.clients, local.pid = {}, os.getpid()
        pool = self._get_connection_pool(write)
        client = local.clients.get(id(pool))
        if client is None:
            client = self._client(connection_pool=pool, single_connection_client=True)
            local.clients[id(pool)] = client
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
