"""What the database refuses inside a catalog write is reported for what it is.

Issue 6: every IntegrityError was read as a race ("a concurrent change took … SKU"), including
inventory's PROTECT key on a variant with stock; a concurrent duplicate through the admin was a
500. Now only a unique violation of a rule the write names is a race (a form error in the
admin, a 409 in the API); protected rows and the variant delete guard say why.
"""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from catalog.models import Option, Product, Variant, VariantIdentifier, VariantPrice
from catalog.services import products, validation, variants, writing
from catalog.services.writing import HANDLE, SKU, unique_or_conflict
from shop.exceptions import Conflict
from tests.catalog.test_admin import ADD, option_row, product_post, variant_row
from tests.factories.catalog import ProductFactory, VariantFactory
from tests.factories.inventory import LocationFactory, stock

EAN = "4006381333931"


def _catalog():
    return (
        sorted(Product.objects.values_list("handle", flat=True)),
        sorted(Variant.objects.values_list("sku", "product__handle", "status")),
        VariantPrice.objects.count(),
        Option.objects.count(),
    )


def _in_another_connection(write):
    """Run `write` in a thread of its own (its own connection and transaction, committed): a
    concurrent request that wins the race."""
    failure = []

    def run():
        try:
            write()
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            failure.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert failure == []


# --- races through the admin: form errors, not a 500 ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_admin_sku_taken_by_a_concurrent_request_is_an_error_on_its_row(merch_client, monkeypatch):
    cap = ProductFactory(handle="cap", title="Cap")
    real_check = variants.check_catalog

    def check_then_lose_the_race(*args, **kwargs):
        real_check(*args, **kwargs)  # the SKU is free when checked...
        _in_another_connection(lambda: VariantFactory(product=cap, sku="RACE-1"))  # ...then not

    monkeypatch.setattr(variants, "check_catalog", check_then_lose_the_race)
    data = product_post(
        options=[option_row("Size", "S")], variants=[variant_row("RACE-1", "S", usd="5")]
    )
    before = _catalog()

    response = merch_client.post(ADD, data)

    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Variant)
    assert formset.formset.forms[0].errors == {
        "sku": ["A concurrent change took the SKU RACE-1; reload and try again."]
    }
    assert _catalog() == (
        before[0],
        [("RACE-1", "cap", "active")],
        before[2] + 1,  # the winner's price
        before[3],
    )


@pytest.mark.django_db(transaction=True)
def test_admin_handle_taken_by_a_concurrent_request_is_an_error_on_the_field(
    merch_client, monkeypatch
):
    real_check = products.clean_handle

    def check_then_lose_the_race(*args, **kwargs):
        real_check(*args, **kwargs)
        _in_another_connection(lambda: ProductFactory(handle="linen-shirt", title="Winner"))

    monkeypatch.setattr(products, "clean_handle", check_then_lose_the_race)
    data = product_post(
        options=[option_row("Size", "S")], variants=[variant_row("SHIRT-S", "S", usd="5")]
    )

    response = merch_client.post(ADD, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "handle": ["A concurrent change took the handle linen-shirt; reload and try again."]
    }
    assert _catalog() == (["linen-shirt"], [], 0, 0)
    assert Product.objects.get().title == "Winner"


@pytest.mark.django_db(transaction=True)
def test_admin_barcode_taken_by_a_concurrent_request_is_an_error_on_the_variant_page(
    merch_client, monkeypatch
):
    variant = VariantFactory(sku="CAP-1", prices={"USD": 900})
    other = VariantFactory(sku="HAT-1")
    real_check = variants.check_catalog

    def check_then_lose_the_race(*args, **kwargs):
        real_check(*args, **kwargs)
        _in_another_connection(
            lambda: VariantIdentifier.objects.create(variant=other, kind="ean", value=EAN)
        )

    monkeypatch.setattr(variants, "check_catalog", check_then_lose_the_race)
    data = {
        "title": "",
        "weight_grams": "250",
        "status": "active",
        "position": "0",
        "prices-TOTAL_FORMS": "0",
        "prices-INITIAL_FORMS": "0",
        "identifiers-TOTAL_FORMS": "1",
        "identifiers-INITIAL_FORMS": "0",
        "identifiers-0-kind": "ean",
        "identifiers-0-value": EAN,
    }

    response = merch_client.post(reverse("admin:catalog_variant_change", args=[variant.pk]), data)

    assert response.status_code == 200
    formset = next(
        f for f in response.context["inline_admin_formsets"] if f.opts.model is VariantIdentifier
    )
    assert formset.formset.non_form_errors() == [
        f"A concurrent change took the identifier ean {EAN}; reload and try again."
    ]
    assert list(VariantIdentifier.objects.values_list("variant__sku", "value")) == [("HAT-1", EAN)]


@pytest.mark.django_db(transaction=True)
def test_api_sku_taken_by_a_concurrent_request_is_a_409_naming_it(merchandiser_api, monkeypatch):
    ProductFactory(handle="cap", title="Cap")
    other = ProductFactory(handle="hat", title="Hat")
    real_check = validation.check_catalog

    def check_then_lose_the_race(*args, **kwargs):
        real_check(*args, **kwargs)
        _in_another_connection(lambda: VariantFactory(product=other, sku="RACE-2"))

    monkeypatch.setattr(products, "check_catalog", check_then_lose_the_race)
    body = {"sku": "RACE-2", "prices": [{"amount": 100, "currency": "USD"}]}

    response = merchandiser_api.post("/api/v1/products/cap/variants", body, format="json")

    message = "A concurrent change took the SKU RACE-2; reload and try again."
    assert response.status_code == 409
    assert response.json() == {
        "code": "catalog_conflict",
        "detail": message,
        "fields": {"sku": [message]},
    }
    assert list(Variant.objects.values_list("sku", "product__handle")) == [("RACE-2", "hat")]


# --- unique_or_conflict: only the rules it names are races -------------------------------------


@pytest.mark.django_db
def test_a_unique_violation_of_a_rule_not_named_is_not_reported_as_a_race():
    taken = VariantFactory(sku="TAKEN-1")

    with pytest.raises(IntegrityError), unique_or_conflict(HANDLE):
        Variant.objects.create(product=taken.product, sku="TAKEN-1", option_key="x")

    assert Variant.objects.filter(sku="TAKEN-1").count() == 1


@pytest.mark.django_db
def test_a_unique_violation_of_a_named_rule_names_the_value_under_its_field():
    taken = VariantFactory(sku="TAKEN-2")

    with pytest.raises(Conflict) as caught, unique_or_conflict(SKU):
        Variant.objects.create(product=taken.product, sku="TAKEN-2", option_key="x")

    message = "A concurrent change took the SKU TAKEN-2; reload and try again."
    assert (caught.value.code, str(caught.value)) == ("catalog_conflict", message)
    assert caught.value.extra == {"fields": {"sku": [message]}}


@pytest.mark.django_db
def test_deleting_a_variant_with_stock_says_where_the_stock_is_and_deletes_nothing():
    variant = VariantFactory(sku="STOCKED-1")
    stock(variant, LocationFactory(code="tor"), 3)
    stock(variant, LocationFactory(code="nyc"), 0, safety_stock=1)
    before = _catalog()

    with pytest.raises(Conflict) as caught, unique_or_conflict():
        variant.delete()

    assert caught.value.code == "protected"
    assert str(caught.value) == (
        "Variant STOCKED-1 has stock at 2 locations: it cannot be deleted (archive it instead)."
    )
    assert _catalog() == before


@pytest.mark.django_db
def test_deleting_a_variant_hits_the_delete_guard_and_rolls_its_prices_back():
    variant = VariantFactory(sku="PLAIN-1", prices={"USD": 100, "EUR": 90})
    before = _catalog()

    with pytest.raises(Conflict) as caught, unique_or_conflict():
        variant.delete()  # prices cascade first; then the trigger refuses the variant row

    assert (caught.value.code, str(caught.value)) == (
        "variant_never_deleted",
        "Variants are archived, never deleted: a SKU is never reused.",
    )
    assert _catalog() == before


@pytest.mark.django_db
def test_deleting_a_product_with_variants_names_them():
    product = ProductFactory(title="Cap")
    VariantFactory(product=product, sku="CAP-1")

    with pytest.raises(Conflict) as caught, unique_or_conflict():
        product.delete()

    assert (
        str(caught.value)
        == "Product Cap has 1 variant: it cannot be deleted (archive it instead)."
    )
    assert Variant.objects.filter(sku="CAP-1").exists()


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "UNIQUE constraint failed: catalog_variant.sku",
            ("unique", "catalog_variant", ("sku",), ""),
        ),
        (
            "UNIQUE constraint failed: catalog_variant.product_id, catalog_variant.option_key",
            ("unique", "catalog_variant", ("product_id", "option_key"), ""),
        ),
        (
            "variants are archived, never deleted: a SKU is never reused",
            ("restrict", "", (), ""),
        ),
        ("FOREIGN KEY constraint failed", None),
    ],
)
def test_sqlites_messages_are_read_like_postgresqls_diagnostics(message, expected):
    # `make run` uses SQLite: its IntegrityErrors carry a message, not diagnostics.
    assert writing._violation(IntegrityError(message)) == expected


@pytest.mark.django_db
def test_the_rules_resolve_to_the_tables_and_columns_the_database_reports():
    assert SKU.columns() == ("catalog_variant", ("sku",))
    assert writing.COMBINATION.columns() == ("catalog_variant", ("product_id", "option_key"))
    with transaction.atomic(), connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert {rule.columns()[0] for rule in writing.CATALOG_UNIQUES} <= set(tables)
