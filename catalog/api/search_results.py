"""The API's `?q=` results for the paginator: counted and paged on the search index, both
cached under the catalog's versions.

The count and each page's product ids are kept per (market, normalised query, offset, size)
under the versions the storefront's search page uses: `home` (every catalog write bumps it),
`market:<code>` and `search-synonyms`, so a write is visible on the next request and nothing
is deleted. The page's products (their prices) and stock are read fresh. Only queries of at
most MAX_CACHED_QUERY characters that find something are stored (made-up strings cannot fill
the cache). A cache failure logs and reads the index instead (shop.cache_versions opens its
circuit breaker).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from catalog import selectors
from catalog.services.search_index import SYNONYMS_SCOPE
from shop import cache_versions
from shop.cache_versions import HOME, read_versions, versioned_key
from shop.models import Market

MAX_CACHED_QUERY = 100


class SearchResults:
    """A search's products as the paginator reads them (len() and a slice): the count and the
    page's ids from the index (cached), then only that page's products."""

    def __init__(self, market: Market, query: str):
        self.market, self.query = market, query
        self.versions = read_versions(
            [HOME, cache_versions.market_scope(market.code), SYNONYMS_SCOPE]
        )

    def __len__(self):
        return self._cached(
            "api-search-count",
            [],
            lambda: selectors.count_search_results(market=self.market, query=self.query),
        )

    def __getitem__(self, page: slice):
        offset = page.start or 0
        limit = page.stop - offset
        ids = self._cached(
            "api-search-ids",
            [offset, limit],
            lambda: selectors.search_product_ids(
                market=self.market, query=self.query, limit=limit, offset=offset
            ),
        )
        return selectors.list_products_in_order(market=self.market, product_ids=ids)

    def _cached(self, name: str, parts: list, build):
        text = " ".join(self.query.lower().split())
        if not self.versions or len(text) > MAX_CACHED_QUERY:
            return build()
        key = versioned_key(name, [self.market.code, text, *parts], self.versions)
        try:
            found = cache.get(key)
        except Exception:  # noqa: BLE001 - any cache failure: read the index
            cache_versions.report_cache_failure("API search results read")
            found = None
        if found is not None:
            return found
        value = build()
        if not value:  # made-up strings find nothing: cheap to repeat, not worth a key
            return value
        try:
            cache.set(key, value, settings.STOREFRONT_CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            cache_versions.report_cache_failure("API search results not stored")
        return value
