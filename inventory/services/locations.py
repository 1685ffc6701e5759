"""Where stock lives and how it is routed: locations, a market's routing strategy, and when a
product's stock is reserved (its reservation policy).

Each runs in its own transaction, validates as the model declares (`full_clean`) and refuses
with ValidationFailed naming the field; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from inventory.models import Location, MarketRouting, ReservationPolicy
from shop.exceptions import Conflict, ValidationFailed
from shop.models import Market


@transaction.atomic
def create_location(
    *,
    code: str,
    name: str,
    kind: str,
    country: str,
    markets: Iterable[Market] = (),
    priority: int = 100,
    shipping_costs: Mapping[str, int] | None = None,
    address: str = "",
) -> Location:
    """Add a stock location serving `markets`. Refuses a code in use."""
    location = Location(
        code=code,
        name=name,
        kind=kind,
        country=country,
        priority=priority,
        shipping_costs=dict(shipping_costs or {}),
        address=address,
    )
    _check(location)
    try:
        with transaction.atomic():
            location.save(force_insert=True)
    except IntegrityError as exc:  # the check passed, then a concurrent writer took the code
        raise Conflict(f"A concurrent change created the location {code}.") from exc
    location.markets.set(list(markets))
    return location


@transaction.atomic
def set_market_routing(*, market: Market, strategy: str) -> MarketRouting:
    """Choose the routing strategy that picks locations for the market's orders."""
    routing = MarketRouting.objects.select_for_update().filter(market=market).first()
    routing = routing or MarketRouting(market=market)
    routing.strategy = strategy
    _check(routing, exclude=["market"])
    routing.save()
    return routing


@transaction.atomic
def set_reservation_policy(
    *, product, mode: str, ttl_seconds: int | None = None, variant=None, market=None
) -> ReservationPolicy:
    """When the product's (or one variant's) stock is reserved, in one market or all."""
    policy = (
        ReservationPolicy.objects.select_for_update()
        .filter(product=product, variant=variant, market=market)
        .first()
    )
    policy = policy or ReservationPolicy(product=product, variant=variant, market=market)
    policy.mode, policy.ttl_seconds = mode, ttl_seconds
    _check(policy, exclude=["product", "variant", "market"])
    policy.save()
    return policy


def _check(instance, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        fields = exc.message_dict
        raise ValidationFailed(next(iter(fields.values()))[0], fields=fields) from exc
