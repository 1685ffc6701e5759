"""catalog.services.create_variant / update_variant: one variant through the API's body."""

import pytest
from django.contrib.admin.models import LogEntry

from catalog import services
from catalog.models import ImmutableSkuError, Variant, option_key_for
from shop.exceptions import ValidationFailed
from tests.catalog.service_bodies import EAN, UPC, _body, _counts, _variant
from tests.factories.catalog import (
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


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
