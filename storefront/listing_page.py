"""Category listings and the home page from the versioned cache, stock read fresh.

A listing is three documents: the category's facets (per category, market), the ordered product
ids (per category, filters, sort, market) and one page of cards (the same plus the page
number), each under the versions of the category and the market. Only facet values the form
accepts and the known sorts make it into a key, and only pages that exist are stored, so no
request can grow the key space. The home page is one document per market and home/nav version.
Whether a card's product is in stock is never cached: one query per page (`with_stock`), and
a rendered page is kept only under the stock versions of its variants.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from itertools import chain
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import QueryDict
from django.utils.translation import gettext

from catalog import selectors as catalog_selectors
from catalog.models import Category
from shop import cache_versions
from shop.cache_versions import HOME, NAV, versioned_key
from shop.models import Market
from storefront import page_cache, selectors
from storefront.page_cache import NavCategory

PER_PAGE = 24
HOME_PRODUCTS = 8
HOME_CATEGORIES = 6


def listing_scopes(category: NavCategory, market: Market) -> list[str]:
    return [cache_versions.category_scope(category.pk), cache_versions.market_scope(market.code)]


def read_listing_versions(category: NavCategory, market: Market, request=None) -> dict | None:
    """The listing's versions with the nav's (and, for `request`, the stock's: see
    page_cache.read_page_versions) in one cache round trip."""
    return page_cache.read_page_versions(request, [*listing_scopes(category, market), NAV])


def get_facets(*, category: NavCategory, market: Market, versions: dict | None) -> list:
    """The category's filterable attributes and their values (cached per category version)."""
    key = _key("facets", [category.pk, market.code, market.default_locale], versions)
    found = page_cache.fetch([key]).get(key) if key else None
    if found is not None:
        return found
    products = catalog_selectors.list_storefront_products(
        market=market, category=_category_row(category)
    )
    facets = selectors.list_attribute_facets(products=products, locale=market.default_locale)
    if key:
        page_cache.store({key: facets})
    return facets


def get_product_ids(
    *, category: NavCategory, market: Market, sort: str, filters: dict, versions: dict | None
) -> list[int]:
    """The listing's product ids in display order (cached per category version)."""
    key = _key("ids", [category.pk, market.code, sort, sorted(filters.items())], versions)
    found = page_cache.fetch([key]).get(key) if key else None
    if found is not None:
        return found
    ids = list(
        catalog_selectors.list_storefront_products(
            market=market, category=_category_row(category), sort=sort, attribute_filters=filters
        ).values_list("pk", flat=True)
    )
    if key:
        page_cache.store({key: ids})
    return ids


def get_page_cards(
    *,
    category: NavCategory,
    market: Market,
    sort: str,
    filters: dict,
    page_ids: list[int],
    number: int,
    versions: dict | None,
) -> dict:
    """{"cards": [...], "variant_ids": [[...] per card]} for one page, stock not included."""
    parts = [category.pk, market.code, market.default_locale, sort, sorted(filters.items())]
    key = _key("page", [*parts, number], versions)
    found = page_cache.fetch([key]).get(key) if key else None
    if found is not None:
        return found
    scopes = listing_scopes(category, market)
    card_versions = {scope: versions[scope] for scope in scopes} if versions else None
    document = build_cards(product_ids=page_ids, market=market, versions=card_versions)
    if key:
        document["version_key"] = key  # what the rendered page keys on (html_cache)
        page_cache.store({key: document})
    return document


def build_cards(*, product_ids: list[int], market: Market, versions: dict | None = None) -> dict:
    """Cards (no stock claim yet) and each card's active variant ids, in `product_ids` order.

    `versions`: the versions the calling page's cards depend on (the page document's own,
    whatever else it keys on left out). Each product's card is kept under them, so a page
    whose products other pages showed already (another search, another sort or filter) is
    put together from their cards, and only the others are read from the database."""
    keys = (
        {
            pid: _key("card", [pid, market.code, market.default_locale], versions)
            for pid in product_ids
        }
        if versions
        else {}
    )
    # In Redis only: a catalog's worth of cards in this process's bounded copies would push
    # out the page and product documents every request reads.
    found = page_cache.fetch(list(keys.values()), local=False) if keys else {}
    missing = [pid for pid in product_ids if keys.get(pid) not in found]
    built = _read_cards(missing, market) if missing else {}
    if keys and built:
        page_cache.store({keys[pid]: entry for pid, entry in built.items()}, local=False)
    entries = [found.get(keys.get(pid)) or built.get(pid) for pid in product_ids]
    present = [entry for entry in entries if entry is not None]
    return {
        "cards": [card for card, _ids in present],
        "variant_ids": [ids for _card, ids in present],
    }


def _read_cards(product_ids: list[int], market: Market) -> dict[int, tuple]:
    """{product id: (card, its active variant ids)} of the sellable ones among `product_ids`."""
    return selectors.read_product_cards(product_ids=product_ids, market=market)


class StockedCards(Sequence):
    """A document's cards with today's in-stock flags.

    `stamp` is what the flags are read under (shop.cache_versions.read_stock_stamp, the same
    for every document of a page): it keys the rendered page (html_cache), so a page served
    from that cache never reads the flags, nor builds the cards carrying them. Otherwise the
    flags are read when first needed, in one read shared by the page's documents.
    """

    def __init__(self, cards: list, variant_ids: list[list[int]], stock: _PageStock):
        self._cards, self._variant_ids, self._stock = cards, variant_ids, stock
        self._built: list | None = None

    @property
    def stamp(self) -> tuple | None:
        return self._stock.stamp

    @functools.cached_property
    def flags(self) -> tuple[bool | None, ...]:
        """Each card's in-stock flag (a tuple: the rendered-page cache finds pages by it)."""
        quantities = self._stock.quantities
        return tuple(
            None if quantities is None else any(quantities[v] > 0 for v in ids)
            for ids in self._variant_ids
        )

    def _stocked(self) -> list:
        if self._built is None:
            price_from = gettext("from")  # before a price that varies
            self._built = [
                card.as_shown(flag, price_from)
                for card, flag in zip(self._cards, self.flags, strict=True)
            ]
        return self._built

    def __getitem__(self, index):
        return self._stocked()[index]

    def __len__(self) -> int:
        return len(self._cards)


class _PageStock:
    """The availability of a page's variants: its stamp read at once, the quantities (one
    query, usually none: inventory.availability_cache) when a flag is first needed."""

    def __init__(self, variant_ids: list[int], market: Market):
        self._variant_ids, self._market = variant_ids, market
        self.stamp = cache_versions.read_stock_stamp(variant_ids) if variant_ids else ()

    @functools.cached_property
    def quantities(self) -> dict[int, int] | None:
        if not self._variant_ids:
            return {}
        return catalog_selectors.get_available_quantities(
            variant_ids=self._variant_ids, market=self._market
        )


def with_stock(documents: list[dict], *, market: Market, request=None) -> list[StockedCards]:
    """Each document's cards with today's in-stock flags, read under one stamp for all of
    them. For `request`, what its next visit prefetches."""
    lists = chain.from_iterable(doc["variant_ids"] for doc in documents)
    every = list(dict.fromkeys(chain.from_iterable(lists)))
    if every:
        page_cache.note_stock_read(request, every)
    stock = _PageStock(every, market)
    return [StockedCards(doc["cards"], doc["variant_ids"], stock) for doc in documents]


def paginate(count: int, number: int):
    """A page object for `number` of `count` items (no rows behind it: the ids are cached)."""
    return Paginator(range(count), PER_PAGE).page(number)


def page_links(query: QueryDict, page_obj) -> dict | None:
    """The pagination's links: {"previous": href, "next": href, "pages": [{"number", "href",
    "label", "current"}, ...]} (a number of None is the gap of an elided range; dicts, which
    the template engine reads without trying an item lookup first), with this query and each
    page number as `{% querystring page=n %}` writes them; None when one page holds all.

    Built here, not by the template tag per link: a page's worth of links cost ~0.85 ms
    through the template (a copy of the query and a translated label per link), a good part
    of a new search's rendering."""
    if not page_obj.has_other_pages():
        return None
    # The other parameters encoded once, around where `page` was (last when it was not).
    keys = list(query)
    at = keys.index("page") if "page" in keys else len(keys)
    before, after = (
        urlencode([(k, v) for k in part if k != "page" for v in query.getlist(k)])
        for part in (keys[:at], keys[at:])
    )
    prefix, suffix = f"?{before}&" if before else "?", f"&{after}" if after else ""

    def href(number: int) -> str:
        return f"{prefix}page={number}{suffix}"

    current, label = page_obj.number, gettext("Page %(number)s")
    pages = [
        # The range's gap is the paginator's (lazily translated) ELLIPSIS: told apart by type,
        # as comparing with it would translate it again for every number.
        {"number": None, "current": False}
        if not isinstance(number, int)
        else {"number": number, "current": True}
        if number == current
        else {
            "number": number,
            "current": False,
            "href": href(number),
            "label": label % {"number": number},
        }
        for number in page_obj.paginator.get_elided_page_range(current)
    ]
    return {
        "previous": href(current - 1) if page_obj.has_previous() else "",
        "next": href(current + 1) if page_obj.has_next() else "",
        "pages": pages,
    }


def get_home(*, request, market: Market) -> dict:
    """The home page's featured and newest cards and top categories (one document)."""
    # One round trip: with the stock versions of the cards it showed last time.
    versions = page_cache.read_page_versions(
        request, [HOME, NAV, cache_versions.market_scope(market.code)]
    )
    tree = page_cache.get_category_tree(request, versions)
    market_scope = cache_versions.market_scope(market.code)
    key = _key(
        "home",
        [market.code, market.default_locale],
        versions and {HOME: versions[HOME], market_scope: versions[market_scope]},
    )
    document = page_cache.fetch([key]).get(key) if key else None
    if document is None:
        featured = list(
            catalog_selectors.list_storefront_products(market=market, sort="featured").values_list(
                "pk", flat=True
            )[:HOME_PRODUCTS]
        )
        newest = list(
            catalog_selectors.list_storefront_products(market=market, sort="newest")
            .exclude(pk__in=featured)
            .values_list("pk", flat=True)[:HOME_PRODUCTS]
        )
        both = build_cards(product_ids=featured + newest, market=market)
        split = len([pk for pk in featured if pk in _ids_of(both)])
        document = {
            "featured": {k: v[:split] for k, v in both.items()},
            "newest": {k: v[split:] for k, v in both.items()},
            "version_key": key,
        }
        if key:
            page_cache.store({key: document})
    featured, newest = with_stock(
        [document["featured"], document["newest"]], market=market, request=request
    )
    return {
        "featured": featured,
        "newest": newest,
        "top_categories": tree.roots()[:HOME_CATEGORIES],
        "version_key": document["version_key"],
    }


def _ids_of(document: dict) -> set[int]:
    return {card.product_id for card in document["cards"]}


def _key(name: str, parts: list, versions: dict | None) -> str | None:
    return versioned_key(name, parts, versions) if versions else None


def _category_row(category: NavCategory) -> Category:
    """An unsaved Category standing for the cached one: the catalog's selectors read only its
    pk and path."""
    return Category(pk=category.pk, path=category.path, slug=category.slug, name=category.name)
