"""Outbound units (inventory/services/outbound.py): an owner's held units become units being
picked, go back, leave (a sale in the ledger), or move their hold to another location."""

import pytest

from inventory import services
from inventory.exceptions import InsufficientStock, InvalidQuantity, ReservationNotActive
from inventory.models import MovementKind, Reservation, ReservationKind, StockLevel, StockMovement
from tests.factories.inventory import LocationFactory, stock

pytestmark = pytest.mark.django_db
OWNER = "ord_outbound"


@pytest.fixture
def held(us, warehouse, variant):
    stock(variant, warehouse, 10)
    services.reserve_stock(lines={variant: 5}, market=us, owner=OWNER, kind=ReservationKind.HARD)
    return variant


def counts(variant, location):
    level = StockLevel.objects.get(variant=variant, location=location)
    return level.on_hand, level.reserved, level.in_transit_out


def rows(status):
    return sorted(
        Reservation.objects.filter(owner=OWNER, status=status).values_list("quantity", flat=True)
    )


def test_pick_part_of_a_hold_then_put_it_back(held, warehouse):
    picked = services.pick_held_units(owner=OWNER, variant=held, location=warehouse, quantity=3)

    assert [r.quantity for r in picked] == [3]
    assert counts(held, warehouse) == (10, 2, 3)
    assert (rows("committed"), rows("picking")) == ([2], [3])

    services.unpick_units(owner=OWNER, variant=held, location=warehouse, quantity=3)
    assert counts(held, warehouse) == (10, 5, 0)
    assert sorted(rows("committed")) == [2, 3] and rows("picking") == []


def test_shipping_picked_units_is_a_sale_in_the_ledger(held, warehouse):
    services.pick_held_units(owner=OWNER, variant=held, location=warehouse, quantity=4)

    services.ship_picked_units(
        owner=OWNER, variant=held, location=warehouse, quantity=4, reference="REF1"
    )

    assert counts(held, warehouse) == (6, 1, 0)
    sale = StockMovement.objects.get(kind=MovementKind.SALE)
    assert (sale.delta, sale.on_hand_after, sale.reference) == (-4, 6, "REF1")
    assert sum(StockMovement.objects.values_list("delta", flat=True)) == 6


def test_more_than_is_held_or_picked_is_refused(held, warehouse):
    with pytest.raises(ReservationNotActive) as refused:
        services.pick_held_units(owner=OWNER, variant=held, location=warehouse, quantity=6)
    assert "Only 5 unit(s) of TEE-RED-M are held at us-east" in str(refused.value)
    with pytest.raises(ReservationNotActive):
        services.ship_picked_units(owner=OWNER, variant=held, location=warehouse, quantity=1)
    with pytest.raises(InvalidQuantity):
        services.pick_held_units(owner=OWNER, variant=held, location=warehouse, quantity=0)
    assert counts(held, warehouse) == (10, 5, 0)


def test_reroute_moves_the_hold_in_one_step(held, warehouse, us):
    west = LocationFactory(code="us-west")
    stock(held, west, 3)

    moved = services.reroute_held_units(
        owner=OWNER, variant=held, source=warehouse, destination=west, quantity=2
    )

    assert (moved.location, moved.quantity, moved.status) == (west, 2, "committed")
    assert counts(held, warehouse) == (10, 3, 0)
    assert counts(held, west) == (3, 2, 0)
    with pytest.raises(InsufficientStock):
        services.reroute_held_units(
            owner=OWNER, variant=held, source=warehouse, destination=west, quantity=2
        )
    assert counts(held, warehouse) == (10, 3, 0) and counts(held, west) == (3, 2, 0)
    with pytest.raises(InvalidQuantity):
        services.reroute_held_units(
            owner=OWNER, variant=held, source=west, destination=west, quantity=1
        )
