"""Identifier and SKU validation with real-world codes, in every interface that writes them.

The rules live in catalog.identifiers; the admin, the spreadsheet import and the API must refuse
the same values with a message naming the identifier, and write nothing.
"""

import pytest
from django.urls import reverse

from catalog.identifiers import (
    InvalidIdentifier,
    classify_barcode,
    normalize_identifier,
    normalize_sku,
)
from catalog.importing import import_catalog
from catalog.models import Product, Variant, VariantIdentifier
from tests.factories.catalog import OptionFactory, OptionValueFactory, ProductFactory
from tests.factories.catalog import VariantFactory as _VariantFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        ("gtin", "96385074", "96385074"),  # GTIN-8 (EAN-8)
        ("gtin", "036000291452", "036000291452"),  # GTIN-12 (UPC-A, Wrigley's)
        ("gtin", "4006381333931", "4006381333931"),  # GTIN-13 (EAN-13, Stabilo)
        ("gtin", "10614141000415", "10614141000415"),  # GTIN-14 (GS1 case code)
        ("gtin", "0001 2345 6000 12", "00012345600012"),  # GTIN-14 typed with spaces
        ("ean", "5901234123457", "5901234123457"),  # GS1's EAN-13 example
        ("ean", "73513537", "73513537"),  # EAN-8
        ("ean", "400-6381-333931", "4006381333931"),
        ("upc", "036000291452", "036000291452"),
        ("upc", "0 12345 67890 5", "012345678905"),
        ("isbn", "0-306-40615-2", "0306406152"),  # ISBN-10
        ("isbn", "0-8044-2957-x", "080442957X"),  # ISBN-10 with an X check digit
        ("isbn", "978-0-306-40615-7", "9780306406157"),  # ISBN-13 (978)
        ("isbn", "979-10-323-0569-0", "9791032305690"),  # ISBN-13 (979)
        ("asin", "B08N5WRWNW", "B08N5WRWNW"),
        ("asin", "b08n5wrwnw", "B08N5WRWNW"),
        ("mpn", "MX-500 rev.B", "MX-500 rev.B"),  # free text, kept as typed
        ("mpn", "M" * 70, "M" * 70),
        ("GTIN", " 96385074 ", "96385074"),  # kind in any case
    ],
)
def test_normalize_identifier_accepts_real_codes_and_stores_them_compact(kind, typed, stored):
    assert normalize_identifier(kind, typed) == stored


@pytest.mark.parametrize(
    ("kind", "typed", "message"),
    [
        ("gtin", "96385075", "'96385075' has a wrong check digit for a GTIN."),
        ("gtin", "036000291453", "'036000291453' has a wrong check digit for a GTIN."),
        ("gtin", "10614141000416", "'10614141000416' has a wrong check digit for a GTIN."),
        ("gtin", "123456789", "'123456789' is not a GTIN: it needs 8/12/13/14 digits."),
        ("gtin", "40063813339A1", "'40063813339A1' is not a GTIN: it needs 8/12/13/14 digits."),
        ("ean", "4006381333932", "'4006381333932' has a wrong check digit for a EAN."),
        ("ean", "036000291452", "'036000291452' is not a EAN: it needs 8/13 digits."),
        ("upc", "03600029145", "'03600029145' is not a UPC: it needs 12 digits."),
        ("upc", "4006381333931", "'4006381333931' is not a UPC: it needs 12 digits."),
        ("upc", "036000291453", "'036000291453' has a wrong check digit for a UPC."),
        ("isbn", "0-306-40615-3", "'0-306-40615-3' is not a valid ISBN-10 or ISBN-13."),
        ("isbn", "978-0-306-40615-8", "'978-0-306-40615-8' is not a valid ISBN-10 or ISBN-13."),
        ("isbn", "4006381333931", "'4006381333931' is not a valid ISBN-10 or ISBN-13."),
        ("asin", "B08N5WRWN", "'B08N5WRWN' is not an ASIN (10 letters or digits)."),
        ("asin", "B08N5WRWNW1", "'B08N5WRWNW1' is not an ASIN (10 letters or digits)."),
        ("asin", "B08N5WRW_W", "'B08N5WRW_W' is not an ASIN (10 letters or digits)."),
        ("mpn", "M" * 71, "An MPN is at most 70 characters."),
        ("mpn", "   ", "The MPN is empty."),
        (
            "sku",
            "ABC",
            "Unknown identifier kind 'sku'; use one of gtin, ean, upc, isbn, mpn, asin.",
        ),
    ],
)
def test_normalize_identifier_refuses_invalid_codes_with_a_sentence(kind, typed, message):
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_identifier(kind, typed)

    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("barcode", "classified"),
    [
        ("96385074", ("ean", "96385074")),
        ("036000291452", ("upc", "036000291452")),
        ("4006381333931", ("ean", "4006381333931")),
        ("10614141000415", ("gtin", "10614141000415")),
        ("978-0-306-40615-7", ("isbn", "9780306406157")),
        ("0306406152", ("isbn", "0306406152")),
        ("080442957X", ("isbn", "080442957X")),
    ],
)
def test_classify_barcode_stores_each_valid_code_under_its_kind(barcode, classified):
    assert classify_barcode(barcode) == classified


@pytest.mark.parametrize("barcode", ["4006381333932", "12345", "ABCDEFGHIJ", "0306406153"])
def test_classify_barcode_refuses_codes_that_fail_every_check(barcode):
    with pytest.raises(InvalidIdentifier):
        classify_barcode(barcode)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "A SKU is required."),
        ("TEE/RED", "A SKU cannot contain '/' or control characters (it is part of URLs)."),
        ("TEE\tRED", "A SKU cannot contain '/' or control characters (it is part of URLs)."),
        ("S" * 65, "A SKU is at most 64 characters."),
    ],
)
def test_normalize_sku_refuses_what_cannot_be_addressed(typed, message):
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_sku(typed)

    assert str(caught.value) == message


def test_normalize_sku_keeps_an_opaque_sku_as_typed():
    assert normalize_sku("  tee-Red_S.2 #1  ") == "tee-Red_S.2 #1"


# --- the same refusals in the admin, the spreadsheet import and the API ----------------------

INVALID = [
    ("ean", "4006381333932", "'4006381333932' has a wrong check digit for a EAN."),
    ("upc", "03600029145", "'03600029145' is not a UPC: it needs 12 digits."),
    ("isbn", "978-0-306-40615-8", "'978-0-306-40615-8' is not a valid ISBN-10 or ISBN-13."),
    ("asin", "B08N5WRWN", "'B08N5WRWN' is not an ASIN (10 letters or digits)."),
    ("mpn", "M" * 71, "An MPN is at most 70 characters."),
]


def _state():
    return (
        sorted(Product.objects.values_list("handle", flat=True)),
        sorted(Variant.objects.values_list("sku", flat=True)),
        sorted(VariantIdentifier.objects.values_list("kind", "value")),
    )


@pytest.fixture
def variant():
    product = ProductFactory(handle="tee")
    size = OptionFactory(product=product, name="Size")
    return _VariantFactory(
        product=product, sku="TEE-S", option_values=[OptionValueFactory(option=size, value="S")]
    )


@pytest.mark.parametrize(("kind", "value", "message"), INVALID)
def test_admin_variant_page_refuses_invalid_identifier_naming_it(
    client, merchandiser, variant, kind, value, message
):
    client.force_login(merchandiser)
    before = _state()
    data = {
        "title": "",
        "weight_grams": "",
        "status": "active",
        "position": "0",
        "prices-TOTAL_FORMS": "0",
        "prices-INITIAL_FORMS": "0",
        "identifiers-TOTAL_FORMS": "1",
        "identifiers-INITIAL_FORMS": "0",
        "identifiers-0-kind": kind,
        "identifiers-0-value": value,
    }

    response = client.post(reverse("admin:catalog_variant_change", args=[variant.pk]), data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][1].formset
    assert formset.forms[0].errors["value"] == [f"{kind.upper()}: {message}"]
    assert _state() == before


@pytest.mark.parametrize(("kind", "value", "message"), INVALID)
def test_import_refuses_invalid_identifier_naming_its_column(kind, value, message):
    csv = f'handle,title,sku,price_USD,{kind}\nmug,Mug,MUG-1,9.50,"{value}"\n'

    result = import_catalog(data=csv.encode(), filename="catalog.csv")

    assert result.messages() == [f"Row 2: error: {kind}: {message}"]
    assert _state() == ([], [], [])


@pytest.mark.parametrize(("kind", "value", "message"), INVALID)
def test_api_refuses_invalid_identifier_naming_variant_and_field(
    merchandiser_api, kind, value, message
):
    body = {
        "title": "Mug",
        "variants": [
            {
                "sku": "MUG-1",
                "prices": [{"amount": 950, "currency": "USD"}],
                "identifiers": [{"kind": kind, "value": value}],
            }
        ],
    }

    response = merchandiser_api.post("/api/v1/products", body, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "variants": {"0": {"identifiers": {"0": {"value": [message]}}}}
    }
    assert response.json()["detail"] == (
        f"Variant 'MUG-1' variants[0].identifiers[0].value: {message}"
    )
    assert _state() == ([], [], [])


SLASH = "A SKU cannot contain '/' or control characters (it is part of URLs)."


def test_admin_refuses_a_sku_the_api_could_not_address(client, merchandiser):
    client.force_login(merchandiser)
    data = {
        "title": "Mug",
        "handle": "mug",
        "status": "draft",
        "description": "",
        "brand": "",
        "product_type": "",
        "tags": "",
        "seo_title": "",
        "seo_description": "",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-0-sku": "MUG/1",
        "variants-0-status": "active",
        "variants-0-position": "0",
        "variants-0-price_USD": "9.50",
    }
    for prefix in ("options", "translations", "attribute_values", "media"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}

    response = client.post(reverse("admin:catalog_product_add"), data)

    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Variant)
    assert formset.formset.forms[0].errors["sku"] == [SLASH]
    assert _state() == ([], [], [])


@pytest.mark.parametrize(
    ("file_format", "csv"),
    [
        ("emporium", "handle,title,sku,price_USD\nmug,Mug,MUG/1,9.50\n"),
        ("shopify", "Handle,Title,Variant SKU,Variant Price\nmug,Mug,MUG/1,9.50\n"),
    ],
)
def test_import_refuses_a_sku_the_api_could_not_address(file_format, csv):
    result = import_catalog(data=csv.encode(), filename="catalog.csv", format=file_format)

    column = "sku" if file_format == "emporium" else "Variant SKU"
    assert result.messages() == [f"Row 2: error: {column}: {SLASH}"]
    assert _state() == ([], [], [])


def test_api_refuses_a_sku_with_a_slash(merchandiser_api):
    body = {
        "title": "Mug",
        "variants": [{"sku": "MUG/1", "prices": [{"amount": 1, "currency": "USD"}]}],
    }

    response = merchandiser_api.post("/api/v1/products", body, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"variants": {"0": {"sku": [SLASH]}}}
    assert _state() == ([], [], [])
