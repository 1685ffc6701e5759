"""The availability wiring: the catalog reads stock through its port, inventory answers.

The catalog never imports inventory; inventory registers its ATP reader in its AppConfig.ready().
These tests use the real backend end to end (other catalog tests use a stand-in).
"""

import pytest

from catalog import ports, selectors
from inventory.availability_cache import kept_available_quantities
from inventory.services.stock import apply_catalog_import_counts
from shop import ports as shop_ports
from shop import selectors as shop_selectors
from tests.factories.catalog import ProductFactory, VariantFactory
from tests.factories.inventory import LocationFactory, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug():
    product = ProductFactory(handle="mug", title="Mug", status="active")
    variant = VariantFactory(product=product, sku="MUG-1", prices={"USD": 950, "EUR": 900})
    return variant


def test_the_project_plugs_inventorys_kept_atp_reader_in():
    assert ports.availability() is kept_available_quantities


def test_inventory_registers_its_stock_count_writer_and_each_app_its_demo_seeder():
    assert ports.stock_counts() is apply_catalog_import_counts
    assert [s.name for s in shop_ports.demo_seeders()] == [
        "users",
        "catalog",
        "inventory",
        "returns",
        "promotions",
    ]


def test_override_swaps_a_port_for_a_block_and_restores_it(mug):
    us = shop_selectors.get_market("US")

    with ports.override(availability=lambda *, variant_ids, market: {mug.pk: -4}):
        assert selectors.get_available_quantities(variant_ids=[mug.pk], market=us) == {mug.pk: 0}
        with ports.override(availability=None):
            assert selectors.get_available_quantities(variant_ids=[mug.pk], market=us) is None

    assert ports.availability() is kept_available_quantities
    assert ports.stock_counts() is apply_catalog_import_counts


def test_available_quantities_come_from_the_markets_locations(mug):
    stock(mug, LocationFactory(markets=["US"]), 3)
    stock(mug, LocationFactory(markets=["US"]), 4)
    stock(mug, LocationFactory(markets=["EU"]), 0)
    us, eu = shop_selectors.get_market("US"), shop_selectors.get_market("EU")

    assert selectors.get_available_quantities(variant_ids=[mug.pk], market=us) == {mug.pk: 7}
    assert selectors.get_available_quantities(variant_ids=[mug.pk], market=eu) == {mug.pk: 0}


def test_product_page_and_api_show_real_stock(client, mug):
    stock(mug, LocationFactory(markets=["US"]), 3)

    page = client.get("/p/mug/")
    eu_page = client.get("/p/mug/?market=EU")
    api = client.get("/api/v1/products/mug").json()
    listing = client.get("/api/v1/products").json()

    assert "Only 3 left" in page.content.decode()
    assert "Out of stock" in eu_page.content.decode()
    assert api["variants"][0]["available"] == 3
    assert listing["results"][0]["in_stock"] is True
