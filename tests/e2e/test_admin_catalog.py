import pytest
from playwright.sync_api import expect

from catalog.models import Product, ProductStatus, VariantPrice

VARIANTS = [
    ("E2E-RED-S", "Red", "S", "19.99"),
    ("E2E-RED-M", "Red", "M", "19.99"),
    ("E2E-BLU-S", "Blue", "S", "21.50"),
    ("E2E-BLU-M", "Blue", "M", "21.50"),
]


@pytest.mark.django_db(transaction=True)
def test_merchandiser_creates_and_publishes_product_seen_on_storefront(
    page, live_server, login, merchandiser
):
    login(merchandiser)
    page.goto(f"{live_server.url}/admin/catalog/product/add/")

    # The handle first: once typed, the admin stops deriving it from the title.
    page.fill("#id_handle", "harbour-tee")
    page.fill("#id_title", "Harbour Tee")
    page.fill("#id_description", "A heavy cotton tee.")
    options = page.locator("#options-group")
    for index, (name, values) in enumerate([("Color", "Red, Blue"), ("Size", "S, M")]):
        options.get_by_text("Add another Option").click()
        page.fill(f"#id_options-{index}-name", name)
        page.fill(f"#id_options-{index}-values", values)
    variants = page.locator("#variants-group")
    for index, (sku, color, size, usd) in enumerate(VARIANTS):
        if index:
            variants.get_by_text("Add another Variant").click()
        page.fill(f"#id_variants-{index}-sku", sku)
        page.fill(f"#id_variants-{index}-option1", color)
        page.fill(f"#id_variants-{index}-option2", size)
        page.fill(f"#id_variants-{index}-price_USD", usd)
    page.click("input[name=_save]")
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")

    page.locator("tr", has_text="Harbour Tee").locator("input.action-select").check()
    page.select_option("select[name=action]", "publish_selected")
    page.click("button[name=index]")
    expect(page.locator("ul.messagelist")).to_contain_text("Published 1 product.")

    product = Product.objects.get(handle="harbour-tee")
    assert product.status == ProductStatus.ACTIVE
    assert sorted(
        VariantPrice.objects.filter(variant__product=product).values_list(
            "variant__sku", "currency", "amount_cents"
        )
    ) == [
        ("E2E-BLU-M", "USD", 2150),
        ("E2E-BLU-S", "USD", 2150),
        ("E2E-RED-M", "USD", 1999),
        ("E2E-RED-S", "USD", 1999),
    ]

    page.goto(f"{live_server.url}/p/harbour-tee/")
    expect(page.locator("h1")).to_contain_text("Harbour Tee")
