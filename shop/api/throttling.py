"""API throttles: one cache round trip per request, and still counting when Redis is down.

DRF's stock throttles keep each client's request history (a list of timestamps, up to the
rate's number of requests) in the cache, read and written whole on every request: a GET and
a SET of a list that grows with the rate, per throttle, and an anonymous request went
through two (the user throttle counted anonymous clients too). These count requests per
fixed window instead: one INCR (with its EXPIRE, pipelined) per request, whatever the rate;
the user throttle leaves anonymous clients to the anonymous one. A fixed window lets a
client make up to twice the rate across a window boundary; the limit is a guard against
abuse, not a quota, so that is the trade for O(1) work on every API call.

With Redis unreachable every read raised and every /api/v1/ call answered 500. These count in
the shared cache while it answers, and when it fails switch to a per-process memory for
OUTAGE_RETRY_SECONDS, logging one warning per switch, then try Redis again.

Why a per-process limiter rather than failing open: the token endpoint's `auth` rate is what
slows credential stuffing, and an outage is no time to drop it. The cost: with N worker
processes a client may make up to N times the configured rate while Redis is down, and the
history starts afresh when it returns. docs/configuration.md says so.
"""

import logging
import threading
import time

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling

logger = logging.getLogger(__name__)

OUTAGE_RETRY_SECONDS = 30


class OutageTolerantCache:
    """The few cache calls DRF's throttles make (get, set), against the shared cache while it
    answers and a process-local memory while it does not."""

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self.local = LocMemCache("emporium-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 20000}})
        self._shared_down_until = 0.0
        self._lock = threading.Lock()

    def shared_is_down(self) -> bool:
        return time.monotonic() < self._shared_down_until

    def _shared_failed(self) -> None:
        with self._lock:
            if self.shared_is_down():
                return
            self._shared_down_until = time.monotonic() + OUTAGE_RETRY_SECONDS
        logger.warning(
            "Cache unreachable: API throttles count in this process for the next %d s",
            OUTAGE_RETRY_SECONDS,
            exc_info=True,
        )

    def hit(self, key: str, timeout: int) -> int:
        """Count one request under `key` (kept `timeout` seconds); return the count so far."""
        if not self.shared_is_down():
            try:
                return _count(caches[self.alias], key, timeout)
            except Exception:  # noqa: BLE001 - any cache failure: count in this process
                self._shared_failed()
        return _count(self.local, key, timeout)

    def reset(self) -> None:
        """Forget the outage and the local counts (tests)."""
        self._shared_down_until = 0.0
        self.local.clear()


def _count(cache, key: str, timeout: int) -> int:
    if isinstance(cache, RedisCache):
        # INCR and EXPIRE in one round trip; EXPIRE again on every hit is harmless, the key
        # names its window.
        name = cache.make_and_validate_key(key)
        pipe = cache._cache.get_client(name, write=True).pipeline(transaction=False)
        count, _ = pipe.incr(name).expire(name, timeout).execute()
        return int(count)
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this request starts the window
        cache.set(key, 1, timeout)
        return 1


throttle_cache = OutageTolerantCache()


class WindowCounting(throttling.SimpleRateThrottle):
    """DRF's SimpleRateThrottle counting per fixed window. Listed after DRF's own class in
    each throttle below, so ScopedRateThrottle still picks its scope first."""

    cache = throttle_cache

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.seconds_left = (window + 1) * self.duration - now
        count = self.cache.hit(f"{self.key}:{window}", self.duration)
        return count <= self.num_requests

    def wait(self):
        return self.seconds_left


class AnonRateThrottle(throttling.AnonRateThrottle, WindowCounting):
    pass


class UserRateThrottle(throttling.UserRateThrottle, WindowCounting):
    """Signed-in clients by user; anonymous ones are the AnonRateThrottle's."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(throttling.ScopedRateThrottle, WindowCounting):
    pass
