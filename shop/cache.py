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

`set_many` with an expiry is one Lua script (a SET with EX per key, one reply) instead of
Django's MULTI, MSET, an EXPIRE per key and EXEC (a reply each, on a connection taken from the
pool): a page of 24 new cards was 28 replies to read back.
"""

from __future__ import annotations

import hashlib
import os
import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import NoScriptError


class LuaScript:
    """A Lua script run by its SHA1 (EVALSHA), sent whole only when the server lacks it (a
    restart, SCRIPT FLUSH). The same on every client and thread, unlike redis-py's Script,
    which is bound to the client it was registered with."""

    every: list[LuaScript] = []  # those defined (tests load them first, to count round trips)

    def __init__(self, source: str):
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()
        LuaScript.every.append(self)

    def __call__(self, client, keys: list, args: list = ()):
        try:
            return client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return client.eval(self.source, len(keys), *keys, *args)


# ARGV[1]: seconds to live; ARGV[i + 1]: the value of KEYS[i]. Atomic, as Django's MULTI was.
SET_MANY_EXPIRING = LuaScript(
    """
for i, key in ipairs(KEYS) do
    redis.call('SET', key, ARGV[i + 1], 'EX', ARGV[1])
end
return #KEYS
"""
)


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

    def set_many(self, data, timeout):
        if timeout is None or timeout <= 0 or not data:  # no expiry, or Django's delete
            return super().set_many(data, timeout)
        values = [self._serializer.dumps(value) for value in data.values()]
        SET_MANY_EXPIRING(self.get_client(write=True), list(data), [timeout, *values])


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
