"""Prices in spreadsheets: read in the locale of the market using the currency, never 100x off;
the file's stated currency is the import's, a mismatch is refused."""

import pytest

from catalog.importing import import_catalog
from catalog.models import Product, VariantPrice

pytestmark = pytest.mark.django_db


def emporium(text: str, **options):
    return import_catalog(data=text.encode(), filename="c.csv", **options)


def shopify(text: str, **options):
    return import_catalog(data=text.encode(), filename="p.csv", format="shopify", **options)


SHOPIFY = "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price\n"


def prices():
    return sorted(VariantPrice.objects.values_list("variant__sku", "currency", "amount_cents"))


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("26,50", "'26,50' is ambiguous in en: type 26.50"),
        (
            "1.234,50",
            "'1.234,50' is written with ',' as the decimal mark; en uses '.': type 1234.50",
        ),
        ("12.345", "'12.345' has more than 2 decimal places for USD"),
        ("€12", "'€12' is in another currency (€); type the amount in USD."),
        ("1e9", "'1e9' is not a number"),
        ("-3", "'-3' is negative; prices are 0 or more."),
    ],
)
def test_a_usd_price_that_is_not_plainly_an_amount_is_refused_and_nothing_written(cell, message):
    result = emporium(f'handle,title,sku,price_USD\ncap,Cap,CAP-1,"{cell}"\n')

    assert result.messages() == [f"Row 2: error: price_USD: {message}"]
    assert (Product.objects.count(), VariantPrice.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    ("cell", "cents"),
    [("26.50", 2650), ("1,234.50", 123450), ("$12", 1200), ("26", 2600), ("USD 7.5", 750)],
)
def test_usd_prices_read_as_typed_in_english(cell, cents):
    result = emporium(f'handle,title,sku,price_USD\ncap,Cap,CAP-1,"{cell}"\n')

    assert result.messages() == []
    assert prices() == [("CAP-1", "USD", cents)]


@pytest.mark.parametrize(
    ("cell", "cents"),
    [("26,50", 2650), ("1.234,50", 123450), ("26,50 €", 2650), ("26.50", 2650)],
)
def test_eur_prices_read_in_the_eu_markets_german_locale(cell, cents):
    result = emporium(f'handle,title,sku,price_EUR\ncap,Cap,CAP-1,"{cell}"\n')

    assert result.messages() == []
    assert prices() == [("CAP-1", "EUR", cents)]


def test_shopify_prices_stating_eur_import_as_eur_without_being_told():
    result = shopify(f'{SHOPIFY}cap,Cap,Title,Default Title,CAP-1,"EUR 17,99"\n')

    assert (result.messages(), result.currency) == ([], "EUR")
    assert prices() == [("CAP-1", "EUR", 1799)]


def test_shopify_prices_stating_eur_in_an_import_for_usd_are_refused():
    result = shopify(f'{SHOPIFY}cap,Cap,Title,Default Title,CAP-1,"€17,99"\n', currency="USD")

    assert result.messages() == [
        "Row 2: error: Variant Price: '€17,99' is in another currency (€); type the amount in USD."
    ]
    assert Product.objects.count() == 0


def test_shopify_prices_stating_two_currencies_are_refused_as_a_file():
    text = f"{SHOPIFY}cap,Cap,Title,Default Title,CAP-1,EUR 17.99\n"
    text += "bag,Bag,Title,Default Title,BAG-1,USD 12.00\n"

    result = shopify(text)

    assert result.messages() == [
        "The prices state several currencies: EUR (row 2), USD (row 3). "
        "Import one currency per file."
    ]
    assert Product.objects.count() == 0


def test_shopify_plain_prices_are_in_the_default_markets_currency():
    result = shopify(f"{SHOPIFY}cap,Cap,Title,Default Title,CAP-1,17.99\n")

    assert result.currency == "USD"
    assert prices() == [("CAP-1", "USD", 1799)]


def test_an_emporium_file_without_the_imports_currency_is_refused():
    result = emporium("handle,title,sku,price_EUR\ncap,Cap,CAP-1,9.00\n", currency="USD")

    assert result.messages() == [
        "The file's prices are in EUR; this import is for USD. Add price_USD or import it for EUR."
    ]
    assert Product.objects.count() == 0
