"""The shipping-rate and tax-rate tables, read once and cached (they change rarely).

Every cart page and every checkout prices with them, so they come from the cache (one
round trip for both) instead of two queries each time. Saving or deleting a row through
the ORM (the admin does) drops the cached copy (signals in orders/apps.py); anything else
is picked up within TABLE_CACHE_SECONDS. A cache outage falls back to the database.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction

from orders.providers.shipping.table import RateRow
from orders.providers.tax.manual import Rate
from shop import cache_versions, request_memo

logger = logging.getLogger(__name__)
CACHE_KEY = "orders:rate-tables:v1"
TABLE_CACHE_SECONDS = 300


def _read_database() -> tuple[list[RateRow], list[Rate]]:
    from orders.models import ShippingRate, TaxRate

    shipping = [
        RateRow(
            method_code=r.method.code,
            method_name=r.method.name,
            method_position=r.method.position,
            zone_countries=tuple(r.zone.countries),
            zone_regions=tuple(r.zone.regions),
            currency=r.currency,
            price_cents=r.price_cents,
            min_weight_grams=r.min_weight_grams,
            max_weight_grams=r.max_weight_grams,
            min_order_cents=r.min_order_cents,
            max_order_cents=r.max_order_cents,
            free_over_cents=r.free_over_cents,
            description=r.method.description,
            min_days=r.method.min_days,
            max_days=r.method.max_days,
        )
        for r in ShippingRate.objects.filter(is_active=True, method__is_active=True)
        .select_related("method", "zone")
        .order_by("pk")
    ]
    tax = [
        Rate(r.country, r.region, r.rate_ppm, r.prices_include_tax, r.applies_to_shipping, r.name)
        for r in TaxRate.objects.filter(is_active=True).order_by("pk")
    ]
    return shipping, tax


def rate_tables() -> tuple[list[RateRow], list[Rate]]:
    """(shipping rate rows, tax rates), both active only; read once per request
    (shop.request_memo)."""
    return request_memo.remembered(CACHE_KEY, _read_tables)


# In a request, the first version read fetches the tables along (decoded only here).
cache_versions.fetch_with_request_versions(CACHE_KEY, decode_when_asked=True)


def _read_tables() -> tuple[list[RateRow], list[Rate]]:
    fetched = cache_versions.take_request_value(CACHE_KEY)
    if fetched is None:  # the request's read found none: the database, kept for the next
        return _cache_database_tables()
    if fetched is not cache_versions.NOT_FETCHED:
        return fetched
    try:
        cached = cache.get(CACHE_KEY)
    except Exception:  # the cache is an optimisation: never fail a checkout over it
        logger.warning("rate tables: cache unavailable, reading the database")
        return _read_database()
    if cached is not None:
        return cached
    return _cache_database_tables()


def _cache_database_tables() -> tuple[list[RateRow], list[Rate]]:
    tables = _read_database()
    try:
        cache.set(CACHE_KEY, tables, TABLE_CACHE_SECONDS)
    except Exception:
        logger.warning("rate tables: could not cache them")
    return tables


def forget_rate_tables(**_kwargs) -> None:
    """Drop the cached tables (a rate, zone, method or tax rate changed): now, and again when
    the change commits. Dropping only now would let a checkout running meanwhile read the
    tables as they were before the commit and cache that copy for TABLE_CACHE_SECONDS."""
    _drop_cached_tables()
    transaction.on_commit(_drop_cached_tables)


def _drop_cached_tables() -> None:
    request_memo.forget(CACHE_KEY)
    cache_versions.forget_request_value(CACHE_KEY)
    try:
        cache.delete(CACHE_KEY)
    except Exception:
        logger.warning("rate tables: could not drop the cached copy")
