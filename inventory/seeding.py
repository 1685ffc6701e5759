"""Demo inventory: locations in US/CA/EU, routing, and stock for the demo catalog's variants.

Idempotent and written through the inventory services: locations, routing and the drop's
reservation policy are created only when missing (an existing one is left as it is), and stock
is counted only for the variants the demo seed created (catalog.seeding.seeded_variants) that
have no stock yet. A variant a user created is never counted, whatever it holds.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalog.models import ProductStatus, Variant, VariantStatus
from catalog.seeding import seeded_variants
from inventory import services
from inventory.models import (
    Location,
    LocationKind,
    MarketRouting,
    ReservationPolicy,
    ReservationPolicyMode,
    RoutingStrategy,
    StockLevel,
)
from inventory.services import locations as location_services
from shop.models import Market

# code, name, kind, country, markets, priority, shipping cost per zone (minor units), address
LOCATIONS = [
    ("us-nj-dc", "New Jersey DC", LocationKind.WAREHOUSE, "US", ["US", "CA"], 10,
     {"US": 500, "CA": 1400}, "100 Logistics Way, Edison, NJ 08817"),
    ("us-nyc-store", "SoHo store", LocationKind.STORE, "US", ["US"], 30,
     {"US": 800}, "120 Prince St, New York, NY 10012"),
    ("ca-toronto-dc", "Toronto DC", LocationKind.WAREHOUSE, "CA", ["CA"], 10,
     {"CA": 600, "US": 1500}, "55 Commerce Rd, Mississauga, ON L5T 1A1"),
    ("eu-berlin-dc", "Berlin DC", LocationKind.WAREHOUSE, "DE", ["EU"], 10,
     {"EU": 700}, "Lagerstraße 5, 12529 Schönefeld"),
    ("eu-ams-3pl", "Amsterdam 3PL", LocationKind.THIRD_PARTY, "NL", ["EU"], 20,
     {"EU": 650}, "Fokkerweg 300, 1438 AN Oude Meer"),
    ("us-refurb", "Refurbishment centre", LocationKind.REFURBISHMENT, "US", [], 90,
     {}, "8 Repair Row, Columbus, OH 43219"),
]  # fmt: skip
ROUTING = {
    "US": RoutingStrategy.CLOSEST,
    "CA": RoutingStrategy.FEWEST_SPLITS,
    "EU": RoutingStrategy.LOWEST_COST,
}


def _seed_locations() -> list[Location]:
    markets = {m.code: m for m in Market.objects.all()}
    existing = Location.objects.in_bulk([row[0] for row in LOCATIONS], field_name="code")
    locations = []
    for code, name, kind, country, market_codes, priority, costs, address in LOCATIONS:
        location = existing.get(code) or location_services.create_location(
            code=code,
            name=name,
            kind=kind,
            country=country,
            markets=[markets[c] for c in market_codes if c in markets],
            priority=priority,
            shipping_costs=costs,
            address=address,
        )
        locations.append(location)
    routed = set(MarketRouting.objects.values_list("market__code", flat=True))
    for market_code, strategy in ROUTING.items():
        if market_code in markets and market_code not in routed:
            location_services.set_market_routing(market=markets[market_code], strategy=strategy)
    return locations


def seed_inventory(*, rng_seed: int = 42, variants: QuerySet[Variant] | None = None) -> dict:
    """Create the demo locations and count stock for the seeded variants without any.

    `variants` are those the seed may count (default: catalog.seeding.seeded_variants(), the
    demo catalog's own); of them, active variants of active products with no stock row are.

    A few SKUs are low (1-3 units, only at the US DC) and a few out of stock; the Amsterdam
    3PL's count is three days old, so the admin shows it as stale. Returns a summary.
    """
    rng = random.Random(rng_seed)
    with transaction.atomic():
        locations = _seed_locations()
    sellable = [loc for loc in locations if loc.kind != LocationKind.REFURBISHMENT]
    stale_as_of = timezone.now() - timedelta(days=3)
    stocked = StockLevel.objects.values("variant_id")
    candidates = seeded_variants() if variants is None else variants
    variants = list(
        candidates.filter(status=VariantStatus.ACTIVE, product__status=ProductStatus.ACTIVE)
        .exclude(pk__in=stocked)
        .order_by("pk")
    )
    picks = rng.sample(variants, min(len(variants), 6)) if len(variants) >= 12 else []
    low, out = set(picks[:3]), set(picks[3:])
    now = timezone.now()
    for location in sellable:
        items = []
        for variant in variants:
            if variant in out:
                on_hand = 0
            elif variant in low:
                on_hand = rng.randint(1, 3) if location.code == "us-nj-dc" else 0
            elif location.kind == LocationKind.STORE:
                on_hand = rng.randint(0, 8)
            else:
                on_hand = rng.randint(8, 60)
            items.append((variant.sku, on_hand))
        if items:
            services.sync_stock_levels(
                location=location,
                as_of=stale_as_of if location.code == "eu-ams-3pl" else now,
                items=items,
                source="seed",
            )
    if low:
        drop = min(low, key=lambda v: v.pk)
        if not ReservationPolicy.objects.filter(
            product=drop.product, variant=None, market=None
        ).exists():
            location_services.set_reservation_policy(
                product=drop.product, mode=ReservationPolicyMode.AT_ADD_TO_CART, ttl_seconds=600
            )
    return {
        "locations": len(locations),
        "variants_stocked": len(variants),
        "low": sorted(v.sku for v in low),
        "out_of_stock": sorted(v.sku for v in out),
    }
