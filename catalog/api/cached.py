"""The public catalog API's reads for shoppers, from the versioned cache (shop.cache_versions).

An app or an integrator reading `GET /api/v1/products/{handle}` or a page of
`GET /api/v1/products` at peak asks for the same few answers again and again. Everything in
them except stock is cached under a key that holds the versions of what it was built from, so a
catalog write makes the old answer unreachable on its commit (catalog.services bump the
versions); stock is read fresh on every request, in one query, as the product page reads it.
Answers are kept as the pages' documents are (shop.documents: this process's copy first, then
Redis), so a warm answer costs one cache round trip: the versions, with the stock versions of
its variants (shop.cache_versions.read_versions_and_stock), whose availability is then usually
this process's copy (inventory.availability_cache).

- detail: per product and market, versions of the product and the market;
- list pages: per market, category, search words, page and page size, versions of `home` (bumped
  by every product write), the market, the category and the search synonyms. Only searches of
  at most 100 characters that find something are kept, and page numbers are keyed by value.

Staff who see drafts, and list requests with parameters the API does not know, are answered
from the database without caching: their answers differ per user, and unknown parameters must
not multiply the keys. With the cache down every read goes to the database (never a 500).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from catalog.models import Category
from catalog.services.search_index import SYNONYMS_SCOPE
from shop import cache_versions, documents
from shop.api.pagination import StandardPagination
from shop.cache_versions import (
    HOME,
    note_stock_hint,
    read_versions,
    read_versions_and_stock,
    read_versions_with_hinted_stock,
    versioned_key,
)
from shop.models import Market

LIST_PARAMETERS = frozenset({"market", "category", "q", "page", "page_size"})
# Longer search words are answered but not kept, as the search page does (docs/storefront.md):
# every distinct query is an entry, so the key space stays what shoppers really type.
MAX_KEPT_QUERY = 100
MAX_PAGE_SIZE = StandardPagination.max_page_size


def _handle_key(handle: str) -> str:
    """The key of the handle's (product id, variant ids): what a warm answer reads first."""
    return "api:product-handle:" + hashlib.blake2b(handle.encode(), digest_size=16).hexdigest()


def _detail_scopes(product_id: int, market: Market) -> list[str]:
    return [cache_versions.product_scope(product_id), cache_versions.market_scope(market.code)]


def _detail_key(product_id: int, market: Market, versions: dict[str, int]) -> str:
    return versioned_key("api-product", [product_id, market.code], versions)


def product_detail(*, handle: str, market: Market, build: Callable[[], dict], fill) -> dict:
    """The detail answer for `handle` in `market`.

    `build()` reads the product from the database and returns the entry to cache:
    {"product_id", "data" (the answer without stock), "variant_ids" (in answer order)};
    `fill(entry)` puts fresh stock in and returns the answer. Raises what `build` raises.
    """
    handle_entry = documents.fetch([_handle_key(handle)]).get(_handle_key(handle))
    if handle_entry is not None:
        product_id, variant_ids = handle_entry
        # With the variants' stock versions, which `fill` reads next: one Redis round trip.
        versions = read_versions_and_stock(_detail_scopes(product_id, market), list(variant_ids))
        if versions is not None:
            key = _detail_key(product_id, market, versions)
            entry = documents.fetch([key]).get(key)
            if entry is not None and entry["data"]["handle"] == handle:
                return fill(entry)
    entry = build()
    versions = read_versions(_detail_scopes(entry["product_id"], market))
    if versions is not None:
        key = _detail_key(entry["product_id"], market, versions)
        handle_entry = (entry["product_id"], tuple(entry["variant_ids"]))
        documents.store({_handle_key(handle): handle_entry, key: entry})
    return fill(entry)


def list_page(*, params, market: Market, category: Category | None, url: str, build, fill) -> dict:
    """A page of the product list.

    `build()` returns the entry to cache: {"data" (the page answer without stock),
    "variant_rows" ([(variant id, product id)] whose stock the answer shows), and what
    `fill(entry)` needs to put fresh stock in and return the answer}. Requests with unknown
    parameters are built every time (see the module docstring). `url` is the request's absolute
    URL without its query (the answer's next/previous links are built on it).
    """
    query = " ".join(params.get("q", "").split()).lower()
    page, page_size = _number(params.get("page", "")), _number(params.get("page_size", ""))
    if (
        not set(params) <= LIST_PARAMETERS
        or len(query) > MAX_KEPT_QUERY
        or page is None
        or page_size is None
    ):
        return fill(build())
    scopes = [HOME, cache_versions.market_scope(market.code)]
    if category is not None:
        scopes.append(cache_versions.category_scope(category.pk))
    if query:
        scopes.append(SYNONYMS_SCOPE)
    parts = [
        url,
        market.code,
        category.pk if category else "",
        query,
        page,
        # DRF reads a page size of 0 as none given and caps it at the maximum.
        min(page_size, MAX_PAGE_SIZE) if page_size else "",
    ]
    # With the stock versions of the variants this page showed last time: one round trip.
    hint_key = ("api-products", repr(parts))
    versions = read_versions_with_hinted_stock(scopes, hint_key)
    if versions is None:
        return fill(build())
    key = versioned_key("api-products", parts, versions)
    entry = documents.fetch([key]).get(key)
    if entry is None:
        entry = build()
        if not query or entry["data"]["count"]:  # made-up words find nothing: not kept
            documents.store({key: entry})
    note_stock_hint(hint_key, (v for v, _p in entry.get("variant_rows", ())))
    return fill(entry)


def _number(text: str) -> int | str | None:
    """A page or page size as the key holds it: "" when absent, its value when a plain number
    ("007" is 7, so zeros cannot make new keys), None for anything else (answered, not kept)."""
    if text == "":
        return ""
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return None
