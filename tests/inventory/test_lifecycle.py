from datetime import timedelta

import pytest
from django.utils import timezone

from inventory import services
from inventory.exceptions import InvalidQuantity, ReservationNotActive, StockBelowPromised
from inventory.models import MovementKind, Reservation, ReservationStatus, StockLevel
from tests.factories.inventory import LocationFactory, stock

pytestmark = pytest.mark.django_db


def level():
    return StockLevel.objects.get()


@pytest.fixture
def held(variant, warehouse, us):
    stock(variant, warehouse, 10)
    return services.reserve_stock(lines={variant: 4}, market=us, owner="cart_1", ttl=300)[0]


def test_commit_makes_the_hold_hard_and_is_idempotent(held):
    (first,) = services.commit_reservations(owner="cart_1")
    (again,) = services.commit_reservations(reservation=held)

    assert (first.status, first.kind, first.expires_at) == ("committed", "hard", None)
    assert again.status == "committed"
    assert level().reserved == 4
    assert services.expire_reservations(now=timezone.now() + timedelta(days=30)) == 0


def test_commit_of_an_expired_hold_refuses(held):
    services.expire_reservations(now=timezone.now() + timedelta(seconds=301))

    with pytest.raises(ReservationNotActive):
        services.commit_reservations(reservation=held)

    assert Reservation.objects.get().status == ReservationStatus.EXPIRED
    assert level().reserved == 0


def test_release_gives_units_back_once(held):
    assert services.release_stock(owner="cart_1") == 4
    assert services.release_stock(reservation=held) == 0

    assert Reservation.objects.get().status == ReservationStatus.RELEASED
    assert (level().on_hand, level().reserved, level().atp) == (10, 0, 10)


def test_consume_lowers_on_hand_and_the_hold_with_a_sale_movement(held, operations_user):
    services.commit_reservations(owner="cart_1")

    services.consume_reservation(reservation=held, actor=operations_user, reference="ord_1")

    assert (level().on_hand, level().reserved, level().atp) == (6, 0, 6)
    assert Reservation.objects.get().status == ReservationStatus.CONSUMED
    sale = held.variant.stock_movements.get(kind=MovementKind.SALE)
    assert (sale.delta, sale.on_hand_after, sale.reference, sale.actor) == (
        -4,
        6,
        "ord_1",
        operations_user,
    )
    assert services.release_stock(reservation=held) == 0  # a cancel after shipping frees nothing
    with pytest.raises(ReservationNotActive):
        services.consume_reservation(reservation=held)


def test_partial_consume_splits_the_reservation(held):
    consumed = services.consume_reservation(reservation=held, quantity=1)

    open_part = Reservation.objects.get(pk=held.pk)
    assert (consumed.status, consumed.quantity) == ("consumed", 1)
    assert (open_part.status, open_part.quantity) == ("active", 3)
    assert (level().on_hand, level().reserved) == (9, 3)
    with pytest.raises(InvalidQuantity):
        services.consume_reservation(reservation=held, quantity=4)


def test_picking_moves_units_to_in_transit_out_then_ships(held):
    services.start_picking(reservation=held)

    assert (level().reserved, level().in_transit_out, level().atp) == (0, 4, 6)
    services.consume_reservation(reservation=held)
    assert (level().on_hand, level().in_transit_out, level().atp) == (6, 0, 6)


def test_release_while_picking_returns_in_transit_out(held):
    services.start_picking(reservation=held)

    assert services.release_stock(reservation=held) == 4

    assert (level().reserved, level().in_transit_out, level().atp) == (0, 0, 10)


def test_extend_pushes_expiry_back_only_for_active_holds(held):
    (extended,) = services.extend_reservations(owner="cart_1", ttl=3600)

    assert extended.expires_at > timezone.now() + timedelta(minutes=59)
    services.commit_reservations(owner="cart_1")
    with pytest.raises(ReservationNotActive):
        services.extend_reservations(owner="cart_1", ttl=60)


def test_reassign_hands_cart_holds_to_the_order(held):
    assert services.reassign_reservations(owner="cart_1", new_owner="ord_9") == 1

    assert services.release_stock(owner="ord_9") == 4


def test_hard_reservation_has_no_ttl(variant, warehouse, us):
    stock(variant, warehouse, 2)

    (r,) = services.reserve_stock(lines={variant: 2}, market=us, owner="pos_1", kind="hard")

    assert (r.status, r.expires_at) == ("committed", None)


def test_consume_of_units_still_in_transit_refuses(variant, us):
    source, dest = LocationFactory(code="src"), LocationFactory(code="dst", priority=1)
    stock(variant, source, 3)
    transfer = services.create_transfer(source=source, destination=dest, lines={variant: 3})
    services.ship_transfer(transfer=transfer)
    (r,) = services.reserve_stock(lines={variant: 2}, market=us, owner="ord_1")  # inbound units

    with pytest.raises(StockBelowPromised):
        services.consume_reservation(reservation=r)

    assert StockLevel.objects.get(location=dest).reserved == 2
