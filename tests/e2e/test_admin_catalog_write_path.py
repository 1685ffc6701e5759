"""The product page's writes in a real browser (issue 6): a status changed in the form is
published by the publishing service (stamp, history, stock warning), and removing a variant
archives it so its SKU is refused when typed again."""

import pytest
from playwright.sync_api import expect

from catalog.models import Product, ProductStatus, Variant
from tests.factories.catalog import (
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tee():
    product = ProductFactory(handle="tee", title="Tee", status=ProductStatus.DRAFT)
    color = OptionFactory(product=product, name="Color", position=0)
    red = OptionValueFactory(option=color, value="Red", position=0)
    blue = OptionValueFactory(option=color, value="Blue", position=1)
    VariantFactory(product=product, sku="TEE-R", option_values=[red], prices={"USD": 1000})
    VariantFactory(product=product, sku="TEE-B", option_values=[blue], prices={"USD": 1200})
    return product


def test_status_set_in_the_form_is_published_with_a_history_row_and_a_stock_warning(
    page, live_server, login, merchandiser, tee
):
    login(merchandiser)
    page.goto(f"{live_server.url}/admin/catalog/product/{tee.pk}/change/")

    page.select_option("#id_status", "active")
    page.click("input[name=_save]")

    expect(page.locator("ul.messagelist .warning")).to_have_text(
        "“Tee” is active but has no sellable stock in any market (US, CA, EU): "
        "shoppers see it as out of stock."
    )
    tee.refresh_from_db()
    assert tee.status == ProductStatus.ACTIVE
    assert tee.published_at is not None
    page.goto(f"{live_server.url}/admin/catalog/product/{tee.pk}/history/")
    expect(page.locator("#change-history tbody")).to_contain_text("Published.")


def test_a_removed_variant_is_archived_and_its_sku_is_refused_on_another_product(
    page, live_server, login, merchandiser, tee
):
    cap = ProductFactory(handle="cap", title="Cap", status=ProductStatus.DRAFT)
    login(merchandiser)
    page.goto(f"{live_server.url}/admin/catalog/product/{tee.pk}/change/")

    page.check("input[name=variants-1-DELETE]")
    page.click("input[name=_save]")

    expect(page.locator("ul.messagelist .success")).to_be_visible()
    assert Variant.objects.get(sku="TEE-B").status == "archived"
    page.goto(f"{live_server.url}/admin/catalog/product/{tee.pk}/change/")
    rows = page.locator("#variants-group input[name$='-sku']:not([name*='__prefix__'])")
    assert rows.evaluate_all("inputs => inputs.map(i => i.value)") == ["TEE-R", ""]  # + a blank

    page.goto(f"{live_server.url}/admin/catalog/product/{cap.pk}/change/")
    page.fill("input[name=variants-0-sku]", "TEE-B")
    page.fill("input[name=variants-0-price_USD]", "5.00")
    page.click("input[name=_save]")

    expect(page.locator("#variants-group .errorlist")).to_have_text(
        "SKU TEE-B belonged to a removed variant of Tee; SKUs are never reused."
    )
    assert list(Product.objects.get(pk=cap.pk).variants.values_list("sku")) == []
