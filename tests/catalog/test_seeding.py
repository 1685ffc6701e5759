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
