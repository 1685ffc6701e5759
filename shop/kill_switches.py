"""Reading the kill switches: what Operations switched off, the same in every web worker.

The set of switched-off (kind, target) pairs lives in the shared cache (Redis) under one key
for at most SWITCHES_TTL_SECONDS; `shop.services.set_kill_switch` deletes the key when its
transaction commits. So a flip reaches every process on its next check (the key is gone)
and, even if that delete was lost in a cache outage, within a second (the TTL). With the
cache down the database is read on every check: slower, still right.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

from shop import cache_versions, request_memo
from shop.models import KillSwitch, KillSwitchKind

logger = logging.getLogger(__name__)
SWITCHES_CACHE_KEY = "shop:kill_switches:v1"
SWITCHES_TTL_SECONDS = 1
K = KillSwitchKind
PAYMENT_METHODS = [("card", "Card")]


def _from_database() -> frozenset[tuple[str, str]]:
    return frozenset(KillSwitch.objects.filter(is_off=True).values_list("kind", "target"))


# In a request, the first version read fetches the switches along (shop.cache_versions).
cache_versions.fetch_with_request_versions(SWITCHES_CACHE_KEY)


def switched_off() -> frozenset[tuple[str, str]]:
    """Every (kind, target) switched off now (target "" for checkout); read once per request
    (shop.request_memo), with the request's first version read when it comes first."""
    return request_memo.remembered(SWITCHES_CACHE_KEY, _read_switched_off)


def _read_switched_off() -> frozenset[tuple[str, str]]:
    if request_memo.in_request() and cache_versions.read_versions(()) is not None:
        # The request's first cache read brought the switches with the versions (now or
        # earlier in the request); not there means the key holds nothing (its TTL ran out,
        # or a flip dropped it): asking the cache again would only say so once more.
        found = request_memo.peek(SWITCHES_CACHE_KEY)
        return found if isinstance(found, frozenset) else _cached_from_database()
    try:
        found = cache.get(SWITCHES_CACHE_KEY)
    except Exception:  # noqa: BLE001 - a cache outage must not open a switched-off checkout
        logger.warning("cache unavailable; reading kill switches from the database")
        return _from_database()
    return found if found is not None else _cached_from_database()


def _cached_from_database() -> frozenset[tuple[str, str]]:
    """The switches from the database, kept in the cache for SWITCHES_TTL_SECONDS."""
    found = _from_database()
    try:
        cache.set(SWITCHES_CACHE_KEY, found, SWITCHES_TTL_SECONDS)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable; kill switches not cached")
    return found


def forget_switches() -> None:
    """Make every process read the switches afresh (after a flip commits)."""
    request_memo.forget(SWITCHES_CACHE_KEY)
    try:
        cache.delete(SWITCHES_CACHE_KEY)
    except Exception:  # noqa: BLE001 - the 1-second TTL bounds the staleness anyway
        logger.warning("cache unavailable; kill switches expire by their TTL")


def is_off(kind: str, target: str = "") -> bool:
    return (kind, target) in switched_off()


def off_targets(kind: str) -> set[str]:
    """The targets of `kind` switched off now (shipping method codes, promotion ids…)."""
    return {target for k, target in switched_off() if k == kind}


def checkout_off(market_code: str | None = None) -> bool:
    """Checkout as a whole, or the market's checkout, is switched off."""
    off = switched_off()
    return (K.CHECKOUT, "") in off or (
        bool(market_code) and (K.MARKET, str(market_code).upper()) in off
    )
