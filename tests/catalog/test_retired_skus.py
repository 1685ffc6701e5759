"""A SKU is never reused: removing a variant archives it, and its SKU is refused everywhere.

Issue 6: removing a variant deleted its row, after which the same SKU could be created on
another product. Now "remove" archives the variant (never deleted: the database refuses it),
the unique index on sku covers every SKU ever saved, and every interface refuses a retired SKU
with the same message (catalog.services.validation.check_catalog).
"""

import pytest
from django.contrib.admin.models import LogEntry
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils.html import strip_tags

from catalog import services
from catalog.importing import import_catalog
from catalog.models import Option, Product, Variant, VariantPrice, VariantStatus
from catalog.services import VariantInput, validation
from shop.exceptions import Conflict, ValidationFailed
from tests.catalog.test_admin import ADD, option_row, product_post, tee_post, variant_row
from tests.factories.catalog import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

RETIRED = "SKU TEE-B belonged to a removed variant of Tee; SKUs are never reused."


@pytest.fixture
def retired(merch_client, tee):
    """The tee with TEE-B removed on its admin page (the inline's Delete checkbox)."""
    url = reverse("admin:catalog_product_change", args=[tee.pk])
    response = merch_client.post(url, tee_post(tee, variants={1: {"DELETE": "on"}}))
    assert response.status_code == 302
    return Variant.objects.get(sku="TEE-B")


def _catalog():
    return (
        sorted(Variant.objects.values_list("sku", "product__handle", "status")),
        sorted(VariantPrice.objects.values_list("variant__sku", "currency", "amount_cents")),
        Product.objects.count(),
        Option.objects.count(),
    )


def _variant_rows(response):
    formset = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is Variant)
    return formset.formset.forms


# --- removing archives ---------------------------------------------------------------------


def test_removing_a_variant_in_the_admin_archives_it_and_keeps_its_rows(retired, merch_client):
    assert retired.status == VariantStatus.ARCHIVED
    assert _catalog()[:2] == (
        [("TEE-B", "tee", "archived"), ("TEE-R", "tee", "active")],
        [("TEE-B", "USD", 1200), ("TEE-R", "USD", 1000)],
    )
    page = merch_client.get(reverse("admin:catalog_product_change", args=[retired.product_id]))
    assert [f.instance.sku for f in _variant_rows(page) if f.instance.pk] == ["TEE-R"]


def test_removing_again_changes_nothing(retired):
    before = (_catalog(), retired.updated_at)

    services.save_product_variants(
        product=retired.product, options=None, variants=[], removed=[retired], actor=None
    )

    retired.refresh_from_db()
    assert (_catalog(), retired.updated_at) == before


def test_a_removed_variant_frees_its_combination_for_a_new_sku(retired):
    product = retired.product

    (blue,) = services.save_product_variants(
        product=product,
        options=None,
        variants=[VariantInput(sku="TEE-BLUE", option_values={"Color": "Blue"})],
        actor=None,
    )

    assert (blue.option_label(), blue.status) == ("Blue", "active")
    assert sorted(product.variants.values_list("sku", "status")) == [
        ("TEE-B", "archived"),
        ("TEE-BLUE", "active"),
        ("TEE-R", "active"),
    ]


# --- a retired SKU is refused in every interface -------------------------------------------


def test_admin_product_page_refuses_a_retired_sku_on_its_row(retired, merch_client):
    before = _catalog()
    data = product_post(
        options=[option_row("Size", "S")], variants=[variant_row("TEE-B", "S", usd="5")]
    )

    response = merch_client.post(ADD, data)

    assert response.status_code == 200
    assert _variant_rows(response)[0].errors == {"sku": [RETIRED]}
    assert _catalog() == before


def test_admin_product_page_refuses_a_retired_sku_on_the_same_product(retired, merch_client):
    before = _catalog()
    color = retired.product.options.get()
    data = product_post(
        options=[option_row("Color", "Red, Blue", pk=str(color.pk))],
        variants=[variant_row("TEE-B", "Blue", usd="12")],
        title="Tee",
        handle="tee",
    )

    response = merch_client.post(
        reverse("admin:catalog_product_change", args=[retired.product_id]), data
    )

    assert response.status_code == 200
    assert _variant_rows(response)[0].errors == {"sku": [RETIRED]}
    assert _catalog() == before


def test_api_create_product_refuses_a_retired_sku_with_its_field(retired, merchandiser_api):
    before = _catalog()
    body = {
        "title": "Other tee",
        "variants": [{"sku": "TEE-B", "prices": [{"amount": 100, "currency": "USD"}]}],
    }

    response = merchandiser_api.post("/api/v1/products", body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": f"Variant 'TEE-B' variants[0].sku: {RETIRED}",
        "fields": {"variants": {"0": {"sku": [RETIRED]}}},
    }
    assert _catalog() == before


def test_api_create_variant_refuses_a_retired_sku_with_its_field(retired, merchandiser_api):
    ProductFactory(handle="cap", title="Cap")
    before = _catalog()
    body = {"sku": "TEE-B", "prices": [{"amount": 100, "currency": "USD"}]}

    response = merchandiser_api.post("/api/v1/products/cap/variants", body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": f"Variant 'TEE-B' sku: {RETIRED}",
        "fields": {"sku": [RETIRED]},
    }
    assert _catalog() == before


def test_save_product_variants_refuses_a_retired_sku(retired):
    cap = ProductFactory()
    before = _catalog()

    with pytest.raises(ValidationFailed) as caught:
        services.save_product_variants(
            product=cap,
            options=None,
            variants=[VariantInput(sku="TEE-B", option_values={})],
            actor=None,
        )

    assert caught.value.fields == {"variants": {"0": {"sku": [RETIRED]}}}
    assert _catalog() == before


def test_check_catalog_is_the_one_rule_for_imports_and_seeding_too(retired):
    other = VariantFactory(sku="CAP-1", product=ProductFactory(title="Cap"))
    errors = validation.Errors()
    rows = [(("rows", i), {"sku": sku}) for i, sku in enumerate(["TEE-B", "TEE-R", "CAP-1"])]

    validation.check_catalog(errors, rows, updating=retired.product)

    # The tee's live TEE-R may be updated by an import of the tee; its removed TEE-B may not,
    # nor may another product's SKU.
    assert errors.tree == {
        "rows": {
            "0": {"sku": [RETIRED]},
            "2": {"sku": ["This SKU already exists; SKUs are never reused."]},
        }
    }
    assert other.status == "active"


# --- a removed variant never changes ---------------------------------------------------------


def test_api_patch_of_a_removed_variant_is_refused(retired, merchandiser_api):
    before = _catalog()

    response = merchandiser_api.patch(
        "/api/v1/products/tee/variants/TEE-B",
        {"prices": [{"amount": 1, "currency": "USD"}]},
        format="json",
    )

    assert response.status_code == 400
    message = "Variant 'TEE-B' was removed; a removed variant cannot change."
    assert response.json()["fields"] == {"non_field_errors": [message]}
    assert _catalog() == before


def test_a_removed_variant_cannot_be_chosen_as_a_status_anywhere(tee):
    with pytest.raises(ValidationFailed) as caught:
        services.update_variant(variant=tee.variants.get(sku="TEE-R"), data={"status": "archived"})

    assert caught.value.fields == {"status": ["Unknown status; use active or inactive."]}


def test_variant_admin_page_of_a_removed_variant_is_read_only(retired, merch_client):
    url = reverse("admin:catalog_variant_change", args=[retired.pk])

    page = merch_client.get(url)
    post = merch_client.post(url, {"title": "Back", "status": "active"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert post.status_code == 403
    retired.refresh_from_db()
    assert (retired.title, retired.status) == ("", "archived")


# --- nothing deletes a variant ---------------------------------------------------------------


def test_the_database_refuses_to_delete_a_variant(tee):
    variant = tee.variants.get(sku="TEE-R")

    with (
        pytest.raises(IntegrityError, match="never deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM catalog_variant WHERE id = %s", [variant.pk])

    assert Variant.objects.filter(pk=variant.pk).exists()


def test_a_product_protects_its_variants(tee):
    with pytest.raises(ProtectedError), transaction.atomic():
        tee.delete()

    assert Variant.objects.filter(product=tee).count() == 2


def test_variant_admin_has_no_delete(tee, merch_client):
    variant = tee.variants.get(sku="TEE-R")

    response = merch_client.post(reverse("admin:catalog_variant_delete", args=[variant.pk]))

    assert response.status_code == 403
    assert Variant.objects.filter(pk=variant.pk).exists()


def test_admin_refuses_to_delete_a_product_with_variants(tee, merch_client):
    before = _catalog()
    url = reverse("admin:catalog_product_delete", args=[tee.pk])

    page = merch_client.get(reverse("admin:catalog_product_change", args=[tee.pk]))
    response = merch_client.post(url, {"post": "yes"})

    assert page.context["has_delete_permission"] is False
    assert response.status_code == 403
    assert _catalog() == before


def test_admin_bulk_delete_of_a_product_with_variants_names_what_protects_it(tee, merch_client):
    before = _catalog()
    data = {"action": "delete_selected", "_selected_action": [str(tee.pk)], "post": "yes"}

    response = merch_client.post(reverse("admin:catalog_product_changelist"), data)

    assert response.status_code == 200
    protected = sorted(strip_tags(item) for item in response.context["protected"])
    assert protected == ["Variant: TEE-B", "Variant: TEE-R"]
    assert _catalog() == before


def test_delete_product_deletes_a_product_without_variants_and_refuses_one_with(tee, merchandiser):
    empty = ProductFactory(title="Empty draft")

    services.delete_product(product=empty, actor=merchandiser)
    with pytest.raises(Conflict) as caught:
        services.delete_product(product=tee, actor=merchandiser)

    assert not Product.objects.filter(pk=empty.pk).exists()
    assert str(caught.value) == (
        "Tee has 2 variant(s), so it cannot be deleted (SKUs are never reused); "
        "archive it instead."
    )
    assert Product.objects.filter(pk=tee.pk).exists()
    assert LogEntry.objects.count() == 0


def test_import_refuses_a_retired_sku(retired):
    before = _catalog()
    csv = "handle,title,status,option1_name,option1_value,sku,weight_grams,price_USD,ean\n"
    csv += "cap,Cap,draft,Size,S,TEE-B,10,1.00,\n"

    result = import_catalog(data=csv.encode(), filename="c.csv")

    assert result.messages() == [f"Row 2: error: sku: {RETIRED}"]
    assert _catalog() == before
