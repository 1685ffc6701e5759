"""The availability wiring: the catalog reads stock through settings, inventory answers.

The catalog never imports inventory; the project settings plug inventory's ATP reader in.
These tests use the real backend end to end (other catalog tests use a stand-in).
"""

import pytest
from django.conf import settings

from catalog import selectors
from shop import selectors as shop_selectors
from tests.factories.catalog import ProductFactory, VariantFactory
from tests.factories.inventory import LocationFactory, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug():
    product = ProductFactory(handle="mug", title="Mug", status="active")
    variant = VariantFactory(product=product, sku="MUG-1", prices={"USD": 950, "EUR": 900})
    return variant


def test_the_project_plugs_inventorys_atp_reader_in():
    assert settings.CATALOG_AVAILABILITY_BACKEND == "inventory.selectors.available_quantities"


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
