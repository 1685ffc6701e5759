from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import ProductStatus, Variant
from inventory import selectors, services, tasks
from inventory.models import Location, Reservation, StockLevel
from inventory.seeding import seed_inventory
from tests.factories.catalog import ProductFactory, VariantFactory
from tests.factories.inventory import market, stock

pytestmark = pytest.mark.django_db


def _expire(*owners):
    """Let the clock pass the TTL of these owners' holds."""
    Reservation.objects.filter(owner__in=owners).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_expire_reservations_command_releases_only_expired(variant, warehouse, us, capsys):
    stock(variant, warehouse, 5)
    services.reserve_stock(lines={variant: 1}, market=us, owner="cart_old", ttl=60)
    services.reserve_stock(lines={variant: 1}, market=us, owner="cart_new", ttl=600)
    _expire("cart_old")

    call_command("expire_reservations", "--batch-size", "1")

    assert "Released 1" in capsys.readouterr().out
    assert dict(Reservation.objects.values_list("owner", "status")) == {
        "cart_old": "expired",
        "cart_new": "active",
    }
    assert StockLevel.objects.get().reserved == 1


def test_beat_task_expires_in_batches(variant, warehouse, us):
    stock(variant, warehouse, 5)
    for i in range(3):
        services.reserve_stock(lines={variant: 1}, market=us, owner=f"cart_{i}", ttl=60)
    _expire("cart_0", "cart_1", "cart_2")

    assert tasks.expire_reservations.delay(batch_size=2).get() == 3
    assert StockLevel.objects.get().reserved == 0


def test_seed_inventory_stocks_every_active_variant_with_a_matching_ledger(db):
    for code in ("US", "CA", "EU"):
        market(code)
    variants = [VariantFactory(sku=f"DEMO-{i}") for i in range(14)]
    VariantFactory(sku="DRAFT-1", product=ProductFactory(status=ProductStatus.DRAFT))

    # These factory variants stand in for the demo catalog's own (the seed stocks only those).
    summary = seed_inventory(rng_seed=1, variants=Variant.objects.all())
    again = seed_inventory(rng_seed=1, variants=Variant.objects.all())

    assert summary["variants_stocked"] == 14 and again["variants_stocked"] == 0
    assert len(summary["low"]) == 3 and len(summary["out_of_stock"]) == 3
    assert set(Location.objects.values_list("code", flat=True)) >= {
        "us-nj-dc",
        "ca-toronto-dc",
        "eu-berlin-dc",
    }
    us = market("US")
    available = selectors.available_quantities(variant_ids=[v.pk for v in variants], market=us)
    by_sku = {v.sku: available[v.pk] for v in variants}
    assert all(1 <= by_sku[sku] <= 3 for sku in summary["low"])
    assert all(by_sku[sku] == 0 for sku in summary["out_of_stock"])
    assert not StockLevel.objects.filter(variant__sku="DRAFT-1").exists()
    assert selectors.list_ledger_mismatches() == []
    assert Location.objects.get(code="eu-ams-3pl").is_stale
