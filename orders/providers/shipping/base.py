"""The shipping-rate provider interface: which methods can ship this parcel there, at what price.

A carrier adapter (EasyPost, Shippo, a carrier's API) implements the same call; the
checkout only ever sees ShippingOption values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shop.exceptions import DomainError


class ShippingUnavailable(DomainError):
    """Shipping rates cannot be given right now."""

    code = "shipping_unavailable"
    status_code = 503


@dataclass(frozen=True)
class ShippingRequest:
    currency: str
    country: str
    region: str
    postal_code: str
    weight_grams: int
    goods_cents: int  # value of the goods after discounts, as listed


@dataclass(frozen=True)
class ShippingOption:
    code: str
    name: str
    price_cents: int
    currency: str
    description: str = ""
    min_days: int | None = None
    max_days: int | None = None


class ShippingRateProvider(Protocol):
    name: str

    def rates(self, request: ShippingRequest) -> list[ShippingOption]:
        """Every method that ships there, cheapest band per method, in display order."""
        ...
