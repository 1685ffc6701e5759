"""Reads of stock: ATP per location and per market, policies, the default location, the ledger."""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from catalog.models import Variant
from inventory.exceptions import UnknownLocation
from inventory.models import (
    ATP_EXPRESSION,
    Drop,
    Location,
    MarketRouting,
    ReservationPolicy,
    ReservationPolicyMode,
    StockLevel,
    StockMovement,
)
from shop.compiled import CompiledQuery
from shop.prepared import fetch_prepared


def _market_pk(market) -> int | None:
    return getattr(market, "pk", None)


def list_market_locations(*, market) -> list[Location]:
    """Active locations serving `market` (a saved shop.Market), in priority order."""
    if _market_pk(market) is None:
        return []
    return list(Location.objects.serving(market).order_by("priority", "code"))


def available_quantities(*, variant_ids, market) -> dict[int, int]:
    """{variant_id: units a customer can buy in `market`}: one query, never negative.

    Sums each active market location's ATP, a location below zero counting as zero so that
    one location's safety stock never hides another's units. Not cached: it must be right
    straight after a reservation; the query is one indexed aggregate. Every storefront page
    runs it, so on PostgreSQL it is one prepared statement with the ids as one array
    (building and binding the ORM's IN list was a quarter of a cached page's CPU, and
    planning it every time most of the database's work).
    """
    variant_ids = list(variant_ids)
    result = dict.fromkeys(variant_ids, 0)
    if not variant_ids or _market_pk(market) is None:
        return result
    if connection.vendor == "postgresql":
        # The ids as one array literal: psycopg's list adapter, element by element in Python,
        # cost a third of the call's CPU for a listing's 72 variants. int() keeps it numbers.
        ids = "{" + ",".join(str(int(pk)) for pk in variant_ids) + "}"
        rows = fetch_prepared(connection, _atp_by_variant_sql(), [ids, _market_pk(market)])
    else:
        rows = (
            StockLevel.objects.filter(
                variant_id__in=variant_ids, location__is_active=True, location__markets=market
            )
            .values("variant_id")
            .annotate(atp=Sum(Greatest(ATP_EXPRESSION, Value(0))))
            .values_list("variant_id", "atp")
            .order_by()
        )
    for variant_id, atp in rows:
        result[variant_id] = max(0, atp or 0)
    return result


@functools.cache
def _atp_by_variant_sql() -> str:
    """available_quantities' statement: ATP_EXPRESSION per row, clamped at 0, summed per
    variant over the market's active locations (tests/inventory compare it with the ORM).

    The stock rows are found by variant, and the market's locations only filter them: a page
    asks for a few dozen variants, while a location holds the whole catalog. Given a join or a
    location condition it can index, the planner took the location's index (alone, or ANDed
    with the variant's) and read every row of the location: 0.9 ms with 2,000 products and
    growing with the catalog. `location_id + 0` is not indexable, so only the variant's index
    is used: 0.1-0.4 ms whatever the catalog's size.
    """
    level, location = StockLevel._meta.db_table, Location._meta.db_table
    served = Location.markets.through._meta.db_table
    return (
        "SELECT s.variant_id, SUM(GREATEST(s.on_hand - s.reserved - s.in_transit_out"
        " + s.in_transit_in - s.safety_stock, 0))"
        f' FROM "{level}" s'
        " WHERE s.variant_id = ANY(%s::bigint[])"
        " AND s.location_id + 0 = ANY(ARRAY("
        f' SELECT l.id FROM "{location}" l JOIN "{served}" m ON m.location_id = l.id'
        " WHERE l.is_active AND m.market_id = %s::bigint))"
        " GROUP BY s.variant_id"
    )


@dataclass(frozen=True)
class LocationAtp:
    location: Location
    level: StockLevel | None

    @property
    def atp(self) -> int:
        return self.level.atp if self.level else 0


def list_variant_levels(*, variant, locations=None):
    """A variant's StockLevels (with their location), optionally only at `locations`."""
    qs = StockLevel.objects.filter(variant=variant).select_related("location")
    if locations is not None:
        qs = qs.filter(location__in=list(locations))
    return qs.order_by("location__priority", "location__code")


def get_atp(*, variant, locations=None) -> tuple[int, list[StockLevel]]:
    """(total ATP over active locations, clamped at 0 per location; the levels) for staff."""
    levels = list(list_variant_levels(variant=variant, locations=locations))
    total = sum(max(0, lvl.atp) for lvl in levels if lvl.location.is_active)
    return total, levels


def with_atp(queryset):
    """Annotate StockLevels with `atp_value` and `total_atp` (all active locations)."""
    total = (
        StockLevel.objects.filter(variant_id=OuterRef("variant_id"), location__is_active=True)
        .values("variant_id")
        .annotate(t=Sum(Greatest(ATP_EXPRESSION, Value(0))))
        .values("t")
    )
    return queryset.annotate(
        atp_value=ATP_EXPRESSION,
        total_atp=Coalesce(Subquery(total, output_field=IntegerField()), Value(0)),
    )


@dataclass(frozen=True)
class Policy:
    mode: str
    ttl_seconds: int

    @property
    def reserves_at_add_to_cart(self) -> bool:
        return self.mode == ReservationPolicyMode.AT_ADD_TO_CART


def _policies(variant_id: int, product_id: int, market_match: Q):
    return ReservationPolicy.objects.filter(
        Q(variant_id=variant_id) | Q(variant__isnull=True, product_id=product_id)
    ).filter(market_match)


# Every add to cart asks this: compiled once per connection (shop.compiled).
_POLICIES_IN_MARKET = CompiledQuery(
    lambda variant_id, product_id, market_id: _policies(
        variant_id, product_id, Q(market__isnull=True) | Q(market_id=market_id)
    ),
    variant_id=int,
    product_id=int,
    market_id=int,
)
_POLICIES_ANY_MARKET = CompiledQuery(
    lambda variant_id, product_id: _policies(variant_id, product_id, Q(market__isnull=True)),
    variant_id=int,
    product_id=int,
)


def get_reservation_policy(*, variant, market=None) -> Policy:
    """When to reserve `variant` in `market`: the most specific ReservationPolicy row.

    Variant beats product, market-specific beats any-market; none: `at_checkout`.
    """
    if _market_pk(market) is not None:
        candidates = list(
            _POLICIES_IN_MARKET.objects(
                variant_id=variant.pk, product_id=variant.product_id, market_id=market.pk
            )
        )
    else:
        candidates = list(
            _POLICIES_ANY_MARKET.objects(variant_id=variant.pk, product_id=variant.product_id)
        )
    if not candidates:
        return Policy(
            ReservationPolicyMode.AT_CHECKOUT, settings.INVENTORY_RESERVATION_TTL_SECONDS
        )
    best = max(candidates, key=lambda r: (r.variant_id is not None, r.market_id is not None))
    default_ttl = (
        settings.INVENTORY_CART_RESERVATION_TTL_SECONDS
        if best.mode == ReservationPolicyMode.AT_ADD_TO_CART
        else settings.INVENTORY_RESERVATION_TTL_SECONDS
    )
    return Policy(best.mode, best.ttl_seconds or default_ttl)


# Every reservation in a market of several locations (each checkout there) reads this: compiled
# once per connection (shop.compiled), as building the annotated queryset cost ~1.5 ms of CPU.
_MARKET_LOCATIONS_AND_STRATEGY = CompiledQuery(
    lambda market_id: (
        Location.objects.serving(market_id)
        .annotate(
            market_strategy=Subquery(
                MarketRouting.objects.filter(market_id=market_id).values("strategy")[:1]
            )
        )
        .order_by("priority", "code")
    ),
    market_id=int,
)


def list_market_locations_and_strategy(*, market) -> tuple[list[Location], str]:
    """(list_market_locations, get_routing_strategy) in one query, for reserve_stock's hot path:
    each location row carries the market's strategy (a scalar subquery)."""
    if _market_pk(market) is None:
        return [], settings.INVENTORY_DEFAULT_ROUTING
    locations = list(_MARKET_LOCATIONS_AND_STRATEGY.objects(market_id=market.pk))
    if not locations:
        return [], get_routing_strategy(market=market)
    return locations, locations[0].market_strategy or settings.INVENTORY_DEFAULT_ROUTING


def get_routing_strategy(*, market) -> str:
    """The market's routing strategy, else INVENTORY_DEFAULT_ROUTING."""
    if _market_pk(market) is not None:
        row = MarketRouting.objects.filter(market_id=market.pk).first()
        if row:
            return row.strategy
    return settings.INVENTORY_DEFAULT_ROUTING


def get_default_location() -> Location | None:
    """Where stock goes when nobody says: INVENTORY_DEFAULT_LOCATION, else the first active."""
    code = settings.INVENTORY_DEFAULT_LOCATION
    if code:
        location = Location.objects.active().filter(code=code).first()
        if location:
            return location
    return Location.objects.active().order_by("priority", "code").first()


def list_location_choices() -> list[tuple[str, str]]:
    """(code, "code (name)") of the active locations, in routing order: a form's choices."""
    return [(loc.code, str(loc)) for loc in Location.objects.active().order_by("priority", "code")]


def get_location(*, code: str) -> Location:
    """The active location with `code`. Raises UnknownLocation."""
    location = Location.objects.active().filter(code=code).first() if code else None
    if location is None:
        raise UnknownLocation(str(code))
    return location


def list_locations(*, codes) -> list[Location]:
    """The active locations with these codes, in one query. Raises UnknownLocation (all misses)."""
    codes = list(dict.fromkeys(codes))
    found = {loc.code: loc for loc in Location.objects.active().filter(code__in=codes)}
    missing = [code for code in codes if code not in found]
    if missing:
        raise UnknownLocation(", ".join(missing))
    return [found[code] for code in codes]


def list_ledger_mismatches() -> list[dict]:
    """StockLevels whose on_hand differs from the sum of their movements (should be none)."""
    ledger = (
        StockMovement.objects.filter(
            variant_id=OuterRef("variant_id"), location_id=OuterRef("location_id")
        )
        .values("variant_id", "location_id")
        .annotate(s=Sum("delta"))
        .values("s")
    )
    levels = StockLevel.objects.annotate(
        ledger=Coalesce(Subquery(ledger, output_field=IntegerField()), Value(0))
    ).exclude(on_hand=F("ledger"))
    mismatches = [
        {
            "sku": lvl.variant.sku,
            "location": lvl.location.code,
            "on_hand": lvl.on_hand,
            "ledger": lvl.ledger,
        }
        for lvl in levels.select_related("variant", "location")
    ]
    orphans = (
        StockMovement.objects.values("variant_id", "location_id")
        .annotate(s=Sum("delta"))
        .exclude(s=0)
        .order_by()
    )
    known = set(StockLevel.objects.values_list("variant_id", "location_id"))
    for row in orphans:
        if (row["variant_id"], row["location_id"]) not in known:
            mismatches.append(
                {
                    "sku": str(row["variant_id"]),
                    "location": str(row["location_id"]),
                    "on_hand": None,
                    "ledger": row["s"],
                }
            )
    return mismatches


@dataclass(frozen=True)
class DropRule:
    """Drop mode as it applies to one variant (a variant's own drop beats its product's)."""

    drop_id: int
    variant_id: int
    sku: str
    starts_at: object  # aware datetime
    per_order_limit: int | None
    per_customer_limit: int | None


def list_drop_rules() -> list[DropRule]:
    """Every variant in an open (scheduled or live) drop: two small queries."""
    drops = list(Drop.objects.live_or_scheduled())
    if not drops:
        return []
    by_product = {d.product_id: d for d in drops if d.product_id}
    by_variant = {d.variant_id: d for d in drops if d.variant_id}
    rows = Variant.objects.filter(
        Q(product_id__in=list(by_product)) | Q(pk__in=list(by_variant))
    ).values_list("pk", "sku", "product_id")
    rules = []
    for pk, sku, product_id in rows:
        drop = by_variant.get(pk) or by_product.get(product_id)
        if drop is None:
            continue
        rules.append(
            DropRule(
                drop.pk,
                pk,
                sku,
                drop.starts_at,
                drop.per_order_limit,
                drop.per_customer_limit,
            )
        )
    return rules


def total_atp(*, variant_id: int) -> int:
    """Units of a variant free at every active location (a location below zero counts 0):
    a drop's token count. One aggregate query."""
    return (
        StockLevel.objects.filter(variant_id=variant_id, location__is_active=True).aggregate(
            atp=Sum(Greatest(ATP_EXPRESSION, Value(0)))
        )["atp"]
        or 0
    )
