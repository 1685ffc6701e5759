"""API throttles that keep counting when Redis is down.

DRF's throttles keep each client's request history in the cache; with Redis unreachable every
read raised and every /api/v1/ call answered 500. These read and write the shared cache as
before, and when it fails switch to a per-process memory for OUTAGE_RETRY_SECONDS, logging one
warning per switch, then try Redis again.

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

    def get(self, key, default=None):
        if not self.shared_is_down():
            try:
                return caches[self.alias].get(key, default)
            except Exception:  # noqa: BLE001 - any cache failure: count in this process
                self._shared_failed()
        return self.local.get(key, default)

    def set(self, key, value, timeout=None):
        if not self.shared_is_down():
            try:
                caches[self.alias].set(key, value, timeout)
                return
            except Exception:  # noqa: BLE001
                self._shared_failed()
        self.local.set(key, value, timeout)

    def reset(self) -> None:
        """Forget the outage and the local counts (tests)."""
        self._shared_down_until = 0.0
        self.local.clear()


throttle_cache = OutageTolerantCache()


class AnonRateThrottle(throttling.AnonRateThrottle):
    cache = throttle_cache


class UserRateThrottle(throttling.UserRateThrottle):
    cache = throttle_cache


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    cache = throttle_cache
