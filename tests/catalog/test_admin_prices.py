"""Money typed in the catalog admin: decimals in the market's locale on every page.

The bug: "26,50" typed as a price saved 2650.00 (every comma was read as grouping); the variant
page took whole cents and a free-text currency. Now both pages read decimals the way the market
selling in the currency writes them (Babel/CLDR), refuse what is ambiguous, and save nothing
when any amount is refused.
"""

import pytest
from django.urls import reverse

from catalog.models import Product, Variant, VariantPrice
from shop.models import Market
from tests.factories.catalog import (
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db

ADD = reverse("admin:catalog_product_add")
INLINES = ("options", "variants", "translations", "attribute_values", "media")


@pytest.fixture
def merch_client(client, merchandiser):
    client.force_login(merchandiser)
    return client


@pytest.fixture
def german_eu_market():
    """The EU market typing in de_DE (the seeded one says "de"; both write 26,50)."""
    Market.objects.filter(code="EU").update(default_locale="de_DE")
    return Market.objects.get(code="EU")


def product_post(*, usd="", eur="", sku="LIN-S", handle="linen-shirt", pk=None):
    """The product page's POST: one option (Size: S) and one variant row with two prices."""
    rows = {
        "options": [{"name": "Size", "values": "S", "id": ""}],
        "variants": [
            {
                "id": pk or "",
                "sku": sku,
                "status": "active",
                "position": "0",
                "weight_grams": "",
                "option1": "S",
                "price_USD": usd,
                "price_CAD": "",
                "price_EUR": eur,
            }
        ],
    }
    data = {
        "title": "Linen shirt",
        "handle": handle,
        "status": "draft",
        "description": "",
        "brand": "",
        "product_type": "",
        "tags": "",
        "seo_title": "",
        "seo_description": "",
    }
    for prefix in INLINES:
        forms = rows.get(prefix, [])
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(forms)),
            f"{prefix}-INITIAL_FORMS": str(sum(1 for form in forms if form.get("id"))),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
        for i, form in enumerate(forms):
            data |= {f"{prefix}-{i}-{key}": value for key, value in form.items()}
    return data


def variant_errors(response, field):
    formset = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Variant)
    return [message for form in formset.formset.forms for message in form.errors.get(field, [])]


def catalog_rows():
    return (
        Product.objects.count(),
        Variant.objects.count(),
        sorted(VariantPrice.objects.values_list("variant__sku", "currency", "amount_cents")),
    )


# --- The product page's price columns ------------------------------------------------------


def test_comma_price_for_the_english_usd_market_is_a_form_error_and_nothing_is_saved(
    merch_client,
):
    """The reproduction: "26,50" in the USD column used to save 2650.00."""
    response = merch_client.post(ADD, product_post(usd="26,50"))

    assert response.status_code == 200
    assert variant_errors(response, "price_USD") == ["'26,50' is ambiguous in en: type 26.50"]
    assert catalog_rows() == (0, 0, [])


def test_comma_price_for_a_german_eur_market_saves_26_50(merch_client, german_eu_market):
    response = merch_client.post(ADD, product_post(usd="26.50", eur="26,50"))

    assert response.status_code == 302
    assert catalog_rows() == (1, 1, [("LIN-S", "EUR", 2650), ("LIN-S", "USD", 2650)])


@pytest.mark.parametrize(
    ("eur", "cents"),
    [("1.234,50", 123450), ("26,5", 2650), ("€ 12", 1200), ("12.345", 1234500)],
)
def test_german_grouping_and_symbol_are_read_the_german_way(
    merch_client, german_eu_market, eur, cents
):
    response = merch_client.post(ADD, product_post(eur=eur))

    assert response.status_code == 302
    assert catalog_rows() == (1, 1, [("LIN-S", "EUR", cents)])


@pytest.mark.parametrize(
    ("usd", "eur", "field", "message"),
    [
        (
            "1.234,50",
            "",
            "price_USD",
            "'1.234,50' is written with ',' as the decimal mark; en uses '.': type 1234.50",
        ),
        ("12.345", "", "price_USD", "'12.345' has more than 2 decimal places for USD"),
        ("$12", "26.50", "price_EUR", "'26.50' is ambiguous in de_DE: type 26,50"),
        ("", "$12", "price_EUR", "'$12' is in another currency ($); type the amount in EUR."),
        ("-3", "", "price_USD", "'-3' is negative; prices are 0 or more."),
        ("1e9", "", "price_USD", "'1e9' is not a number"),
        (
            "19.99",
            "1,234.50",
            "price_EUR",
            "'1,234.50' is written with '.' as the decimal mark; de_DE uses ',': type 1234,50",
        ),
    ],
)
def test_bad_prices_on_the_product_page_change_nothing(
    merch_client, german_eu_market, usd, eur, field, message
):
    response = merch_client.post(ADD, product_post(usd=usd, eur=eur))

    assert response.status_code == 200
    assert variant_errors(response, field) == [message]
    assert catalog_rows() == (0, 0, [])


@pytest.fixture
def linen(german_eu_market):
    product = ProductFactory(handle="linen-shirt", title="Linen shirt")
    size = OptionFactory(product=product, name="Size", position=0)
    small = OptionValueFactory(option=size, value="S", position=0)
    VariantFactory(
        product=product, sku="LIN-S", option_values=[small], prices={"USD": 123450, "EUR": 2650}
    )
    return product


def test_product_page_shows_saved_prices_in_each_markets_locale(merch_client, linen):
    url = reverse("admin:catalog_product_change", args=[linen.pk])

    response = merch_client.get(url)

    form = next(
        f for f in response.context["inline_admin_formsets"] if f.opts.model is Variant
    ).formset.forms[0]
    assert (form["price_USD"].value(), form["price_EUR"].value()) == ("1234.50", "26,50")
    html = response.content.decode()
    assert 'name="variants-0-price_USD" value="1234.50"' in html
    assert 'name="variants-0-price_EUR" value="26,50"' in html


def test_posting_the_shown_prices_back_changes_nothing(merch_client, linen):
    variant = linen.variants.get()
    url = reverse("admin:catalog_product_change", args=[linen.pk])
    data = product_post(usd="1234.5", eur="26,50", pk=str(variant.pk))
    data |= {
        "options-INITIAL_FORMS": "1",
        "options-0-id": str(linen.options.get().pk),
        "variants-0-product": str(linen.pk),
    }

    response = merch_client.post(url, data)

    assert response.status_code == 302
    assert catalog_rows() == (1, 1, [("LIN-S", "EUR", 2650), ("LIN-S", "USD", 123450)])


# --- The variant page's price list ---------------------------------------------------------


def variant_post(variant, rows):
    """The variant page's POST with price rows [(id, currency, amount, compare_at)]."""
    data = {
        "title": "",
        "weight_grams": "",
        "status": "active",
        "position": "0",
        "prices-TOTAL_FORMS": str(len(rows)),
        "prices-INITIAL_FORMS": str(sum(1 for row in rows if row[0])),
        "identifiers-TOTAL_FORMS": "0",
        "identifiers-INITIAL_FORMS": "0",
    }
    for i, (pk, currency, amount, compare_at) in enumerate(rows):
        data |= {
            f"prices-{i}-id": str(pk or ""),
            f"prices-{i}-variant": str(variant.pk),
            f"prices-{i}-currency": currency,
            f"prices-{i}-amount": amount,
            f"prices-{i}-compare_at": compare_at,
        }
    return data


def price_list(variant):
    return sorted(variant.prices.values_list("currency", "amount_cents", "compare_at_cents"))


def price_forms(response):
    return response.context["inline_admin_formsets"][0].formset.forms


def test_variant_page_takes_decimals_in_the_markets_locale(merch_client, linen):
    variant = linen.variants.get()
    usd, eur = variant.prices.get(currency="USD"), variant.prices.get(currency="EUR")
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    rows = [
        (usd.pk, "USD", "1,299.00", "1,500"),
        (eur.pk, "EUR", "1.234,50", ""),
        (None, "CAD", "19.99", ""),
    ]

    response = merch_client.post(url, variant_post(variant, rows))

    assert response.status_code == 302
    assert price_list(variant) == [
        ("CAD", 1999, None),
        ("EUR", 123450, None),
        ("USD", 129900, 150000),
    ]


def test_variant_page_shows_amounts_in_the_locale_and_currency_as_a_market_choice(
    merch_client, linen
):
    variant = linen.variants.get()
    url = reverse("admin:catalog_variant_change", args=[variant.pk])

    response = merch_client.get(url)

    forms = price_forms(response)
    shown = [(f["currency"].value(), f["amount"].value()) for f in forms if f.instance.pk]
    assert sorted(shown) == [("EUR", "26,50"), ("USD", "1234.50")]
    choices = [value for value, _ in forms[0].fields["currency"].choices]
    assert choices == ["", "USD", "CAD", "EUR"]
    html = response.content.decode()
    assert '<select name="prices-0-currency"' in html


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ((None, "CAD", "26,50", ""), "amount", "'26,50' is ambiguous in en: type 26.50"),
        ((None, "CAD", "", ""), "amount", "Enter an amount."),
        ((None, "CAD", "5", "abc"), "compare_at", "'abc' is not a number"),
        (
            (None, "GBP", "5", ""),
            "currency",
            "'GBP' is not the currency of a market (USD, CAD, EUR).",
        ),
        ((None, "usd ", "5", ""), "currency", "'usd ' is not an ISO 4217 currency code."),
    ],
)
def test_variant_page_refuses_bad_amounts_and_free_text_currencies(
    merch_client, linen, row, field, message
):
    variant = linen.variants.get()
    before = price_list(variant)
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    usd = variant.prices.get(currency="USD")
    rows = [(usd.pk, "USD", "99.00", ""), row]  # a valid change in the same submit

    response = merch_client.post(url, variant_post(variant, rows))

    assert response.status_code == 200
    assert price_forms(response)[1].errors[field] == [message]
    assert price_list(variant) == before


def test_variant_page_keeps_a_price_in_a_currency_no_market_sells_in(merch_client, linen):
    """A GBP price from an old import stays editable (and removable), in plain decimals."""
    variant = linen.variants.get()
    gbp = VariantPrice.objects.create(variant=variant, currency="GBP", amount_cents=1999)
    url = reverse("admin:catalog_variant_change", args=[variant.pk])

    shown = merch_client.get(url)
    form = next(f for f in price_forms(shown) if f.instance.pk == gbp.pk)
    response = merch_client.post(url, variant_post(variant, [(gbp.pk, "GBP", "21.50", "")]))

    assert (form["currency"].value(), form["amount"].value()) == ("GBP", "19.99")
    assert response.status_code == 302
    assert ("GBP", 2150, None) in price_list(variant)
