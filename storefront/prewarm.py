"""Fill the shared caches before traffic arrives (`manage.py prewarm_caches`): after a deploy,
a Redis restart or a flush, the first shoppers then get warm pages instead of every worker
building the same documents at once.

Everything is warmed through the functions the pages themselves call, so the keys are exactly
the ones a request reads: the markets (shop.selectors), the category tree (page_cache), each
market's home page, each category listing's facets, product order and first pages of cards
(listing_page), every sellable product's page document with its prices in the market's
currency (product_page), the live promotion set's version, and the shipping and tax rate
tables (orders.providers.tables). Availability is never cached, so never warmed.

What it cannot warm: each worker process's own copies (rendered pages in html_cache, parsed
promotion rules, the markets for MARKETS_LOCAL_SECONDS); each worker builds those from the
warm Redis on its first request, at a cost of a round trip and no query.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from catalog import selectors as catalog_selectors
from orders.providers.tables import rate_tables
from promotions.selectors import live_promotions
from shop import cache_versions
from shop.cache_versions import PROMOTIONS, read_versions
from shop.models import Market
from shop.selectors import list_markets
from storefront import listing_page, page_cache, product_page


class CacheUnavailable(Exception):
    """The cache cannot be read or written: there is nothing to warm."""


@dataclass
class Warmed:
    """What was warmed: {kind: count} and {kind: seconds}, in the order first warmed."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, kind: str, count: int, seconds: float) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + count
        self.seconds[kind] = self.seconds.get(kind, 0.0) + seconds

    def rows(self) -> list[tuple[str, int, float]]:
        return [(kind, self.counts[kind], self.seconds[kind]) for kind in self.counts]


@dataclass(frozen=True)
class Plan:
    """The markets to warm and, per market, the product handles: known before warming so the
    progress bar has a total."""

    markets: list[Market]
    handles: dict[str, list[str]]
    category_count: int

    @property
    def steps(self) -> int:
        per_market = sum(1 + self.category_count + len(h) for h in self.handles.values())
        return 4 + per_market  # markets, category tree, promotions, rate tables


def plan(*, market_codes: list[str] | None = None) -> Plan:
    """The markets named (all active ones when None) and their sellable products.

    Raises ValueError naming an unknown market code."""
    markets = list_markets()
    if market_codes:
        by_code = {m.code: m for m in markets}
        unknown = [code for code in market_codes if code.upper() not in by_code]
        if unknown:
            known = ", ".join(sorted(by_code)) or "none"
            raise ValueError(f"Unknown market {unknown[0]!r}; active markets: {known}.")
        markets = [by_code[code.upper()] for code in dict.fromkeys(market_codes)]
    handles = {
        m.code: list(
            catalog_selectors.list_storefront_products(market=m)
            .order_by("pk")
            .values_list("handle", flat=True)
        )
        for m in markets
    }
    categories = len(catalog_selectors.list_category_tree())
    return Plan(markets=markets, handles=handles, category_count=categories)


def prewarm(
    the_plan: Plan, *, pages: int = 3, step: Callable[[str], None] = lambda _label: None
) -> Warmed:
    """Warm every cache of `the_plan`, calling `step(label)` after each unit (the progress
    bar). `pages`: listing pages of cards warmed per category (the first ones). Raises
    CacheUnavailable when the cache does not answer."""
    if read_versions([PROMOTIONS]) is None:
        raise CacheUnavailable("The cache is unavailable; nothing was warmed.")
    warmed = Warmed()

    def timed(kind: str, count_of: Callable[[], int], label: str) -> None:
        started = time.perf_counter()
        count = count_of()
        warmed.add(kind, count, time.perf_counter() - started)
        step(label)

    timed("markets", lambda: len(list_markets()), "markets")
    tree = page_cache.get_category_tree(None)
    step("category tree")
    warmed.add("category tree", len(tree.categories), 0.0)
    for market in the_plan.markets:
        timed("home pages", lambda m=market: _home(m), f"{market.code} home")
        for category in tree.categories:
            timed(
                "listing pages",
                lambda c=category, m=market: _listing(c, m, pages),
                f"{market.code} /c/{category.path}/",
            )
        for handle in the_plan.handles[market.code]:
            started = time.perf_counter()
            document = product_page.get_product_document(
                request=None, handle=handle, market=market
            )
            elapsed = time.perf_counter() - started
            warmed.add("product pages", 1, elapsed)
            # The document carries the variants' prices in the market's currency for the
            # storefront's one price segment: counted per market and segment.
            prices = f"prices ({market.code}, {product_page.ANONYMOUS})"
            warmed.add(prices, len(document["variants"]), 0.0)
            step(f"{market.code} /p/{handle}/")
    timed("promotions (live rules)", lambda: len(live_promotions().rules), "promotions")
    timed("shipping and tax rates", lambda: sum(map(len, rate_tables())), "rate tables")
    if not cache_versions.cache_available():
        raise CacheUnavailable("The cache failed while warming; run the command again.")
    return warmed


def _home(market: Market) -> int:
    listing_page.get_home(request=None, market=market)
    return 1


def _listing(category, market: Market, pages: int) -> int:
    """The listing as `/c/<path>/` shows it unfiltered, in its default order: facets, product
    order and the first `pages` pages of cards. Returns the pages warmed."""
    versions = listing_page.read_listing_versions(category, market)
    listing_page.get_facets(category=category, market=market, versions=versions)
    ids = listing_page.get_product_ids(
        category=category, market=market, sort="featured", filters={}, versions=versions
    )
    last = max(1, -(-len(ids) // listing_page.PER_PAGE))
    for number in range(1, min(pages, last) + 1):
        page_obj = listing_page.paginate(len(ids), number)
        listing_page.get_page_cards(
            category=category,
            market=market,
            sort="featured",
            filters={},
            page_ids=ids[page_obj.start_index() - 1 : page_obj.end_index()],
            number=number,
            versions=versions,
        )
    return min(pages, last)
