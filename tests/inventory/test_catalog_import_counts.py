"""Shopify's Variant Inventory Qty lands in stock at the default location, through the ledger."""

import pytest

from catalog.importing import import_catalog
from inventory.models import StockLevel, StockMovement
from inventory.selectors import list_ledger_mismatches
from tests.factories.inventory import LocationFactory
from tests.fixtures import shared_fixture

pytestmark = pytest.mark.django_db

FIXTURE = shared_fixture("shopify/product_template.csv")


@pytest.fixture
def template_bytes():
    return FIXTURE.read_bytes()


def test_shopify_import_sets_stock_counts_at_the_default_location(template_bytes):
    location = LocationFactory(code="us-main", priority=1)

    result = import_catalog(data=template_bytes, filename="p.csv", format="shopify")

    assert result.committed and result.stock_counts_applied
    levels = {
        lvl.variant.sku: lvl.on_hand
        for lvl in StockLevel.objects.filter(location=location).select_related("variant")
    }
    assert levels["PNT_DEN_285"] == 20
    assert levels["HAT_GRY_275"] == 50
    assert set(levels) == set(result.inventory)
    assert StockMovement.objects.filter(reference="catalog import").count() == sum(
        1 for qty in result.inventory.values() if qty
    )
    assert list(list_ledger_mismatches()) == []


def test_shopify_dry_run_touches_no_stock(template_bytes):
    LocationFactory(code="us-main", priority=1)

    result = import_catalog(data=template_bytes, filename="p.csv", format="shopify", dry_run=True)

    assert not result.stock_counts_applied
    assert StockLevel.objects.count() == 0


def test_shopify_import_without_any_location_keeps_counts_unapplied(template_bytes):
    result = import_catalog(data=template_bytes, filename="p.csv", format="shopify")

    assert result.committed
    assert not result.stock_counts_applied
    assert StockLevel.objects.count() == 0
