from datetime import timedelta

import pytest
from django.utils import timezone

from inventory import selectors, services
from inventory.exceptions import InsufficientStock, InvalidQuantity, UnknownSku
from inventory.models import Reservation, ReservationStatus, StockLevel
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock

pytestmark = pytest.mark.django_db


def test_reserve_holds_units_and_lowers_atp(variant, warehouse, us):
    stock(variant, warehouse, 10)

    (held,) = services.reserve_stock(lines={variant: 3}, market=us, owner="cart_1", ttl=600)

    assert (held.quantity, held.status, held.location_id) == (3, "active", warehouse.pk)
    assert held.expires_at > timezone.now() + timedelta(seconds=590)
    level = StockLevel.objects.get(variant=variant, location=warehouse)
    assert (level.on_hand, level.reserved, level.atp) == (10, 3, 7)
    assert selectors.available_quantities(variant_ids=[variant.pk], market=us) == {variant.pk: 7}


def test_reserve_multi_line_short_reserves_nothing(variant, warehouse, us):
    other = VariantFactory(sku="TEE-BLUE-M")
    stock(variant, warehouse, 10)
    stock(other, warehouse, 1)

    with pytest.raises(InsufficientStock) as exc:
        services.reserve_stock(lines={variant: 2, "TEE-BLUE-M": 2}, market=us, owner="cart_1")

    assert exc.value.lines == [{"sku": "TEE-BLUE-M", "requested": 2, "available": 1}]
    assert exc.value.status_code == 409 and exc.value.code == "insufficient_stock"
    assert list(StockLevel.objects.values_list("reserved", flat=True)) == [0, 0]
    assert not Reservation.objects.exists()


@pytest.mark.parametrize("qty", [0, -1, 10**9, 1.5, True, "2"])
def test_reserve_refuses_bad_quantities(variant, warehouse, us, qty):
    stock(variant, warehouse, 10)

    with pytest.raises(InvalidQuantity):
        services.reserve_stock(lines={variant: qty}, market=us, owner="cart_1")

    assert StockLevel.objects.get().reserved == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"owner": ""}, "owner"),
        ({"owner": None}, "owner"),
        ({"owner": "cart_" + "x" * 60}, "owner"),
        ({"kind": "firm"}, "kind"),
        ({"ttl": 0}, "ttl"),
        ({"ttl": timedelta(days=30)}, "ttl"),
    ],
)
def test_reserve_refuses_bad_owner_kind_or_ttl_and_holds_nothing(
    variant, warehouse, us, kwargs, field
):
    stock(variant, warehouse, 10)

    with pytest.raises(InvalidQuantity) as exc:
        services.reserve_stock(lines={variant: 1}, market=us, **{"owner": "cart_1", **kwargs})

    assert list(exc.value.fields) == [field]
    assert StockLevel.objects.get().reserved == 0
    assert not Reservation.objects.exists()


def test_reserve_sums_repeated_lines_of_one_sku(variant, warehouse, us):
    stock(variant, warehouse, 10)

    (held,) = services.reserve_stock(
        lines=[(variant, 2), ("TEE-RED-M", 3)], market=us, owner="c_1"
    )

    assert held.quantity == 5
    assert StockLevel.objects.get().reserved == 5


def test_reserve_refuses_unknown_sku(variant, warehouse, us):
    stock(variant, warehouse, 10)

    with pytest.raises(UnknownSku) as exc:
        services.reserve_stock(lines={variant: 1, "NOPE": 1}, market=us, owner="cart_1")

    assert exc.value.extra["skus"] == ["NOPE"]
    assert StockLevel.objects.get().reserved == 0


def test_reserve_releases_expired_holds_before_the_beat(variant, warehouse, us):
    stock(variant, warehouse, 2)
    old = services.reserve_stock(lines={variant: 2}, market=us, owner="cart_old", ttl=60)
    Reservation.objects.filter(pk=old[0].pk).update(expires_at=timezone.now() - timedelta(1))

    (held,) = services.reserve_stock(lines={variant: 2}, market=us, owner="cart_new")

    assert Reservation.objects.get(pk=old[0].pk).status == ReservationStatus.EXPIRED
    assert held.status == ReservationStatus.ACTIVE
    assert StockLevel.objects.get().reserved == 2


def test_reserve_splits_only_when_no_single_location_fills(variant, warehouse, us):
    second = LocationFactory(code="us-west", priority=20)
    stock(variant, warehouse, 3)
    stock(variant, second, 5)

    (one,) = services.reserve_stock(lines={variant: 4}, market=us, owner="cart_1")
    split = services.reserve_stock(lines={variant: 4}, market=us, owner="cart_2")

    assert (one.location_id, one.quantity) == (second.pk, 4)
    assert sorted((r.location_id, r.quantity) for r in split) == [
        (warehouse.pk, 3),
        (second.pk, 1),
    ]
    assert selectors.available_quantities(variant_ids=[variant.pk], market=us)[variant.pk] == 0


def test_reserve_ignores_locations_outside_the_market(variant, warehouse, us):
    eu_only = LocationFactory(code="eu-1", country="DE", markets=["EU"])
    stock(variant, eu_only, 50)

    with pytest.raises(InsufficientStock) as exc:
        services.reserve_stock(lines={variant: 1}, market=us, owner="cart_1")

    assert exc.value.lines == [{"sku": "TEE-RED-M", "requested": 1, "available": 0}]


def test_safety_stock_is_not_sold(variant, warehouse, us):
    stock(variant, warehouse, 5, safety_stock=4)

    with pytest.raises(InsufficientStock):
        services.reserve_stock(lines={variant: 2}, market=us, owner="cart_1")
    services.reserve_stock(lines={variant: 1}, market=us, owner="cart_1")

    assert selectors.available_quantities(variant_ids=[variant.pk], market=us)[variant.pk] == 0
