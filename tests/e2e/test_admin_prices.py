"""A merchandiser types a price with a decimal comma in the admin, as people in Germany do."""

import pytest
from playwright.sync_api import expect

from catalog.models import Product, VariantPrice


@pytest.mark.django_db(transaction=True)
def test_comma_price_is_refused_for_usd_and_read_as_a_decimal_for_the_german_market(
    page, live_server, login, merchandiser
):
    login(merchandiser)
    page.goto(f"{live_server.url}/admin/catalog/product/add/")
    page.fill("#id_handle", "comma-tee")
    page.fill("#id_title", "Comma Tee")
    page.locator("#options-group").get_by_text("Add another Option").click()
    page.fill("#id_options-0-name", "Size")
    page.fill("#id_options-0-values", "S")
    page.fill("#id_variants-0-sku", "COMMA-S")
    page.fill("#id_variants-0-option1", "S")

    # The US market writes English: "26,50" could be 2,650 or 26.50, so it is refused.
    page.fill("#id_variants-0-price_USD", "26,50")
    page.click("input[name=_save]")
    expect(page.locator("#variants-group .errorlist")).to_contain_text(
        "'26,50' is ambiguous in en: type 26.50"
    )
    assert Product.objects.count() == 0

    # The EU market writes German: "26,50" is 26.50 there; the page keeps what was typed.
    expect(page.locator("#id_variants-0-price_USD")).to_have_value("26,50")
    page.fill("#id_variants-0-price_USD", "26.50")
    page.fill("#id_variants-0-price_EUR", "26,50")
    page.click("input[name=_save]")
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    assert sorted(
        VariantPrice.objects.filter(variant__sku="COMMA-S").values_list("currency", "amount_cents")
    ) == [("EUR", 2650), ("USD", 2650)]

    # The variant's own page shows both amounts the market's way and the currency as a choice.
    page.goto(f"{live_server.url}/admin/catalog/product/")
    page.get_by_role("link", name="Comma Tee").click()
    page.locator("#variants-group").get_by_role("link", name="Change").first.click()
    rows = page.locator("#prices-group tbody tr.has_original")
    eur = rows.filter(has=page.locator("select option[value=EUR][selected]"))
    expect(eur.locator("input[name$=-amount]")).to_have_value("26,50")
    usd = rows.filter(has=page.locator("select option[value=USD][selected]"))
    expect(usd.locator("input[name$=-amount]")).to_have_value("26.50")

    eur.locator("input[name$=-amount]").fill("1.234,50")
    page.click("input[name=_save]")
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    assert VariantPrice.objects.get(variant__sku="COMMA-S", currency="EUR").amount_cents == 123450
