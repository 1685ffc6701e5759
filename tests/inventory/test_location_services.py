"""Location, routing and reservation-policy services: exact values; a refusal writes nothing."""

import pytest

from inventory.models import Location, MarketRouting, ReservationPolicy
from inventory.services import locations
from shop.exceptions import ValidationFailed
from tests.factories.catalog import ProductFactory
from tests.factories.inventory import market

pytestmark = pytest.mark.django_db


def test_create_location_serves_its_markets():
    location = locations.create_location(
        code="us-east",
        name="East DC",
        kind="warehouse",
        country="US",
        markets=[market("US"), market("CA")],
        priority=10,
        shipping_costs={"US": 500},
        address="1 Dock Rd",
    )

    location.refresh_from_db()
    assert (location.code, location.name, location.kind, location.country) == (
        "us-east",
        "East DC",
        "warehouse",
        "US",
    )
    assert (location.priority, location.shipping_costs, location.address) == (
        10,
        {"US": 500},
        "1 Dock Rd",
    )
    assert sorted(location.markets.values_list("code", flat=True)) == ["CA", "US"]


def test_create_location_refuses_a_taken_code_and_a_bad_kind():
    locations.create_location(code="us-east", name="East", kind="warehouse", country="US")

    with pytest.raises(ValidationFailed) as taken:
        locations.create_location(code="us-east", name="Again", kind="warehouse", country="US")
    with pytest.raises(ValidationFailed) as bad:
        locations.create_location(code="x", name="X", kind="castle", country="US")

    assert list(taken.value.fields) == ["code"]
    assert list(bad.value.fields) == ["kind"]
    assert list(Location.objects.values_list("code", "name")) == [("us-east", "East")]


def test_set_market_routing_creates_then_changes_the_strategy():
    us = market("US")

    locations.set_market_routing(market=us, strategy="closest")
    locations.set_market_routing(market=us, strategy="lowest_cost")
    with pytest.raises(ValidationFailed):
        locations.set_market_routing(market=us, strategy="fastest")

    assert list(MarketRouting.objects.values_list("market__code", "strategy")) == [
        ("US", "lowest_cost")
    ]


def test_set_reservation_policy_creates_then_changes_the_products_policy():
    drop = ProductFactory(handle="drop")

    locations.set_reservation_policy(product=drop, mode="at_add_to_cart", ttl_seconds=600)
    locations.set_reservation_policy(product=drop, mode="at_checkout")
    with pytest.raises(ValidationFailed):
        locations.set_reservation_policy(product=drop, mode="never")

    assert list(
        ReservationPolicy.objects.values_list("product__handle", "variant", "market", "mode")
    ) == [("drop", None, None, "at_checkout")]
    assert ReservationPolicy.objects.get().ttl_seconds is None
