"""Real concurrency on PostgreSQL: threads, each with its own connection, placing orders."""

import pytest

from inventory import selectors
from inventory.exceptions import InsufficientStock
from inventory.models import Reservation, StockLevel
from orders import services
from orders.models import CartStatus, DummyCharge, Order, OrderEvent, OrderStatus
from tests import concurrency
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.orders import checkout_ready_cart, place

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS = 40  # each its own connection; PostgreSQL allows 100 and other test runs share it


def race(attempts, action, threads=THREADS, refusals=(InsufficientStock,)):
    """tests.concurrency.race with this file's thread count and refusal."""
    return concurrency.race(attempts, action, threads=threads, refusals=refusals)


def test_100_buyers_for_the_last_10_units_exactly_10_orders():
    us = market("US")
    variant = VariantFactory(sku="LAST-10")
    stock(variant, LocationFactory(code="us-east"), 10)
    carts = [
        checkout_ready_cart(lines=[(variant, 1)], email=f"buyer{i}@example.com")
        for i in range(100)
    ]

    orders, refused, errors = race(carts, lambda cart: place(cart, key=f"buy-{cart.public_id}"))

    assert errors == []
    assert (len(orders), len(refused)) == (10, 90)
    assert {o.status for o in orders} == {OrderStatus.PLACED}
    assert {e.code for e in refused} == {"insufficient_stock"}
    assert all(e.lines[0]["sku"] == "LAST-10" for e in refused)
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved, level.atp) == (10, 10, 0)
    assert selectors.available_quantities(variant_ids=[variant.pk], market=us) == {variant.pk: 0}
    assert Order.objects.count() == 10
    assert DummyCharge.objects.count() == 10
    assert Reservation.objects.filter(status="committed").count() == 10
    assert sum(c.status == CartStatus.OPEN for c in type(carts[0]).objects.all()) == 90


def test_20_concurrent_submits_of_one_cart_with_one_key_make_one_order_and_one_charge():
    variant = VariantFactory()
    stock(variant, LocationFactory(code="us-east"), 5)
    cart = checkout_ready_cart(lines=[(variant, 1)])

    orders, refused, errors = race(
        list(range(20)), lambda _i: place(cart, key="double-click"), threads=20
    )

    assert (errors, refused) == ([], [])
    assert len({o.pk for o in orders}) == 1
    assert Order.objects.count() == 1
    assert DummyCharge.objects.count() == 1
    assert StockLevel.objects.get(variant=variant).reserved == 1


def test_one_event_delivered_10_times_at_once_applies_once():
    variant = VariantFactory()
    stock(variant, LocationFactory(code="us-east"), 5)
    order = place(checkout_ready_cart(lines=[(variant, 2)]))

    results, refused, errors = race(
        list(range(10)),
        lambda _i: services.apply_order_event(
            order=order, event_id="wms-ship-1", type="shipment.shipped"
        ),
        threads=10,
    )

    assert (errors, refused) == ([], [])
    assert sorted(r.applied for r in results) == [False] * 9 + [True]
    assert OrderEvent.objects.filter(event_id="wms-ship-1").count() == 1
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (3, 0)
