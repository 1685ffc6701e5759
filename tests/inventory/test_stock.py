from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from inventory import selectors, services
from inventory.exceptions import (
    DuplicateSku,
    InvalidQuantity,
    ReasonRequired,
    StockBelowPromised,
    UnknownLocation,
    UnknownSku,
)
from inventory.models import Location, StockLevel, StockMovement
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(StockLevel.objects.values_list("on_hand", "reserved", "synced_at").order_by("pk")),
        StockMovement.objects.count(),
    )


def test_adjustment_writes_a_ledger_entry_with_actor_and_reason(
    variant, warehouse, operations_user
):
    stock(variant, warehouse, 5)

    movement = services.adjust_stock(
        variant="TEE-RED-M", location=warehouse, delta=-2, reason="damaged", actor=operations_user
    )

    assert (movement.kind, movement.delta, movement.on_hand_after) == ("adjustment", -2, 3)
    assert (movement.reason, movement.actor) == ("damaged", operations_user)
    assert StockLevel.objects.get().on_hand == 3


def test_adjustment_below_reserved_refuses_and_changes_nothing(variant, warehouse, us):
    stock(variant, warehouse, 5)
    services.reserve_stock(lines={variant: 4}, market=us, owner="cart_1")
    before = snapshot()

    with pytest.raises(StockBelowPromised) as exc:
        services.adjust_stock(variant=variant, location=warehouse, delta=-2, reason="count")

    assert exc.value.status_code == 409 and exc.value.extra["reserved"] == 4
    assert snapshot() == before
    services.adjust_stock(variant=variant, location=warehouse, delta=-1, reason="count")


def test_reduction_below_reserved_is_refused_even_when_inbound_units_cover_the_holds(
    variant, warehouse, us
):
    elsewhere = LocationFactory(code="eu-west", markets=[])
    stock(variant, warehouse, 2)
    stock(variant, elsewhere, 5)
    transfer = services.create_transfer(
        source=elsewhere, destination=warehouse, lines={variant: 5}
    )
    services.ship_transfer(transfer=transfer)
    services.reserve_stock(lines={variant: 4}, market=us, owner="cart_1")  # 2 here + 5 inbound
    before = snapshot()

    with pytest.raises(StockBelowPromised):
        services.adjust_stock(variant=variant, location=warehouse, delta=-1, reason="damaged")

    assert snapshot() == before
    services.adjust_stock(variant=variant, location=warehouse, delta=3, reason="found")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"delta": 0}, InvalidQuantity),
        ({"delta": 10**7}, InvalidQuantity),
        ({"delta": -(10**7)}, InvalidQuantity),
        ({"delta": 1.0}, InvalidQuantity),
        ({"delta": 1, "reason": "  "}, ReasonRequired),
        ({"delta": 1, "variant": "NO-SUCH-SKU"}, UnknownSku),
        ({"delta": 1, "location": Location(code="ghost")}, UnknownLocation),
        ({"delta": -1}, StockBelowPromised),  # nothing on hand yet
    ],
)
def test_bad_adjustments_refuse_and_change_nothing(variant, warehouse, kwargs, error):
    before = snapshot()

    with pytest.raises(error):
        services.adjust_stock(
            **{"variant": variant, "location": warehouse, "reason": "why", **kwargs}
        )

    assert snapshot() == before


def test_check_constraints_refuse_oversell_from_any_caller(variant, warehouse):
    stock(variant, warehouse, 3)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.update(reserved=F("on_hand") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.update(on_hand=-1, reserved=0)


def test_movements_are_append_only(variant, warehouse):
    stock(variant, warehouse, 3)
    movement = StockMovement.objects.get()

    with pytest.raises(ValidationError):
        movement.save()
    with pytest.raises(ValidationError):
        movement.delete()


def test_set_stock_count_ignores_an_older_count(variant, warehouse):
    now = timezone.now()
    services.set_stock_count(
        variant=variant, location=warehouse, on_hand=7, source="wms", as_of=now
    )

    old = services.set_stock_count(
        variant=variant,
        location=warehouse,
        on_hand=99,
        source="wms",
        as_of=now - timedelta(minutes=1),
    )

    assert (old.applied, old.ignored) == ([], ["TEE-RED-M"])
    level = StockLevel.objects.get()
    assert (level.on_hand, level.synced_at, level.source) == (7, now, "wms")
    assert list(StockMovement.objects.values_list("kind", "delta")) == [("sync", 7)]
    assert Location.objects.get().last_synced_at == now


def test_sync_applies_counts_and_writes_corrections(variant, warehouse):
    other = VariantFactory(sku="TEE-BLUE-M")
    stock(variant, warehouse, 5)
    as_of = timezone.now()

    result = services.sync_stock_levels(
        location=warehouse, as_of=as_of, items=[("TEE-RED-M", 8), ("TEE-BLUE-M", 0)]
    )

    assert (result.applied, result.ignored) == (["TEE-RED-M", "TEE-BLUE-M"], [])
    assert StockLevel.objects.get(variant=variant).on_hand == 8
    assert StockLevel.objects.get(variant=other).on_hand == 0
    assert [(m.kind, m.delta) for m in result.movements] == [("sync", 3)]
    assert selectors.list_ledger_mismatches() == []


@pytest.mark.parametrize(
    ("items", "error"),
    [
        ([("TEE-RED-M", 1), ("TEE-RED-M", 2)], DuplicateSku),
        ([("TEE-RED-M", 1), ("NOPE", 2)], UnknownSku),
        ([("TEE-RED-M", -1)], InvalidQuantity),
        ([("TEE-RED-M", 10**9)], InvalidQuantity),
        ([], InvalidQuantity),
    ],
)
def test_bad_sync_payload_changes_nothing(variant, warehouse, items, error):
    stock(variant, warehouse, 5)
    before = snapshot()

    with pytest.raises(error):
        services.sync_stock_levels(location=warehouse, as_of=timezone.now(), items=items)

    assert snapshot() == before


def test_sync_below_reserved_refuses_the_whole_snapshot(variant, warehouse, us):
    other = VariantFactory(sku="TEE-BLUE-M")
    stock(variant, warehouse, 5)
    services.reserve_stock(lines={variant: 3}, market=us, owner="cart_1")
    before = snapshot()

    with pytest.raises(StockBelowPromised):
        services.sync_stock_levels(
            location=warehouse, as_of=timezone.now(), items=[("TEE-BLUE-M", 4), ("TEE-RED-M", 2)]
        )

    assert snapshot() == before and not StockLevel.objects.filter(variant=other).exists()


def test_sync_in_the_future_refuses(variant, warehouse):
    with pytest.raises(InvalidQuantity):
        services.sync_stock_levels(
            location=warehouse,
            as_of=timezone.now() + timedelta(hours=1),
            items=[("TEE-RED-M", 1)],
        )


def test_sync_with_a_seen_event_id_is_a_no_op(variant, warehouse):
    first = services.sync_stock_levels(
        location=warehouse, as_of=timezone.now(), items=[("TEE-RED-M", 4)], event_id="evt_1"
    )
    replay = services.sync_stock_levels(
        location=warehouse, as_of=timezone.now(), items=[("TEE-RED-M", 9)], event_id="evt_1"
    )

    assert (first.duplicate, replay.duplicate) == (False, True)
    assert StockLevel.objects.get().on_hand == 4


def test_ledger_check_command_passes_then_catches_a_forged_count(variant, warehouse, capsys):
    stock(variant, warehouse, 5)
    call_command("check_stock_ledger")
    assert "OK" in capsys.readouterr().out

    StockLevel.objects.update(on_hand=6)  # a write that bypassed the services

    with pytest.raises(CommandError):
        call_command("check_stock_ledger")
    assert "TEE-RED-M" in capsys.readouterr().err


def test_safety_stock_lowers_atp_but_not_below_zero_for_customers(variant, warehouse, us):
    stock(variant, warehouse, 2, safety_stock=5)

    assert StockLevel.objects.get().atp == -3
    assert selectors.available_quantities(variant_ids=[variant.pk], market=us) == {variant.pk: 0}
