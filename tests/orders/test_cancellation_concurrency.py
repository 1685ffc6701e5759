"""Cancel and ship the same units at once, on real PostgreSQL with real threads: exactly one
wins, the other gets a clear refusal, and the stock moves once."""

import threading

import pytest
from django.db import connection

from inventory.models import MovementKind, Reservation, StockLevel, StockMovement
from orders import services
from orders.models import Order, OrderStatus
from shop.exceptions import DomainError
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.orders import checkout_ready_cart, place

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ROUNDS = 6


def at_once(*actions):
    """Run each action in its own thread (own connection), released together."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            results[index] = ("ok", action())
        except DomainError as exc:
            results[index] = ("refused", exc)
        except Exception as exc:  # noqa: BLE001 - anything else fails the test
            results[index] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def setup():
    market("US")
    location = LocationFactory(code="us-east")
    racing = VariantFactory(sku="RACE-1", prices={"USD": 1500})
    other = VariantFactory(sku="RACE-OTHER", prices={"USD": 900})
    stock(racing, location, 100)
    stock(other, location, 100)
    return location, racing, other


def test_cancel_a_line_and_ship_it_at_once_one_wins(setup):
    location, racing, other = setup
    outcomes = []
    for _ in range(ROUNDS):
        order = place(checkout_ready_cart(lines=[(racing, 1), (other, 1)]))
        line = order.lines.get(sku="RACE-1")
        unit = [{"line_id": line.public_id, "quantity": 1}]

        cancel, ship = at_once(
            lambda o=order, u=unit: services.cancel_order_lines(order=o, lines=u),
            lambda o=order, u=unit: services.ship_order_lines(order=o, lines=u),
        )

        assert sorted([cancel[0], ship[0]]) == ["ok", "refused"], (cancel, ship)
        loser = cancel if cancel[0] == "refused" else ship
        assert loser[1].status_code in (400, 409)
        assert "RACE-1" in loser[1].detail
        line.refresh_from_db()
        assert (line.quantity_fulfilled, line.quantity_cancelled) == (
            (1, 0) if ship[0] == "ok" else (0, 1)
        )
        outcomes.append("ship" if ship[0] == "ok" else "cancel")

    level = StockLevel.objects.get(variant=racing)
    shipped = outcomes.count("ship")
    sales = StockMovement.objects.filter(variant=racing, kind=MovementKind.SALE)
    assert (level.on_hand, level.reserved) == (100 - shipped, 0)
    assert sales.count() == shipped
    assert not Reservation.objects.filter(
        variant=racing, status__in=["active", "committed", "picking"]
    ).exists()


def test_the_customer_cancels_while_the_warehouse_ships_one_wins(setup, customer):
    location, racing, other = setup
    outcomes = []
    for round_number in range(ROUNDS):
        cart = checkout_ready_cart(lines=[(racing, 2)], customer=customer)
        order = place(cart, customer=customer)
        shipment = services.create_shipment(
            order=order, location=location, lines={order.lines.get(): 2}
        )

        cancel, ship = at_once(
            lambda o=order: services.cancel_order(order=o, actor=customer, by_customer=True),
            lambda s=shipment, n=round_number: services.ship_shipment(
                shipment=s, carrier="ups", tracking_number=f"1Z999{n}"
            ),
        )

        assert sorted([cancel[0], ship[0]]) == ["ok", "refused"], (cancel, ship)
        loser = cancel if cancel[0] == "refused" else ship
        assert loser[1].status_code == 409
        order = Order.objects.get(pk=order.pk)
        expected = OrderStatus.FULFILLED if ship[0] == "ok" else OrderStatus.CANCELLED
        assert order.status == expected
        outcomes.append("ship" if ship[0] == "ok" else "cancel")

    level = StockLevel.objects.get(variant=racing)
    shipped = 2 * outcomes.count("ship")
    sales = StockMovement.objects.filter(variant=racing, kind=MovementKind.SALE)
    assert (level.on_hand, level.reserved, level.in_transit_out) == (100 - shipped, 0, 0)
    assert -sum(sales.values_list("delta", flat=True)) == shipped


def test_operations_cancel_the_rest_while_the_warehouse_ships_it_one_wins(setup):
    location, racing, other = setup
    outcomes = []
    for round_number in range(ROUNDS):
        order = place(checkout_ready_cart(lines=[(other, 1), (racing, 2)]))
        first = services.create_shipment(
            order=order, location=location, lines={order.lines.get(sku="RACE-OTHER"): 1}
        )
        services.ship_shipment(shipment=first, carrier="ups", tracking_number=f"1ZA{round_number}")
        rest = services.create_shipment(
            order=order, location=location, lines={order.lines.get(sku="RACE-1"): 2}
        )

        cancel, ship = at_once(
            lambda o=order: services.cancel_order(order=o, reason="rest back-ordered"),
            lambda s=rest, n=round_number: services.ship_shipment(
                shipment=s, carrier="ups", tracking_number=f"1ZB{n}"
            ),
        )

        assert sorted([cancel[0], ship[0]]) == ["ok", "refused"], (cancel, ship)
        loser = cancel if cancel[0] == "refused" else ship
        assert loser[1].status_code == 409
        order = Order.objects.get(pk=order.pk)
        assert order.status == OrderStatus.FULFILLED  # what shipped goes on either way
        line = order.lines.get(sku="RACE-1")
        assert (line.quantity_fulfilled, line.quantity_cancelled) == (
            (2, 0) if ship[0] == "ok" else (0, 2)
        )
        outcomes.append("ship" if ship[0] == "ok" else "cancel")

    level = StockLevel.objects.get(variant=racing)
    shipped = 2 * outcomes.count("ship")
    sales = StockMovement.objects.filter(variant=racing, kind=MovementKind.SALE)
    assert (level.on_hand, level.reserved, level.in_transit_out) == (100 - shipped, 0, 0)
    assert -sum(sales.values_list("delta", flat=True)) == shipped
