"""The search page from the versioned cache, stock read fresh (as listing_page does listings).

A search is two documents: the ordered ids of the best MAX_RESULTS matches per (normalised
query, market, sort), and one page of cards per (the same, page number), both under the home
version (every catalog write bumps it), the market's version and the synonyms' version (a
synonym edit bumps it). A repeated search costs one query: whether the page's products are in
stock. Queries are stored under a hash of their normalised text and age out with
STOREFRONT_CACHE_SECONDS like every storefront document. Only queries of at most
MAX_CACHED_QUERY characters that find something are stored: made-up strings find nothing (an
index lookup of a millisecond or two, not worth keeping), so they cannot fill the cache.
"""

from __future__ import annotations

from catalog import selectors as catalog_selectors
from catalog.selectors.search import has_searchable_words
from catalog.services.search_index import SYNONYMS_SCOPE
from shop import cache_versions
from shop.cache_versions import HOME, NAV, versioned_key
from shop.models import Market
from storefront import listing_page, page_cache

# More matches than this are not worth paging through: the page says there are more and asks
# for another word. Bounds the ids kept per query whatever the catalog's size.
MAX_RESULTS = 1000
MAX_CACHED_QUERY = 100  # the rendered-page cache's own limit on a parameter


def read_search_versions(market: Market, request=None) -> tuple[dict | None, dict | None]:
    """(the search's versions, those plus the category tree's) in one cache round trip, with
    the stock versions of the cards `request`'s page showed last time."""
    scopes = [HOME, cache_versions.market_scope(market.code), SYNONYMS_SCOPE]
    versions = page_cache.read_page_versions(request, [*scopes, NAV])
    if versions is None:
        return None, None
    return {scope: versions[scope] for scope in scopes}, versions


def cache_text(query: str) -> str:
    """The query as a cache key part: case and runs of spaces do not make another entry."""
    return " ".join(query.lower().split())


def get_result_ids(*, query: str, market: Market, sort: str, versions: dict | None) -> list[int]:
    """Ids of the best MAX_RESULTS + 1 matches in display order (the extra one says "more")."""
    if not has_searchable_words(query):
        return []
    key = _key("search-ids", [market.code, sort, cache_text(query)], _cacheable(query, versions))
    found = page_cache.fetch([key]).get(key) if key else None
    if found is not None:
        return found
    if sort == "featured":  # best match: read from the search index alone
        ids = catalog_selectors.search_product_ids(
            market=market, query=query, limit=MAX_RESULTS + 1
        )
    else:
        products = catalog_selectors.list_storefront_products(
            market=market, query=query, sort=sort
        )
        ids = list(products.values_list("pk", flat=True)[: MAX_RESULTS + 1])
    if key and ids:
        page_cache.store({key: ids})
    return ids


def get_page_cards(
    *, query: str, market: Market, sort: str, page_ids: list[int], number: int, versions
) -> dict:
    """{"cards": [...], "variant_ids": [...]} of one page of results, stock not included."""
    parts = [market.code, market.default_locale, sort, cache_text(query), number]
    key = _key("search-page", parts, _cacheable(query, versions)) if page_ids else None
    found = page_cache.fetch([key]).get(key) if key else None
    if found is not None:
        return found
    # The cards themselves depend on the catalog and the market, not on the synonyms.
    card_versions = {s: versions[s] for s in versions if s != SYNONYMS_SCOPE} if versions else None
    document = listing_page.build_cards(
        product_ids=page_ids, market=market, versions=card_versions
    )
    if key:
        document["version_key"] = key  # what the rendered page keys on (html_cache)
        page_cache.store({key: document})
    return document


def _cacheable(query: str, versions: dict | None) -> dict | None:
    return versions if len(cache_text(query)) <= MAX_CACHED_QUERY else None


def _key(name: str, parts: list, versions: dict | None) -> str | None:
    return versioned_key(name, parts, versions) if versions else None
