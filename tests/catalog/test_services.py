import pytest
from django.contrib.admin.models import LogEntry

from catalog import services
from catalog.models import (
    Brand,
    ImmutableSkuError,
    Option,
    OptionValue,
    Product,
    ProductStatus,
    Variant,
    VariantIdentifier,
    VariantPrice,
    option_key_for,
)
from catalog.services import publishing, validation
from shop.exceptions import Conflict, ValidationFailed
from tests.factories.catalog import (
    BrandFactory,
    CategoryFactory,
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
    VariantIdentifierFactory,
)

pytestmark = pytest.mark.django_db

EAN = "4006381333931"
EAN_BAD = "4006381333932"
UPC = "036000291452"


def _variant(sku, color="Red", size="M", **extra):
    return {
        "sku": sku,
        "option_values": {"Color": color, "Size": size},
        "prices": [{"amount": 2500, "currency": "USD"}],
        "identifiers": [],
        **extra,
    }


def _body(**overrides):
    body = {
        "handle": "cosy-hoodie",
        "title": "Cosy hoodie",
        "description": "Warm.",
        "brand": "Northwind",
        "status": "active",
        "options": [
            {"name": "Color", "values": ["Red", "Blue"]},
            {"name": "Size", "values": ["M", "L"]},
        ],
        "variants": [
            _variant("HOOD-RED-M", identifiers=[{"kind": "ean", "value": EAN}]),
            _variant("HOOD-RED-L", size="L"),
            _variant("HOOD-BLUE-M", color="Blue"),
        ],
    }
    body.update(overrides)
    return body


def _counts():
    models = (Product, Variant, VariantPrice, VariantIdentifier, Option, OptionValue, Brand)
    return {m.__name__: m.objects.count() for m in models}


def _record_calls(monkeypatch, module, name) -> list[dict]:
    """Wrap module.name so the test sees each call's keyword arguments; the real one still runs."""
    calls, real = [], getattr(module, name)

    def wrapper(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def _refused(data, **kwargs):
    """Run create_product expecting a refusal; assert nothing was written; return the error."""
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        services.create_product(data=data, actor=None, **kwargs)
    assert _counts() == before
    return caught.value


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


# --- update_product -------------------------------------------------------------------------


def test_update_product_changes_fields_brand_and_categories(merchandiser):
    product = ProductFactory(status=ProductStatus.DRAFT, published_at=None)
    category = CategoryFactory(slug="tees")

    services.update_product(
        product=product,
        data={
            "title": "New title",
            "status": "active",
            "brand": "Fresh Brand",
            "categories": ["tees"],
            "tags": ["summer", "summer", "cotton"],
            "seo_title": "SEO",
        },
        actor=merchandiser,
    )

    product.refresh_from_db()
    assert (product.title, product.status, product.seo_title) == ("New title", "active", "SEO")
    assert product.published_at is not None
    assert product.brand.name == "Fresh Brand"
    assert list(product.categories.all()) == [category]
    assert product.tags == ["summer", "cotton"]


@pytest.mark.parametrize(
    ("status", "service"),
    [(ProductStatus.ACTIVE, "publish_products"), (ProductStatus.ARCHIVED, "archive_products")],
)
def test_update_product_changes_status_through_publishing(
    status, service, merchandiser, monkeypatch
):
    product = ProductFactory(status=ProductStatus.DRAFT, published_at=None)
    calls = _record_calls(monkeypatch, publishing, service)

    result = services.update_product(product=product, data={"status": status}, actor=merchandiser)

    assert calls == [{"products": [result], "actor": merchandiser, "audit": False}]
    assert LogEntry.objects.count() == 1  # update_product's own row, not a second one
    product.refresh_from_db()
    assert (product.status, result.status) == (status, status)
    assert result.published_at == product.published_at


def test_publish_and_archive_record_who_did_it_once_per_changed_product(merchandiser):
    draft, live = ProductFactory(status="draft"), ProductFactory(status="active")

    published = publishing.publish_products(products=[draft, live], actor=merchandiser)
    archived = publishing.archive_products(products=[draft], actor=merchandiser)

    assert (published, archived) == (1, 1)
    assert list(
        LogEntry.objects.order_by("pk").values_list("user__email", "object_id", "change_message")
    ) == [
        ("merch@example.com", str(draft.pk), "Published."),
        ("merch@example.com", str(draft.pk), "Archived."),
    ]


def test_update_product_archive_keeps_published_at_and_republish_keeps_it_too(merchandiser):
    product = services.create_product(data=_body(status="active"), actor=None)
    published_at = product.published_at

    archived = services.update_product(
        product=product, data={"status": "archived"}, actor=merchandiser
    )
    active = services.update_product(
        product=product, data={"status": "active"}, actor=merchandiser
    )

    assert (archived.status, archived.published_at) == ("archived", published_at)
    assert (active.status, active.published_at) == ("active", published_at)
    assert [e.change_message for e in LogEntry.objects.order_by("pk")] == [
        "Changed status via the API.",
        "Changed status via the API.",
    ]


def test_update_product_publishing_records_status_and_published_at(merchandiser):
    product = ProductFactory(title="Old", status=ProductStatus.DRAFT, published_at=None)

    services.update_product(
        product=product, data={"title": "New", "status": "active"}, actor=merchandiser
    )

    assert LogEntry.objects.get().change_message == (
        "Changed title, status, published_at via the API."
    )


def test_update_product_back_to_draft_keeps_published_at():
    product = services.create_product(data=_body(status="active"), actor=None)

    result = services.update_product(product=product, data={"status": "draft"}, actor=None)

    product.refresh_from_db()
    assert (product.status, product.published_at) == ("draft", result.published_at)
    assert product.published_at is not None


def test_update_product_with_unchanged_status_does_not_call_publishing(monkeypatch):
    product = ProductFactory(status=ProductStatus.ACTIVE)
    calls = _record_calls(monkeypatch, publishing, "publish_products")

    services.update_product(product=product, data={"status": "active"}, actor=None)

    assert calls == []


def test_update_product_clears_brand_with_null():
    product = ProductFactory()

    services.update_product(product=product, data={"brand": None}, actor=None)

    product.refresh_from_db()
    assert product.brand is None


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (
            {"status": "gone"},
            {"status": ["Unknown status 'gone'; use draft, active or archived."]},
        ),
        ({"title": ""}, {"title": ["This field may not be blank."]}),
        (
            {"handle": "Bad Handle"},
            {"handle": ["Use lower-case letters, digits, hyphens and underscores only."]},
        ),
        ({"categories": ["nope"]}, {"categories": {"0": ["There is no category 'nope'."]}}),
    ],
)
def test_update_product_refuses_bad_input_and_changes_nothing(data, fields):
    product = ProductFactory(title="Old", status=ProductStatus.ACTIVE)

    with pytest.raises(ValidationFailed) as caught:
        services.update_product(product=product, data={"title": "Changed", **data}, actor=None)

    assert caught.value.fields == fields
    product.refresh_from_db()
    assert (product.title, product.status) == ("Old", "active")


def test_update_product_refuses_options_and_variants():
    product = ProductFactory()

    with pytest.raises(ValidationFailed) as caught:
        services.update_product(product=product, data={"variants": []}, actor=None)

    assert list(caught.value.fields) == ["variants"]


# --- create_variant / update_variant --------------------------------------------------------


@pytest.fixture
def hoodie():
    return services.create_product(data=_body(), actor=None)


def test_create_variant_adds_a_combination(hoodie, merchandiser):
    data = _variant("HOOD-BLUE-L", color="Blue", size="L", weight_grams=400)
    data["prices"].append({"amount": 2300, "currency": "EUR"})

    variant = services.create_variant(product=hoodie, data=data, actor=merchandiser)

    assert (variant.sku, variant.position, variant.weight_grams) == ("HOOD-BLUE-L", 3, 400)
    assert sorted(variant.prices.values_list("currency", "amount_cents")) == [
        ("EUR", 2300),
        ("USD", 2500),
    ]
    assert variant.option_key == option_key_for(ov.pk for ov in variant.option_values.all())
    assert LogEntry.objects.get().change_message == "Added variant HOOD-BLUE-L via the API."


def test_create_variant_refuses_a_taken_combination(hoodie):
    before = _counts()

    with pytest.raises(ValidationFailed) as caught:
        services.create_variant(product=hoodie, data=_variant("NEW-1", size="L"), actor=None)

    assert caught.value.fields == {
        "option_values": ["Variant 'HOOD-RED-L' already has these option values."]
    }
    assert caught.value.detail.startswith("Variant 'NEW-1' option_values:")
    assert _counts() == before


def test_create_variant_refuses_unknown_value_and_taken_sku(hoodie):
    before = _counts()

    with pytest.raises(ValidationFailed) as caught:
        services.create_variant(
            product=hoodie, data=_variant("HOOD-RED-M", size="XXL"), actor=None
        )

    assert caught.value.fields == {
        "sku": ["This SKU already exists; SKUs are never reused."],
        "option_values": {"Size": ["'XXL' is not a value of Size (M, L)."]},
    }
    assert _counts() == before


def test_update_variant_replaces_prices_identifiers_and_options(hoodie, merchandiser):
    variant = hoodie.variants.get(sku="HOOD-RED-M")

    services.update_variant(
        variant=variant,
        data={
            "sku": "HOOD-RED-M",
            "option_values": {"Color": "Blue", "Size": "L"},
            "prices": [{"amount": 2000, "currency": "CAD"}],
            "identifiers": [{"kind": "ean", "value": EAN}, {"kind": "upc", "value": UPC}],
            "status": "inactive",
        },
        actor=merchandiser,
    )

    variant.refresh_from_db()
    assert variant.status == "inactive"
    assert list(variant.prices.values_list("currency", "amount_cents")) == [("CAD", 2000)]
    assert list(variant.identifiers.values_list("kind", "value")) == [("ean", EAN), ("upc", UPC)]
    assert {ov.value for ov in variant.option_values.all()} == {"Blue", "L"}
    assert variant.option_key == option_key_for(ov.pk for ov in variant.option_values.all())


def test_update_variant_refuses_a_sku_change_and_changes_nothing(hoodie):
    variant = hoodie.variants.get(sku="HOOD-RED-M")
    before = _counts()

    with pytest.raises(ValidationFailed) as caught:
        services.update_variant(
            variant=variant, data={"sku": "HOOD-RED-X", "title": "Renamed"}, actor=None
        )

    assert caught.value.fields == {
        "sku": ["The SKU cannot change once saved (it is 'HOOD-RED-M')."]
    }
    variant.refresh_from_db()
    assert (variant.sku, variant.title) == ("HOOD-RED-M", "Red / M")
    assert _counts() == before


def test_update_variant_refuses_another_variants_combination(hoodie):
    variant = hoodie.variants.get(sku="HOOD-RED-M")

    with pytest.raises(ValidationFailed) as caught:
        services.update_variant(
            variant=variant, data={"option_values": {"Color": "Blue", "Size": "M"}}, actor=None
        )

    assert caught.value.fields == {
        "option_values": ["Variant 'HOOD-BLUE-M' already has these option values."]
    }


def test_update_variant_refuses_an_identifier_of_another_variant(hoodie):
    variant = hoodie.variants.get(sku="HOOD-RED-L")

    with pytest.raises(ValidationFailed) as caught:
        services.update_variant(
            variant=variant, data={"identifiers": [{"kind": "ean", "value": EAN}]}, actor=None
        )

    assert caught.value.fields == {
        "identifiers": {"0": {"value": [f"EAN {EAN} already belongs to SKU HOOD-RED-M."]}}
    }
    assert list(variant.identifiers.all()) == []


def test_update_variant_keeps_its_own_identifier_when_resent(hoodie):
    variant = hoodie.variants.get(sku="HOOD-RED-M")

    services.update_variant(
        variant=variant, data={"identifiers": [{"kind": "ean", "value": EAN}]}, actor=None
    )

    assert list(variant.identifiers.values_list("value", flat=True)) == [EAN]


def test_variant_save_refuses_a_sku_change():
    variant = VariantFactory(sku="KEEP-1")
    variant = Variant.objects.get(pk=variant.pk)
    variant.sku = "KEEP-2"

    with pytest.raises(ImmutableSkuError):
        variant.save()

    assert Variant.objects.get(pk=variant.pk).sku == "KEEP-1"


def test_create_variant_on_product_without_options():
    product = ProductFactory()
    OptionValueFactory(option=OptionFactory(product=ProductFactory()))  # another product's

    variant = services.create_variant(
        product=product,
        data={"sku": "SOLO-1", "prices": [{"amount": 100, "currency": "USD"}]},
        actor=None,
    )

    assert (variant.option_key, variant.title) == ("", "")
