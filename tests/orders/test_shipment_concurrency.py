"""Shipments under real concurrency on PostgreSQL (threads, each with its own connection):
two operators shipping the same line never exceed what was ordered, and one shipment shipped
twice at once moves its stock once."""

import threading

import pytest
from django.db import connection

from inventory.exceptions import ReservationNotActive
from inventory.models import MovementKind, StockLevel, StockMovement
from orders import services
from orders.exceptions import InvalidShipment
from orders.models import Order, PaymentTransaction, Shipment, ShipmentLine, ShipmentStatus
from tests.concurrency import together
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.orders import checkout_ready_cart, place

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
REFUSALS = (InvalidShipment, ReservationNotActive)


@pytest.fixture
def order_of_three():
    market("US")
    where = LocationFactory(code="race-a")
    variant = VariantFactory(sku="RACE-LINE", prices={"USD": 1500})
    stock(variant, where, 10)
    order = place(checkout_ready_cart(lines=[(variant, 3)]))
    return order, where


def test_operators_creating_shipments_for_one_line_never_exceed_the_ordered_quantity(
    order_of_three,
):
    order, where = order_of_three
    (line,) = order.lines.all()

    ok, refused, errors = together(
        8,
        lambda i: services.create_shipment(order=order, location=where, lines={line: 2}),
        refusals=REFUSALS,
    )

    assert errors == []
    assert (len(ok), len(refused)) == (1, 7)
    assert all(e.code == "invalid_shipment" for e in refused)
    units = sum(ShipmentLine.objects.values_list("quantity", flat=True))
    assert units == 2
    level = StockLevel.objects.get(location=where)
    assert (level.on_hand, level.reserved, level.in_transit_out) == (10, 1, 2)


def test_one_unit_each_from_many_operators_stops_at_the_ordered_quantity(order_of_three):
    order, where = order_of_three
    (line,) = order.lines.all()

    ok, refused, errors = together(
        8,
        lambda i: services.create_shipment(order=order, location=where, lines={line: 1}),
        refusals=REFUSALS,
    )

    assert errors == []
    assert (len(ok), len(refused)) == (3, 5)
    level = StockLevel.objects.get(location=where)
    assert (level.reserved, level.in_transit_out) == (0, 3)


def test_shipping_one_shipment_twice_at_once_moves_stock_once(order_of_three):
    order, where = order_of_three
    (line,) = order.lines.all()
    shipment = services.create_shipment(order=order, location=where, lines={line: 3})

    ok, refused, errors = together(
        6,
        lambda i: services.ship_shipment(
            shipment=shipment, carrier="ups", tracking_number="1ZRACE"
        ),
        refusals=REFUSALS,
    )

    assert errors == [] and refused == []
    assert sorted(r.applied for r in ok) == [False] * 5 + [True]
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.SHIPPED
    level = StockLevel.objects.get(location=where)
    assert (level.on_hand, level.reserved, level.in_transit_out) == (7, 0, 0)
    assert StockMovement.objects.filter(kind=MovementKind.SALE).count() == 1
    assert PaymentTransaction.objects.filter(kind="capture").count() == 1
    order = Order.objects.get(pk=order.pk)
    assert (order.status, order.captured_cents) == ("fulfilled", order.total_cents)


def test_shipping_and_cancelling_one_shipment_at_once_exactly_one_wins(order_of_three):
    from orders.exceptions import InvalidShipmentTransition

    order, where = order_of_three
    (line,) = order.lines.all()
    shipment = services.create_shipment(order=order, location=where, lines={line: 2})

    def act(i):
        if i % 2:
            return services.cancel_shipment(shipment=shipment, reason="race")
        return services.ship_shipment(
            shipment=shipment, carrier="ups", tracking_number="1ZRACE2"
        ).shipment

    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def worker(i):
        try:
            barrier.wait()
            outcomes.append(("ok", act(i).status))
        except InvalidShipmentTransition as exc:
            outcomes.append(("refused", exc.code))
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    final = Shipment.objects.get(pk=shipment.pk).status
    level = StockLevel.objects.get(location=where)
    sales = StockMovement.objects.filter(kind=MovementKind.SALE).count()
    if final == ShipmentStatus.SHIPPED:
        assert (level.on_hand, level.reserved, level.in_transit_out, sales) == (8, 1, 0, 1)
    else:
        assert final == ShipmentStatus.CANCELLED
        assert (level.on_hand, level.reserved, level.in_transit_out, sales) == (10, 3, 0, 0)
    # A cancelled shipment refuses to ship (409) and a shipped one to cancel (409).
    assert sorted(outcomes) == sorted([("ok", final), ("refused", "invalid_transition")])
