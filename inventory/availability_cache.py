"""The availability storefront pages show, kept in each process and never stale.

Every storefront page shows availability, and reading it from PostgreSQL (one prepared
statement) was a quarter of a warm product page's CPU and nearly half of a listing's, between
the statement, the database's own work and waking up for the answer. Here each variant's
availability in a market is kept in this process under the variant's stock version
(`stock:<variant id>` in shop.cache_versions) and the version of the locations
(`stock-locations`: a location opened, closed or serving another market), all read from Redis
on every call in one round trip. Every stock write bumps the versions of the variants it moved
(`stock_moved`, from the inventory services: at once and again after commit, see
cache_versions.bump_stock_versions), so the very next page after a write reads the database.

Redis down: every call reads the database. A bump lost to a Redis failure is healed by the
entries' short life (AVAILABILITY_CACHE_SECONDS). Decisions (adding to a cart, reserving,
a promotion's stock condition) never read this: they call inventory.selectors directly.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings

from inventory.selectors import available_quantities
from shop.cache_versions import (
    STOCK_LOCATIONS,
    bump_stock_versions,
    read_stock_versions,
    stock_scope,
)

# {(market pk, variant id): ((locations version, stock version), expires at, units)}
_kept: dict[tuple[int | None, int], tuple[tuple[int, int], float, int]] = {}
MAX_KEPT = 50_000  # ~12 MB per worker at most; emptied whole when full


def kept_available_quantities(*, variant_ids, market) -> dict[int, int]:
    """What inventory.selectors.available_quantities answers, from this process's copies
    where the variants' stock versions say nothing moved since they were read."""
    variant_ids = list(dict.fromkeys(variant_ids))
    if not variant_ids:
        return {}
    versions = read_stock_versions(variant_ids)
    if versions is None:  # Redis down: the database, as if nothing were kept
        return available_quantities(variant_ids=variant_ids, market=market)
    located, stock_versions = versions
    stamps = {
        v: (located, version) for v, version in zip(variant_ids, stock_versions, strict=True)
    }
    market_pk = getattr(market, "pk", None)
    now = time.monotonic()
    found, missing = {}, []
    for variant_id, stamp in stamps.items():
        entry = _kept.get((market_pk, variant_id))
        if entry is not None and entry[0] == stamp and now < entry[1]:
            found[variant_id] = entry[2]
        else:
            missing.append(variant_id)
    if missing:
        # Kept under the versions read before the database: a write committing in between
        # bumps them again afterwards, so a figure older than it is never found.
        fresh = available_quantities(variant_ids=missing, market=market)
        if len(_kept) + len(fresh) > MAX_KEPT:
            _kept.clear()
        expires = now + settings.AVAILABILITY_CACHE_SECONDS
        for variant_id, units in fresh.items():
            _kept[(market_pk, variant_id)] = (stamps[variant_id], expires, units)
        found.update(fresh)
    return found


def stock_moved(variant_ids: Iterable[int]) -> None:
    """The stock of these variants changed (or is about to, in this transaction): their kept
    availability is read again from the database, everywhere, from the next request on."""
    bump_stock_versions(map(stock_scope, variant_ids))


def locations_changed(**_signal) -> None:
    """A location was opened, closed, added, removed or made to serve other markets: every
    kept availability is read again (a signal receiver: the admin edits locations directly)."""
    bump_stock_versions([STOCK_LOCATIONS])


def forget_local() -> None:
    """Empty this process's copies (tests)."""
    _kept.clear()
