import pytest
from django.core.management import call_command

from catalog.identifiers import normalize_identifier
from catalog.models import Product, ProductStatus, Variant, VariantIdentifier, VariantPrice
from catalog.seeding import seed_demo_catalog
from shop.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_seed_demo_builds_a_realistic_catalog_in_three_currencies():
    counts = seed_demo_catalog()

    assert counts["products"] >= 200
    assert counts["variants"] >= 600
    assert Product.objects.filter(status=ProductStatus.ACTIVE).count() >= 200
    assert set(VariantPrice.objects.values_list("currency", flat=True)) == {"USD", "CAD", "EUR"}
    assert VariantPrice.objects.count() == 3 * Variant.objects.count()
    assert Product.objects.filter(options__name="Size").filter(options__name="Color").exists()


def test_seeded_identifiers_all_pass_their_check_digits():
    seed_demo_catalog()

    identifiers = list(VariantIdentifier.objects.values_list("kind", "value"))

    assert {kind for kind, _ in identifiers} == {"upc", "isbn", "ean"}
    assert all(normalize_identifier(kind, value) == value for kind, value in identifiers)


def test_seed_demo_is_idempotent_and_creates_one_staff_user_per_group(settings):
    call_command("seed_demo")
    before = (Product.objects.count(), Variant.objects.count(), User.objects.count())

    call_command("seed_demo")

    assert (Product.objects.count(), Variant.objects.count(), User.objects.count()) == before
    groups = {
        g
        for u in User.objects.filter(is_staff=True)
        for g in u.groups.values_list("name", flat=True)
    }
    assert groups == {"Merchandiser", "Operations", "Finance"}


def test_seed_demo_refuses_to_run_in_production(settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="refusing in production"):
        call_command("seed_demo")
    assert Product.objects.count() == 0


def _snapshot() -> dict[str, int]:
    """Row counts of everything seeding writes, to show a second run writes nothing."""
    from catalog.models import Category, Media, ProductAttributeValue, ProductTranslation
    from inventory.models import Location, StockLevel, StockMovement

    return {
        "products": Product.objects.count(),
        "variants": Variant.objects.count(),
        "prices": VariantPrice.objects.count(),
        "identifiers": VariantIdentifier.objects.count(),
        "categories": Category.objects.count(),
        "specs": ProductAttributeValue.objects.count(),
        "translations": ProductTranslation.objects.count(),
        "media": Media.objects.count(),
        "locations": Location.objects.count(),
        "stock_rows": StockLevel.objects.count(),
        "ledger_rows": StockMovement.objects.count(),
        "users": User.objects.count(),
    }


def _user_variants():
    """A merchandiser's own product, and a size they added to a demo product, through the API's
    services; neither has stock."""
    from catalog import services

    own = services.create_product(
        data={
            "title": "Merch Mug",
            "handle": "merch-mug",
            "status": "active",
            "variants": [
                {"sku": "MERCH-MUG", "prices": [{"amount": 1200, "currency": "USD"}]},
            ],
        }
    )
    demo = Product.objects.filter(options__name="Size").order_by("pk").first()
    values = {o.name: o.values.order_by("position").first().value for o in demo.options.all()}
    values["Size"] = "XXS"
    demo.options.get(name="Size").values.create(value="XXS", position=99)
    added = services.create_variant(
        product=demo,
        data={
            "sku": "MERCH-XXS",
            "option_values": values,
            "prices": [{"amount": 999, "currency": "USD"}],
        },
    )
    return [own.variants.get(), added]


def test_a_second_seed_changes_nothing():
    call_command("seed_demo")
    before = _snapshot()

    call_command("seed_demo")

    assert _snapshot() == before


def test_seeding_again_leaves_the_variants_a_user_created_alone():
    from inventory.models import StockLevel, StockMovement

    call_command("seed_demo")
    mine = _user_variants()
    fields = [
        (v.sku, v.product_id, v.title, v.status, v.weight_grams, v.option_key, v.updated_at)
        for v in Variant.objects.filter(pk__in=[v.pk for v in mine]).order_by("pk")
    ]

    call_command("seed_demo")
    call_command("seed_demo")

    assert not StockLevel.objects.filter(variant__in=mine).exists()
    assert not StockMovement.objects.filter(variant__in=mine).exists()
    assert [
        (v.sku, v.product_id, v.title, v.status, v.weight_grams, v.option_key, v.updated_at)
        for v in Variant.objects.filter(pk__in=[v.pk for v in mine]).order_by("pk")
    ] == fields


def test_a_demo_product_whose_sku_a_user_took_is_skipped_not_merged():
    from catalog import services
    from catalog.demo_data import demo_catalog
    from inventory.models import StockLevel

    first = demo_catalog().products[0]
    taken = first.variants[0].sku
    theirs = services.create_product(
        data={
            "title": "Their own",
            "handle": "their-own",
            "variants": [{"sku": taken, "prices": [{"amount": 500, "currency": "USD"}]}],
        }
    ).variants.get()

    counts = seed_demo_catalog()
    call_command("seed_demo")

    assert not Product.objects.filter(handle=first.handle).exists()
    assert counts["products"] == len(demo_catalog().products) - 1
    assert Variant.objects.get(sku=taken).product.handle == "their-own"
    assert not StockLevel.objects.filter(variant=theirs).exists()
