"""The table-driven shipping provider: ShippingRate rows by zone, currency, weight and value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orders.providers.shipping.base import ShippingOption, ShippingRequest


@dataclass(frozen=True)
class RateRow:
    method_code: str
    method_name: str
    method_position: int
    zone_countries: tuple[str, ...]
    zone_regions: tuple[str, ...]
    currency: str
    price_cents: int
    min_weight_grams: int = 0
    max_weight_grams: int | None = None
    min_order_cents: int = 0
    max_order_cents: int | None = None
    free_over_cents: int | None = None
    description: str = ""
    min_days: int | None = None
    max_days: int | None = None

    def zone_specificity(self, country: str, region: str) -> int | None:
        if country not in self.zone_countries:
            return None
        if not self.zone_regions:
            return 1
        return 2 if f"{country}-{region}" in self.zone_regions else None

    def fits(self, request: ShippingRequest) -> bool:
        weight, value = request.weight_grams, request.goods_cents
        return (
            self.currency == request.currency
            and self.min_weight_grams <= weight
            and (self.max_weight_grams is None or weight < self.max_weight_grams)
            and self.min_order_cents <= value
            and (self.max_order_cents is None or value < self.max_order_cents)
        )

    def price_for(self, request: ShippingRequest) -> int:
        if self.free_over_cents is not None and request.goods_cents >= self.free_over_cents:
            return 0
        return self.price_cents


def load_rate_rows() -> list[RateRow]:
    """Every active rate of an active method (cached with the tax table)."""
    from orders.providers.tables import rate_tables

    return rate_tables()[0]


class TableShippingProvider:
    """Pass `rows` (tests) or leave it out to read the ShippingRate table on each call.

    An address belongs to its most specific zone (a region zone such as Alaska/Hawaii beats
    the country zone) and only that zone's methods are offered; per method, the cheapest
    band that fits the parcel's weight and value wins.
    """

    name = "table"

    def __init__(self, rows: Iterable[RateRow] | None = None):
        self._rows = list(rows) if rows is not None else None

    def rates(self, request: ShippingRequest) -> list[ShippingOption]:
        rows = self._rows if self._rows is not None else load_rate_rows()
        matching = [
            (spec, row)
            for row in rows
            if row.currency == request.currency
            and (spec := row.zone_specificity(request.country, request.region)) is not None
        ]
        if not matching:
            return []
        # The address belongs to its most specific zone: only that zone's rates apply.
        zone_level = max(spec for spec, _ in matching)
        best: dict[str, tuple[int, RateRow]] = {}
        for spec, row in matching:
            if spec != zone_level or not row.fits(request):
                continue
            price = row.price_for(request)
            if row.method_code not in best or price < best[row.method_code][0]:
                best[row.method_code] = (price, row)
        chosen = sorted(best.values(), key=lambda t: (t[1].method_position, t[1].method_code))
        return [
            ShippingOption(
                code=row.method_code,
                name=row.method_name,
                price_cents=price,
                currency=row.currency,
                description=row.description,
                min_days=row.min_days,
                max_days=row.max_days,
            )
            for price, row in chosen
        ]
