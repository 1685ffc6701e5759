"""catalog.services.create_product: the API's write body, validated whole, written at once."""

import pytest
from django.contrib.admin.models import LogEntry

from catalog import services
from catalog.models import Brand, VariantIdentifier, VariantPrice, option_key_for
from catalog.services import validation
from shop.exceptions import Conflict
from tests.catalog.service_bodies import EAN, EAN_BAD, UPC, _body, _counts, _refused, _variant
from tests.factories.catalog import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    VariantFactory,
    VariantIdentifierFactory,
)

pytestmark = pytest.mark.django_db


# --- create_product -------------------------------------------------------------------------


def test_create_product_writes_options_variants_prices_and_identifiers(merchandiser):
    product = services.create_product(data=_body(), actor=merchandiser)

    assert (product.handle, product.title, product.status) == (
        "cosy-hoodie",
        "Cosy hoodie",
        "active",
    )
    assert product.published_at is not None
    assert product.brand.name == "Northwind"
    assert [(o.name, [v.value for v in o.values.all()]) for o in product.options.all()] == [
        ("Color", ["Red", "Blue"]),
        ("Size", ["M", "L"]),
    ]
    variants = list(product.variants.order_by("position"))
    assert [v.sku for v in variants] == ["HOOD-RED-M", "HOOD-RED-L", "HOOD-BLUE-M"]
    assert variants[1].title == "Red / L"
    assert variants[1].option_key == option_key_for(
        ov.pk for ov in variants[1].option_values.all()
    )
    assert list(variants[0].prices.values_list("currency", "amount_cents")) == [("USD", 2500)]
    assert list(variants[0].identifiers.values_list("kind", "value")) == [("ean", EAN)]


def test_create_product_stores_identifiers_normalised():
    body = _body(
        variants=[_variant("A-1", identifiers=[{"kind": "EAN", "value": " 4006-3813-3393-1 "}])]
    )

    product = services.create_product(data=body, actor=None)

    assert list(
        VariantIdentifier.objects.filter(variant__product=product).values_list("kind", "value")
    ) == [("ean", EAN)]


def test_create_product_defaults_to_draft_and_derives_handle():
    product = services.create_product(data={"title": "Plain Tee"}, actor=None)

    assert (product.handle, product.status, product.published_at) == ("plain-tee", "draft", None)
    assert product.brand is None


def test_create_product_finds_existing_brand_by_name_or_slug():
    brand = BrandFactory(name="Acme Outdoor", slug="acme-outdoor")

    by_name = services.create_product(data={"title": "A", "brand": "acme outdoor"}, actor=None)
    by_slug = services.create_product(data={"title": "B", "brand": "acme-outdoor"}, actor=None)

    assert by_name.brand == by_slug.brand == brand
    assert Brand.objects.count() == 1


def test_create_product_creates_missing_brand_with_a_free_slug():
    BrandFactory(name="Other", slug="new-brand")

    product = services.create_product(data={"title": "A", "brand": "New Brand!"}, actor=None)

    assert (product.brand.name, product.brand.slug) == ("New Brand!", "new-brand-2")


def test_create_product_resolves_category_paths_and_slugs():
    apparel = CategoryFactory(slug="apparel")
    hoodies = CategoryFactory(slug="hoodies", parent=apparel)
    sale = CategoryFactory(slug="sale")

    product = services.create_product(
        data={"title": "A", "categories": ["apparel/hoodies", "sale"]}, actor=None
    )

    assert set(product.categories.all()) == {hoodies, sale}


def test_create_product_refuses_unknown_category():
    error = _refused(_body(categories=["nowhere"]))

    assert error.fields == {"categories": {"0": ["There is no category 'nowhere'."]}}


def test_create_product_refuses_ambiguous_bare_category_slug():
    CategoryFactory(slug="sale", parent=CategoryFactory(slug="men"))
    CategoryFactory(slug="sale", parent=CategoryFactory(slug="women"))

    error = _refused(_body(categories=["sale"]))

    assert error.fields == {"categories": {"0": ["'sale' is ambiguous; give its path."]}}


def test_create_product_refuses_wrong_check_digit_naming_variant_and_field():
    body = _body()
    body["variants"][2]["identifiers"] = [{"kind": "ean", "value": EAN_BAD}]

    error = _refused(body)

    message = f"'{EAN_BAD}' has a wrong check digit for a EAN."
    assert error.fields == {"variants": {"2": {"identifiers": {"0": {"value": [message]}}}}}
    assert error.detail == f"Variant 'HOOD-BLUE-M' variants[2].identifiers[0].value: {message}"
    assert error.code == "validation_error"
    assert error.status_code == 400


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("upc", "036000291453", "'036000291453' has a wrong check digit for a UPC."),
        ("gtin", "12345", "'12345' is not a GTIN: it needs 8/12/13/14 digits."),
        ("isbn", "9780306406158", "'9780306406158' is not a valid ISBN-10 or ISBN-13."),
        ("asin", "B00-SHORT", "'B00-SHORT' is not an ASIN (10 letters or digits)."),
        ("asin", "B00EXAMPLE!", "'B00EXAMPLE!' is not an ASIN (10 letters or digits)."),
        ("ean", "", "The EAN is empty."),
    ],
)
def test_create_product_refuses_invalid_identifier(kind, value, message):
    body = _body(variants=[_variant("A-1", identifiers=[{"kind": kind, "value": value}])])

    error = _refused(body)

    assert error.fields == {"variants": {"0": {"identifiers": {"0": {"value": [message]}}}}}


def test_create_product_refuses_unknown_identifier_kind_on_kind():
    body = _body(variants=[_variant("A-1", identifiers=[{"kind": "sku", "value": "x"}])])

    error = _refused(body)

    assert list(error.fields["variants"]["0"]["identifiers"]["0"]) == ["kind"]


def test_create_product_refuses_duplicate_sku_in_body():
    body = _body()
    body["variants"][2]["sku"] = "HOOD-RED-M"

    error = _refused(body)

    assert error.fields == {"variants": {"2": {"sku": ["The SKU is also used by variants[0]."]}}}
    assert "HOOD-RED-M" in error.detail


def test_create_product_refuses_sku_already_in_catalog():
    VariantFactory(sku="HOOD-RED-L")

    error = _refused(_body())

    assert error.fields == {
        "variants": {"1": {"sku": ["This SKU already exists; SKUs are never reused."]}}
    }


def test_create_product_refuses_duplicate_option_combination():
    body = _body()
    body["variants"][2]["option_values"] = {"Color": "Red", "Size": "L"}

    error = _refused(body)

    assert error.fields == {
        "variants": {"2": {"option_values": ["variants[1] has the same option values."]}}
    }


def test_create_product_refuses_two_variants_without_options():
    body = _body(options=[], variants=[_variant("A-1"), _variant("A-2")])
    for variant in body["variants"]:
        variant["option_values"] = {}

    error = _refused(body)

    assert error.fields == {
        "variants": {"1": {"option_values": ["variants[0] has the same option values."]}}
    }


def test_create_product_refuses_unknown_option_and_value_and_missing_value():
    body = _body()
    body["variants"][0]["option_values"] = {"Color": "Purple", "Fit": "Slim"}

    error = _refused(body)

    assert error.fields == {
        "variants": {
            "0": {
                "option_values": {
                    "Color": ["'Purple' is not a value of Color (Red, Blue)."],
                    "Fit": ["'Fit' is not an option of this product (Color, Size)."],
                    "Size": ["Choose a value for Size."],
                }
            }
        }
    }


@pytest.mark.parametrize("amount", [19.99, 20.0, "1999", True, -1, None, 2**63, [1]])
def test_create_product_refuses_non_integer_or_negative_amount(amount):
    body = _body(variants=[_variant("A-1", prices=[{"amount": amount, "currency": "USD"}])])

    error = _refused(body)

    assert error.fields == {
        "variants": {
            "0": {
                "prices": {
                    "0": {
                        "amount": [
                            f"{amount!r} is not a whole, non-negative number of minor units "
                            "(send 1999 for 19.99)."
                        ]
                    }
                }
            }
        }
    }


@pytest.mark.parametrize("currency", ["XYZ", "usd", "", 840, None])
def test_create_product_refuses_unknown_currency(currency):
    body = _body(variants=[_variant("A-1", prices=[{"amount": 100, "currency": currency}])])

    error = _refused(body)

    assert error.fields == {
        "variants": {
            "0": {
                "prices": {"0": {"currency": [f"{currency!r} is not an ISO 4217 currency code."]}}
            }
        }
    }


def test_create_product_refuses_duplicate_currency_per_variant():
    prices = [{"amount": 100, "currency": "EUR"}, {"amount": 200, "currency": "EUR"}]
    body = _body(variants=[_variant("A-1", prices=prices)])

    error = _refused(body)

    assert error.fields == {
        "variants": {"0": {"prices": {"1": {"currency": ["EUR is priced twice."]}}}}
    }


def test_create_product_refuses_variant_without_prices():
    error = _refused(_body(variants=[_variant("A-1", prices=[])]))

    assert error.fields == {
        "variants": {"0": {"prices": ["Give at least one price: [{amount, currency}]."]}}
    }


def test_create_product_accepts_compare_at_amount():
    prices = [{"amount": 1500, "currency": "USD", "compare_at_amount": 2500}]

    product = services.create_product(
        data=_body(variants=[_variant("A-1", prices=prices)]), actor=None
    )

    price = VariantPrice.objects.get(variant__product=product)
    assert (price.amount_cents, price.compare_at_cents, price.is_on_sale) == (1500, 2500, True)


def test_create_product_refuses_unknown_status():
    error = _refused(_body(status="published"))

    assert error.fields == {
        "status": ["Unknown status 'published'; use draft, active or archived."]
    }


def test_create_product_refuses_duplicate_identifier_across_variants():
    body = _body()
    body["variants"][1]["identifiers"] = [{"kind": "ean", "value": EAN}]

    error = _refused(body)

    assert error.fields == {
        "variants": {
            "1": {
                "identifiers": {
                    "0": {"value": ["Also given at variants[0].identifiers[0].value."]}
                }
            }
        }
    }


def test_create_product_refuses_duplicate_identifier_within_variant():
    identifiers = [{"kind": "upc", "value": UPC}, {"kind": "upc", "value": f" {UPC}"}]

    error = _refused(_body(variants=[_variant("A-1", identifiers=identifiers)]))

    assert error.fields == {
        "variants": {"0": {"identifiers": {"1": {"value": ["Also given at identifiers[0]."]}}}}
    }


def test_create_product_refuses_identifier_already_in_catalog():
    VariantIdentifierFactory(kind="ean", value=EAN, variant=VariantFactory(sku="OLD-1"))

    error = _refused(_body())

    assert error.fields == {
        "variants": {
            "0": {"identifiers": {"0": {"value": [f"EAN {EAN} already belongs to SKU OLD-1."]}}}
        }
    }


def test_create_product_refuses_duplicate_handle():
    ProductFactory(handle="cosy-hoodie")

    error = _refused(_body())

    assert error.fields == {"handle": ["A product with the handle 'cosy-hoodie' already exists."]}


@pytest.mark.parametrize("data", [[], "x", None, 3])
def test_create_product_refuses_a_body_that_is_not_an_object(data):
    error = _refused(data)

    assert error.fields == {"non_field_errors": ["Expected a JSON object."]}


def test_create_product_refuses_a_variant_that_is_not_an_object():
    body = _body()
    body["variants"][1] = "HOOD-RED-L"

    error = _refused(body)

    assert error.fields == {
        "variants": {"1": {"non_field_errors": ["Expected a variant object."]}}
    }
    assert error.detail == "variants[1]: Expected a variant object."


def test_create_product_refuses_unknown_fields_and_nul_text():
    error = _refused(_body(title="Bad\x00title", colour="red"))

    assert set(error.fields) == {"title", "colour"}
    assert error.fields["title"] == ["The text contains a NUL character."]


def test_create_product_reports_every_problem_at_once():
    body = _body(status="nope")
    body["variants"][0]["prices"][0]["amount"] = 19.99
    body["variants"][1]["sku"] = ""

    error = _refused(body)

    assert set(error.fields) == {"status", "variants"}
    assert set(error.fields["variants"]) == {"0", "1"}
    assert error.detail.endswith("(2 more problem(s) in `fields`.)")


def test_create_product_turns_a_lost_unique_race_into_conflict(monkeypatch):
    VariantFactory(sku="HOOD-RED-M")
    before = _counts()
    # As if a concurrent request inserted the SKU between our check and our insert.
    monkeypatch.setattr(validation, "check_catalog", lambda *args, **kwargs: None)

    with pytest.raises(Conflict) as caught:
        services.create_product(data=_body(), actor=None)

    assert caught.value.code == "catalog_conflict"
    assert _counts() == before


def test_create_product_records_who_did_it_in_admin_history(merchandiser):
    product = services.create_product(data=_body(), actor=merchandiser)

    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_id) == (merchandiser, str(product.pk))
    assert entry.change_message == "Created with 3 variant(s) via the API."
