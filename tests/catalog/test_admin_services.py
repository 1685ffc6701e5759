import pytest
from django.contrib.admin.models import LogEntry

from catalog import services
from catalog.models import Option, OptionValue, Variant, VariantIdentifier, VariantPrice
from catalog.services import OptionInput, VariantInput
from shop.exceptions import ValidationFailed
from tests.factories.catalog import (
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
    VariantIdentifierFactory,
)

pytestmark = pytest.mark.django_db

EAN = "4006381333931"
UPC = "036000291452"


@pytest.fixture
def tee():
    product = ProductFactory(handle="tee")
    color = OptionFactory(product=product, name="Color", position=0)
    red = OptionValueFactory(option=color, value="Red", position=0)
    blue = OptionValueFactory(option=color, value="Blue", position=1)
    VariantFactory(product=product, sku="TEE-R", option_values=[red], prices={"USD": 1000})
    VariantFactory(product=product, sku="TEE-B", option_values=[blue], prices={"USD": 1200})
    return product


def _state(product):
    options = [(o.name, [v.value for v in o.values.all()]) for o in product.options.all()]
    variants = [
        (v.sku, v.option_label(), v.option_key, v.weight_grams, v.status, v.position)
        for v in Variant.objects.filter(product=product).order_by("sku")
    ]
    prices = sorted(
        VariantPrice.objects.filter(variant__product=product).values_list(
            "variant__sku", "currency", "amount_cents", "compare_at_cents"
        )
    )
    identifiers = sorted(VariantIdentifier.objects.values_list("variant__sku", "kind", "value"))
    return options, variants, prices, identifiers


def _refused(call, owner, /, **kwargs):
    before = _state(owner)
    with pytest.raises(ValidationFailed) as caught:
        call(**kwargs)
    assert _state(owner) == before
    return caught.value.fields


def _key(variant):
    return "-".join(str(pk) for pk in sorted(ov.pk for ov in variant.option_values.all()))


def _row(product, sku, color, **fields):
    variant = Variant.objects.filter(sku=sku).first()
    return VariantInput(sku=sku, option_values={"Color": color}, variant=variant, **fields)


# --- save_product_options --------------------------------------------------------------------


def test_save_product_options_renames_recases_reorders_and_adds(tee, merchandiser):
    color = tee.options.get()
    size = OptionFactory(product=ProductFactory(), name="Size")  # another product's

    services.save_product_options(
        product=tee,
        options=[OptionInput(name="Colour", values=["blue", "Green", "Red"], option=color)],
        actor=merchandiser,
    )

    assert _state(tee)[0] == [("Colour", ["blue", "Green", "Red"])]
    assert Variant.objects.get(sku="TEE-B").option_label() == "blue"
    assert list(size.values.all()) == []
    assert LogEntry.objects.get().change_message == (
        "Saved options and 0 variant(s); removed 0 variant(s)."
    )


def test_save_product_options_on_a_product_without_variants_adds_options():
    product = ProductFactory()

    services.save_product_options(
        product=product,
        options=[OptionInput(name="Size", values=["S", "M"]), OptionInput("Fit", ["Slim"])],
        actor=None,
    )

    assert _state(product)[0] == [("Size", ["S", "M"]), ("Fit", ["Slim"])]


def test_save_product_options_refuses_to_remove_a_value_a_variant_uses(tee):
    color = tee.options.get()

    fields = _refused(
        services.save_product_options,
        tee,
        product=tee,
        options=[OptionInput(name="Color", values=["Red"], option=color)],
        actor=None,
    )

    assert fields == {
        "options": {"0": {"values": ["'Blue' is used by variant 'TEE-B'; change it first."]}}
    }


def test_save_product_options_refuses_an_option_the_variants_have_no_value_for(tee):
    color = tee.options.get()

    fields = _refused(
        services.save_product_options,
        tee,
        product=tee,
        options=[
            OptionInput(name="Color", values=["Red", "Blue"], option=color),
            OptionInput(name="Size", values=["S"]),
        ],
        actor=None,
    )

    assert fields == {
        "options": {
            "1": {
                "name": [
                    "Variant 'TEE-R' has no Size; give it one first.",
                    "Variant 'TEE-B' has no Size; give it one first.",
                ]
            }
        }
    }


def test_save_product_options_refuses_repeated_names_and_values_in_any_case(tee):
    fields = _refused(
        services.save_product_options,
        tee,
        product=tee,
        options=[
            OptionInput(name="Color", values=["Red", "Blue", "red"], option=tee.options.get()),
            OptionInput(name="color", values=["X", ""]),
        ],
        actor=None,
    )

    assert fields == {
        "options": {
            "0": {"values": {"2": ["The value 'red' is given twice."]}},
            "1": {
                "values": {"1": ["This field may not be blank."]},
                "name": [
                    "The option 'color' is given twice.",
                    "Variant 'TEE-R' has no color; give it one first.",
                    "Variant 'TEE-B' has no color; give it one first.",
                ],
            },
        }
    }


def test_save_product_options_removing_an_unused_option_deletes_it_and_its_values():
    product = ProductFactory()
    OptionValueFactory(option=OptionFactory(product=product, name="Material"), value="Wool")

    services.save_product_options(product=product, options=[], actor=None)

    assert (Option.objects.count(), OptionValue.objects.count()) == (0, 0)


# --- save_product_variants -------------------------------------------------------------------


def test_save_product_variants_adds_changes_and_removes_rows(tee, merchandiser):
    color = tee.options.get()
    options = [OptionInput(name="Color", values=["Red", "Blue", "Green"], option=color)]
    rows = [
        VariantInput(
            sku=" TEE-G ",
            option_values={"Color": "Green"},
            weight_grams=300,
            position=2,
            prices={"USD": 1500, "EUR": 0, "CAD": None},
        ),
        _row(tee, "TEE-R", "Red", weight_grams=250, status="inactive", prices={"USD": 1100}),
    ]
    VariantPrice.objects.filter(variant__sku="TEE-R").update(compare_at_cents=2000)

    written = services.save_product_variants(
        product=tee,
        options=options,
        variants=rows,
        removed=[Variant.objects.get(sku="TEE-B")],
        actor=merchandiser,
        audit=False,
    )

    green, blue = Variant.objects.get(sku="TEE-G"), Variant.objects.get(sku="TEE-B")
    assert [v.sku for v in written] == ["TEE-G", "TEE-R"]
    assert (green.title, green.option_key) == ("Green", _key(green))
    # Issue 6: a removed variant is archived, never deleted (its SKU is never reused).
    assert _state(tee)[1:3] == (
        [
            ("TEE-B", "Blue", _key(blue), 250, "archived", 0),
            ("TEE-G", "Green", _key(green), 300, "active", 2),
            ("TEE-R", "Red", _key(written[1]), 250, "inactive", 0),
        ],
        [
            ("TEE-B", "USD", 1200, None),
            ("TEE-G", "EUR", 0, None),
            ("TEE-G", "USD", 1500, None),
            ("TEE-R", "USD", 1100, 2000),
        ],
    )
    assert LogEntry.objects.count() == 0


def test_save_product_variants_rows_may_swap_combinations(tee):
    rows = [_row(tee, "TEE-R", "Blue"), _row(tee, "TEE-B", "Red")]

    services.save_product_variants(product=tee, options=None, variants=rows, actor=None)

    labels = {v.sku: (v.option_label(), v.option_key == _key(v)) for v in Variant.objects.all()}
    assert labels == {"TEE-R": ("Blue", True), "TEE-B": ("Red", True)}


def test_save_product_variants_moves_a_row_to_a_value_renamed_in_the_same_call(tee):
    color = tee.options.get()

    services.save_product_variants(
        product=tee,
        options=[OptionInput(name="Color", values=["Red", "Navy"], option=color)],
        variants=[_row(tee, "TEE-B", "Navy")],
        actor=None,
    )

    assert _state(tee)[0] == [("Color", ["Red", "Navy"])]
    assert Variant.objects.get(sku="TEE-B").option_label() == "Navy"


def test_save_product_variants_refuses_a_taken_combination_sku_and_bad_fields(tee):
    VariantFactory(sku="ELSEWHERE")
    rows = [
        # Red is free: the last row moves TEE-R to Blue in the same call.
        VariantInput(sku="ELSEWHERE", option_values={"Color": "Red"}, prices={"USD": -1}),
        VariantInput(sku="TEE/2", option_values={"Color": "Pink"}, status="gone", position=-1),
        VariantInput(
            sku="TEE-RED", option_values={"Color": "Blue"}, variant=tee.variants.get(sku="TEE-R")
        ),
    ]

    fields = _refused(
        services.save_product_variants, tee, product=tee, options=None, variants=rows, actor=None
    )

    assert fields == {
        "variants": {
            "0": {
                "prices": {
                    "USD": {
                        "amount": [
                            "-1 is not a whole, non-negative number of minor units "
                            "(send 1999 for 19.99)."
                        ]
                    }
                },
                "sku": ["This SKU already exists; SKUs are never reused."],
            },
            "1": {
                "sku": ["A SKU cannot contain '/' or control characters (it is part of URLs)."],
                "status": ["Unknown status; use active or inactive."],
                "option_values": {"Color": ["'Pink' is not a value of Color (Red, Blue)."]},
                "position": ["Expected a whole number, 0 or more."],
            },
            "2": {
                "sku": ["The SKU cannot change once saved (it is 'TEE-R')."],
                "option_values": ["Variant 'TEE-B' already has these option values."],
            },
        }
    }


def test_save_product_variants_refuses_another_products_variant(tee):
    other = VariantFactory(sku="OTHER-1")

    fields = _refused(
        services.save_product_variants,
        tee,
        product=tee,
        options=None,
        variants=[VariantInput(sku="OTHER-1", option_values={"Color": "Red"}, variant=other)],
        removed=[other],
        actor=None,
    )

    assert fields == {
        "variants": {
            "non_field_errors": ["A variant to remove is not a variant of this product."],
            "0": {"non_field_errors": ["Not a variant of this product."]},
        }
    }


# --- the variant page ------------------------------------------------------------------------


def test_update_variant_details_changes_only_those_fields(tee, merchandiser):
    variant = tee.variants.get(sku="TEE-R")

    services.update_variant_details(
        variant=variant,
        title=" Red tee ",
        weight_grams=None,
        status="inactive",
        position=4,
        actor=merchandiser,
    )

    variant.refresh_from_db()
    assert (variant.title, variant.weight_grams, variant.status, variant.position) == (
        "Red tee",
        None,
        "inactive",
        4,
    )
    assert variant.option_label() == "Red"
    assert LogEntry.objects.get().change_message == (
        "Changed variant TEE-R: title, weight_grams, status, position."
    )


def test_update_variant_details_refuses_bad_values(tee):
    fields = _refused(
        services.update_variant_details,
        tee,
        variant=tee.variants.get(sku="TEE-R"),
        title="x" * 256,
        weight_grams=-1,
        status="gone",
        position=True,
        actor=None,
    )

    assert fields == {
        "title": ["At most 255 characters."],
        "status": ["Unknown status; use active or inactive."],
        "weight_grams": ["Expected a whole number of grams."],
        "position": ["Expected a whole number, 0 or more."],
    }


def test_set_variant_prices_sets_removes_and_leaves_other_currencies(tee):
    variant = tee.variants.get(sku="TEE-R")
    VariantPrice.objects.create(variant=variant, currency="CAD", amount_cents=1300)

    services.set_variant_prices(
        variant=variant, prices={"USD": (900, 1000), "EUR": (800, None)}, actor=None
    )
    services.set_variant_prices(variant=variant, prices={"CAD": None}, actor=None)

    assert [p for p in _state(tee)[2] if p[0] == "TEE-R"] == [
        ("TEE-R", "EUR", 800, None),
        ("TEE-R", "USD", 900, 1000),
    ]


def test_set_variant_prices_refuses_bad_amounts_and_currencies(tee):
    fields = _refused(
        services.set_variant_prices,
        tee,
        variant=tee.variants.get(sku="TEE-R"),
        prices={"USD": (100, -1), "XXQ": (100, None), "CAD": None},
        actor=None,
    )

    assert fields == {
        "prices": {
            "USD": {
                "compare_at_amount": [
                    "-1 is not a whole, non-negative number of minor units (send 1999 for 19.99)."
                ]
            },
            "XXQ": {"currency": ["'XXQ' is not an ISO 4217 currency code."]},
        }
    }


def test_change_variant_identifiers_normalises_adds_and_removes(tee):
    variant = tee.variants.get(sku="TEE-R")
    VariantIdentifierFactory(variant=variant, kind="mpn", value="MPN-1")

    services.change_variant_identifiers(
        variant=variant, add=[("EAN", "4006-3813-33931"), ("upc", UPC)], actor=None
    )
    services.change_variant_identifiers(variant=variant, remove=[("upc", UPC)], actor=None)

    assert _state(tee)[3] == [("TEE-R", "ean", EAN), ("TEE-R", "mpn", "MPN-1")]


def test_change_variant_identifiers_refuses_bad_and_taken_values(tee):
    variant = tee.variants.get(sku="TEE-R")
    VariantIdentifierFactory(variant=tee.variants.get(sku="TEE-B"), kind="ean", value=EAN)
    VariantIdentifierFactory(variant=variant, kind="upc", value=UPC)

    fields = _refused(
        services.change_variant_identifiers,
        tee,
        variant=variant,
        add=[("ean", EAN), ("ean", "4006381333932"), ("upc", UPC), ("sku", "X")],
        actor=None,
    )

    assert fields == {
        "identifiers": {
            "0": {"value": [f"EAN {EAN} already belongs to SKU TEE-B."]},
            "1": {"value": ["'4006381333932' has a wrong check digit for a EAN."]},
            "2": {"value": [f"UPC {UPC} already belongs to SKU TEE-R."]},
            "3": {
                "kind": [
                    "Unknown identifier kind 'sku'; use one of gtin, ean, upc, isbn, mpn, asin."
                ]
            },
        }
    }


def test_change_variant_identifiers_may_re_add_a_value_it_removes(tee):
    variant = tee.variants.get(sku="TEE-R")
    VariantIdentifierFactory(variant=variant, kind="ean", value=EAN)

    services.change_variant_identifiers(
        variant=variant, add=[("gtin", EAN)], remove=[("ean", EAN)], actor=None
    )

    assert _state(tee)[3] == [("TEE-R", "gtin", EAN)]
