import pytest

from inventory import selectors, services
from inventory.exceptions import (
    InvalidQuantity,
    InvalidTransfer,
    InvalidTransferTransition,
    StockBelowPromised,
    UnknownSku,
)
from inventory.models import StockLevel, StockMovement, Transfer, TransferStatus
from tests.factories.inventory import LocationFactory, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(db):
    return LocationFactory(code="nyc-store", priority=50)


def counts(variant, location):
    lvl = StockLevel.objects.get(variant=variant, location=location)
    return lvl.on_hand, lvl.in_transit_in, lvl.atp


def test_transfer_ships_then_receives(variant, warehouse, store, operations_user, us):
    stock(variant, warehouse, 10)
    transfer = services.create_transfer(
        source=warehouse, destination=store, lines={variant: 4}, actor=operations_user
    )
    assert transfer.status == TransferStatus.DRAFT and counts(variant, warehouse) == (10, 0, 10)

    services.ship_transfer(transfer=transfer, actor=operations_user)

    assert counts(variant, warehouse) == (6, 0, 6)
    assert counts(variant, store) == (0, 4, 4)  # inbound units count in ATP
    assert selectors.available_quantities(variant_ids=[variant.pk], market=us)[variant.pk] == 10

    services.receive_transfer(transfer=transfer, actor=operations_user)

    assert counts(variant, store) == (4, 0, 4)
    assert Transfer.objects.get().status == TransferStatus.RECEIVED
    kinds = list(StockMovement.objects.order_by("pk").values_list("kind", "delta"))
    assert kinds == [("receipt", 10), ("transfer_out", -4), ("transfer_in", 4)]
    assert selectors.list_ledger_mismatches() == []


def test_transfer_to_itself_refuses(variant, warehouse):
    with pytest.raises(InvalidTransfer):
        services.create_transfer(source=warehouse, destination=warehouse, lines={variant: 1})

    assert not Transfer.objects.exists()


def test_transfer_with_unknown_sku_or_no_lines_refuses(warehouse, store):
    with pytest.raises(UnknownSku):
        services.create_transfer(source=warehouse, destination=store, lines={"NOPE": 1})
    with pytest.raises(InvalidTransfer):
        services.create_transfer(source=warehouse, destination=store, lines={})

    assert not Transfer.objects.exists()


def test_transfer_sums_repeated_lines_and_refuses_bad_quantities(variant, warehouse, store):
    transfer = services.create_transfer(
        source=warehouse, destination=store, lines=[(variant, 2), ("TEE-RED-M", 3)]
    )

    assert list(transfer.lines.values_list("variant__sku", "quantity")) == [("TEE-RED-M", 5)]
    for bad in (0, -1, 10**9):
        with pytest.raises(InvalidQuantity):
            services.create_transfer(source=warehouse, destination=store, lines={variant: bad})
    assert Transfer.objects.count() == 1


def test_shipping_reserved_units_refuses_and_moves_nothing(variant, warehouse, store, us):
    stock(variant, warehouse, 5)
    services.reserve_stock(lines={variant: 3}, market=us, owner="cart_1")
    transfer = services.create_transfer(source=warehouse, destination=store, lines={variant: 3})

    with pytest.raises(StockBelowPromised):
        services.ship_transfer(transfer=transfer)

    assert counts(variant, warehouse)[0] == 5
    assert Transfer.objects.get().status == TransferStatus.DRAFT
    assert not StockLevel.objects.filter(location=store, in_transit_in__gt=0).exists()


def test_transfer_transitions_are_enforced(variant, warehouse, store):
    stock(variant, warehouse, 5)
    transfer = services.create_transfer(source=warehouse, destination=store, lines={variant: 1})

    with pytest.raises(InvalidTransferTransition):
        services.receive_transfer(transfer=transfer)
    services.ship_transfer(transfer=transfer)
    with pytest.raises(InvalidTransferTransition):
        services.cancel_transfer(transfer=transfer)
    with pytest.raises(InvalidTransferTransition):
        services.ship_transfer(transfer=transfer)


def test_cancel_a_draft_moves_nothing(variant, warehouse, store):
    stock(variant, warehouse, 5)
    transfer = services.create_transfer(source=warehouse, destination=store, lines={variant: 1})

    services.cancel_transfer(transfer=transfer)

    assert Transfer.objects.get().status == TransferStatus.CANCELLED
    assert counts(variant, warehouse) == (5, 0, 5)


def test_update_transfer_replaces_a_drafts_lines_and_locations(variant, warehouse, store):
    other = LocationFactory(code="la-store")
    transfer = services.create_transfer(source=warehouse, destination=store, lines={variant: 2})

    services.update_transfer(
        transfer=transfer, destination=other, lines={variant: 5}, note="to LA instead"
    )

    transfer.refresh_from_db()
    assert (transfer.destination, transfer.note) == (other, "to LA instead")
    assert list(transfer.lines.values_list("variant__sku", "quantity")) == [("TEE-RED-M", 5)]
    assert not StockMovement.objects.exists()


def test_update_transfer_refuses_lines_or_locations_once_shipped(variant, warehouse, store):
    stock(variant, warehouse, 10)
    transfer = services.create_transfer(source=warehouse, destination=store, lines={variant: 2})
    services.ship_transfer(transfer=transfer)

    with pytest.raises(InvalidTransferTransition, match="only a draft's locations and lines"):
        services.update_transfer(transfer=transfer, lines={variant: 9})
    with pytest.raises(InvalidTransferTransition):
        services.update_transfer(transfer=transfer, source=store, destination=warehouse)
    services.update_transfer(transfer=transfer, note="truck 7")

    transfer.refresh_from_db()
    assert (transfer.source, transfer.destination, transfer.note) == (warehouse, store, "truck 7")
    assert list(transfer.lines.values_list("variant__sku", "quantity")) == [("TEE-RED-M", 2)]


def test_a_bad_line_is_named_by_its_index(variant, warehouse, store):
    with pytest.raises(InvalidQuantity) as refused:
        services.create_transfer(
            source=warehouse, destination=store, lines=[(variant, 1), ("MUG-1", 0)]
        )
    assert refused.value.fields == {
        "lines": {"1": {"quantity": [f"quantity must be between 1 and {10**6}, not 0."]}}
    }
    with pytest.raises(UnknownSku) as unknown:
        services.create_transfer(
            source=warehouse, destination=store, lines=[(variant, 1), ("NOPE", 2)]
        )
    assert unknown.value.fields == {"lines": {"1": {"variant": ["Unknown SKU: NOPE."]}}}
    assert not Transfer.objects.exists()
