"""Versioned documents kept in Redis and, copied, in this process: the storefront's pages and
the catalog API's answers read and write them here.

A key from `shop.cache_versions.versioned_key` names one version of its document for ever
(versions start from the clock, so a flushed Redis never brings an old number back), so a copy
kept in this process is as true as Redis's: only the versions are read from Redis on each
request, not the documents (nor unpickled again). A cache failure is logged (the circuit
breaker opens) and the caller builds from the database instead, never a 500.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache

from shop import cache_versions

# Documents recently read or built in this process, by key. Bounded LRU.
LOCAL_ENTRIES = 2000
_local: OrderedDict[str, tuple[float, object]] = OrderedDict()  # key: (expires at, value)
_local_lock = threading.Lock()


def _remember(entries: dict) -> None:
    # As long as Redis keeps them: a version bump lost during an outage heals in every worker.
    expires = time.monotonic() + settings.STOREFRONT_CACHE_SECONDS
    with _local_lock:
        for key, value in entries.items():
            _local[key] = (expires, value)
            _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)


def forget_local() -> None:
    """Empty this process's copies (tests that count cache reads)."""
    with _local_lock:
        _local.clear()


def fetch(keys: list[str], *, local: bool = True) -> dict:
    """{key: value} of the keys found, this process's copies first; {} when the cache is down.

    Documents are shared between requests: callers never mutate what they get. `local=False`:
    Redis only, nothing copied here (many small parts, such as the cards a page is put
    together from, would push whole pages out of this process's bounded copies).
    """
    found = {}
    now = time.monotonic()
    with _local_lock:
        for key in keys if local else ():
            expires, value = _local.get(key, (0.0, None))
            if now < expires:
                found[key] = value
                _local.move_to_end(key)
    missing = [key for key in keys if key not in found]
    if not missing or not cache_versions.cache_available():
        return found
    try:
        remote = cache.get_many(missing)
    except Exception:  # noqa: BLE001 - any cache failure: build from the database
        cache_versions.report_cache_failure("cached documents unreadable; served")
        return found
    if local:
        _remember(remote)
    return {**found, **remote}


def store(entries: dict, *, local: bool = True) -> None:
    """Keep `entries` for STOREFRONT_CACHE_SECONDS; a cache failure only costs the next read.
    `local=False`: in Redis only (see fetch)."""
    if not entries or not cache_versions.cache_available():
        return
    if local:
        _remember(entries)
    try:
        cache.set_many(entries, settings.STOREFRONT_CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        cache_versions.report_cache_failure("cached documents not stored; served")
