"""Reads of the platform core."""

import logging
import time

from django.conf import settings
from django.core.cache import cache

from shop import cache_versions
from shop.compiled import CompiledQuery
from shop.models import Channel, Market

_MARKETS_CACHE_KEY = "shop:markets:v1"
logger = logging.getLogger(__name__)


# This process's copy of the markets, for MARKETS_LOCAL_SECONDS: every request reads them, and
# a Redis round trip is a good part of a cached storefront page. (expires at, markets)
_local_markets: tuple[float, list[Market]] = (0.0, [])


def list_markets() -> list[Market]:
    """Active markets, cached briefly (this process's copy for MARKETS_LOCAL_SECONDS, then the
    shared cache for 60 s): every request needs them."""
    global _local_markets
    expires, markets = _local_markets
    if markets and time.monotonic() < expires:
        return markets
    markets = _shared_markets()
    if settings.MARKETS_LOCAL_SECONDS > 0:
        _local_markets = (time.monotonic() + settings.MARKETS_LOCAL_SECONDS, markets)
    return markets


def _shared_markets() -> list[Market]:
    try:
        markets = cache.get(_MARKETS_CACHE_KEY)
    except Exception:  # noqa: BLE001 - a cache outage must not take the storefront down
        logger.warning("cache unavailable; reading markets from the database", exc_info=True)
        return list(Market.objects.filter(is_active=True))
    if markets is None:
        markets = list(Market.objects.filter(is_active=True))
        try:
            cache.set(_MARKETS_CACHE_KEY, markets, 60)
        except Exception:  # noqa: BLE001
            logger.warning("cache unavailable; markets not cached", exc_info=True)
    return markets


def get_market(code: str | None, *, markets: list[Market] | None = None) -> Market:
    """The market with `code`, else the default one. Never raises: a shop always has a market.

    `markets` is a `list_markets()` the caller read already. Falls back to an unsaved US/USD
    market while the database has none (fresh install).
    """
    markets = {m.code: m for m in (list_markets() if markets is None else markets)}
    wanted = (code or "").upper()
    if wanted in markets:
        return markets[wanted]
    if settings.DEFAULT_MARKET in markets:
        return markets[settings.DEFAULT_MARKET]
    if markets:
        return next(iter(markets.values()))
    return Market(
        code="US",
        name="United States",
        currency="USD",
        countries=["US"],
        timezone="America/New_York",
        default_locale="en",
    )


def find_market(code: str) -> Market | None:
    """The active market with exactly this code, or None (for validating explicit input)."""
    return {m.code: m for m in list_markets()}.get((code or "").upper())


# Read for every cart opened (storefront and API): compiled once per connection, it costs a
# fraction of the ORM's ~0.35 ms of CPU a read (shop.compiled).
_OPEN_CHANNEL = CompiledQuery(
    lambda code: Channel.objects.filter(code=code, is_active=True).order_by("pk")[:1],
    code=str,
)


def find_open_channel(code: str) -> Channel | None:
    """The sales channel with this code if it is open (active), else None."""
    return next(_OPEN_CHANNEL.objects(code=code), None)


def clear_market_cache(*, market_code: str | None = None) -> None:
    """Forget the cached markets. During a cache outage the stale copy (if Redis kept one)
    expires within its 60 seconds; a market edit in the admin must not fail for that."""
    global _local_markets
    _local_markets = (0.0, [])  # other workers' copies last MARKETS_LOCAL_SECONDS at most
    try:
        cache.delete(_MARKETS_CACHE_KEY)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable; cached markets not cleared", exc_info=True)
    # The market's storefront documents (its currency, locale or name may have changed).
    if market_code:
        cache_versions.bump_versions([cache_versions.market_scope(market_code)])
