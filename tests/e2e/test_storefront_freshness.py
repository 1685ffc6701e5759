"""A shopper on a phone sees a price or stock change on the very next load of a cached product
page (issue 9: versioned caches, availability read fresh)."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from catalog import services as catalog_services
from inventory import services as inventory_services
from storefront import page_cache
from tests.factories.catalog import CategoryFactory, ProductFactory, VariantFactory
from tests.factories.inventory import LocationFactory, market, stock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tee():
    market("US")
    product = ProductFactory(
        title="Harbor Tee", handle="harbor-tee", categories=[CategoryFactory(slug="tees")]
    )
    variant = VariantFactory(product=product, sku="TEE-1", prices={"USD": 2500})
    warehouse = LocationFactory(code="us-east", country="US", markets=["US"])
    stock(variant, warehouse, 10)
    cache.clear()  # factories bump no version
    page_cache.forget_local()
    return variant, warehouse


def test_a_changed_price_and_stock_show_on_the_next_load(page, live_server, tee):
    variant, warehouse = tee
    page.set_viewport_size({"width": 375, "height": 812})
    url = f"{live_server.url}/p/harbor-tee/"
    page.goto(url)
    expect(page.locator("[data-price]")).to_have_text("$25.00")
    expect(page.locator("[data-availability]")).to_have_text("In stock")
    page.reload()  # served from the cache now

    catalog_services.set_variant_prices(variant=variant, prices={"USD": (1999, None)}, actor=None)
    page.reload()

    expect(page.locator("[data-price]")).to_have_text("$19.99")

    inventory_services.set_stock_count(
        variant=variant, location=warehouse, on_hand=0, source="stocktake"
    )
    page.reload()

    expect(page.locator("[data-availability]")).to_have_text("Out of stock")
    expect(page.locator("[data-add-to-cart]")).to_be_disabled()
    page.goto(f"{live_server.url}/c/tees/")
    expect(page.locator(".product-card")).to_contain_text("$19.99")
    expect(page.locator(".product-card .badge")).to_have_text("Out of stock")
