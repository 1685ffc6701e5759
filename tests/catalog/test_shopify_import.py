import pytest
from django.core.management import CommandError, call_command

from catalog.importing import import_catalog
from catalog.models import Media, Product, ProductStatus, Variant, VariantIdentifier, VariantPrice
from tests.fixtures import shared_fixture

pytestmark = pytest.mark.django_db

FIXTURE = shared_fixture("shopify/product_template.csv")
VALID_BARCODES = [("SRT_COT_233", "upc", "777979207524"), ("SRT_COT_333", "upc", "845853890770")]


@pytest.fixture
def template_bytes():
    return FIXTURE.read_bytes()


def shopify(data: bytes, **options):
    return import_catalog(data=data, filename="products.csv", format="shopify", **options)


def test_shopify_template_imports_products_and_variants(template_bytes):
    result = shopify(template_bytes)

    assert result.summary() == "17 created, 0 updated, 0 skipped, 14 warnings, 0 errors"
    assert list(Product.objects.order_by("handle").values_list("handle", "title", "status")) == [
        ("example-hat", "Example Beanie", ProductStatus.ARCHIVED),
        ("example-pants", "Example Jeans", ProductStatus.DRAFT),
        ("example-shirt", "Example T-Shirt", ProductStatus.ACTIVE),
    ]
    shirt = Product.objects.get(handle="example-shirt")
    assert (shirt.brand.name, shirt.product_type, shirt.tags) == (
        "Acme",
        "Shirts",
        ["Made to Order", "Shirt Tag"],
    )
    assert (shirt.seo_title, shirt.seo_description) == (
        "Example T-Shirt | Test Store",
        "Cotton shirts from our store.",
    )
    assert shirt.description.startswith("This t-shirt is as simple as it gets.")
    assert "<p>" not in shirt.description
    assert [(o.name, [v.value for v in o.values.all()]) for o in shirt.options.all()] == [
        ("Color", ["Green", "Blue", "Gray", "Purple"]),
        ("Size", ["S", "M", "L"]),
    ]
    assert Variant.objects.filter(product=shirt).count() == 12
    assert Variant.objects.get(sku="SRT_COT_322").option_label() == "Gray / M"


def test_shopify_default_title_means_no_options(template_bytes):
    shopify(template_bytes)

    hat = Product.objects.get(handle="example-hat")

    assert hat.options.count() == 0
    assert list(hat.variants.values_list("sku", "option_key")) == [("HAT_GRY_275", "")]


def test_shopify_fractional_grams_round_half_up(template_bytes):
    shopify(template_bytes)

    weights = Variant.objects.filter(sku__startswith="PNT").order_by("sku")

    assert list(weights.values_list("sku", "weight_grams")) == [
        ("PNT_DEN_285", 227),
        ("PNT_DEN_305", 283),
        ("PNT_DEN_405", 397),
    ]


def test_shopify_prices_keep_lower_compare_at_without_sale(template_bytes):
    shopify(template_bytes)

    jeans = VariantPrice.objects.get(variant__sku="PNT_DEN_285")
    beanie = VariantPrice.objects.get(variant__sku="HAT_GRY_275")
    shirt = VariantPrice.objects.get(variant__sku="SRT_COT_111")

    assert (jeans.currency, jeans.amount_cents, jeans.compare_at_cents) == ("USD", 9500, 6495)
    assert jeans.is_on_sale is False
    assert (beanie.amount_cents, beanie.compare_at_cents, beanie.is_on_sale) == (1799, 2299, True)
    assert (shirt.amount_cents, shirt.compare_at_cents) == (2500, None)


def test_shopify_barcodes_valid_kept_invalid_reported(template_bytes):
    result = shopify(template_bytes)

    stored = sorted(VariantIdentifier.objects.values_list("variant__sku", "kind", "value"))
    warnings = [m for m in result.messages() if "warning" in m]

    assert stored == VALID_BARCODES
    assert len(warnings) == 14
    assert warnings[0] == (
        "Row 2: warning: Variant Barcode: '365275101829' has a wrong check digit for a UPC. "
        "It was not imported."
    )


def test_shopify_strict_refuses_file_and_writes_nothing(template_bytes):
    result = shopify(template_bytes, strict=True)

    assert result.counts["errors"] == 14
    assert result.committed is False
    assert (Product.objects.count(), Variant.objects.count(), Media.objects.count()) == (0, 0, 0)


def test_shopify_images_become_media_and_variant_images_tie_to_variants(template_bytes):
    shopify(template_bytes)

    pants = Product.objects.get(handle="example-pants")
    media = list(pants.media.values_list("position", "alt_text", "variant__sku"))

    assert media == [
        (1, "A rack of jeans", None),
        (2, "Small tapered stone wash jeans", "PNT_DEN_285"),
        (3, "Medium tapered stone wash jeans", "PNT_DEN_305"),
        (4, "Large tapered stone wash jeans", "PNT_DEN_405"),
    ]
    assert Media.objects.filter(product__handle="example-shirt").count() == 15
    assert Media.objects.filter(variant__sku="SRT_COT_122").get().external_url == (
        "https://burst.shopifycdn.com/photos/green-t-shirt.jpg?width=1500"
    )


def test_shopify_inventory_quantities_are_collected_per_sku(template_bytes):
    result = shopify(template_bytes)

    assert len(result.inventory) == 16
    assert {sku: result.inventory[sku] for sku in ("PNT_DEN_285", "HAT_GRY_275")} == {
        "PNT_DEN_285": 20,
        "HAT_GRY_275": 50,
    }


def test_shopify_reimport_changes_nothing(template_bytes):
    shopify(template_bytes)
    counts = (Product.objects.count(), Variant.objects.count(), Media.objects.count())

    result = shopify(template_bytes)

    assert result.summary() == "0 created, 0 updated, 17 skipped, 14 warnings, 0 errors"
    assert (Product.objects.count(), Variant.objects.count(), Media.objects.count()) == counts


def test_shopify_currency_option_stores_prices_in_that_currency(template_bytes):
    shopify(template_bytes, currency="CAD")

    assert set(VariantPrice.objects.values_list("currency", flat=True)) == {"CAD"}


def test_shopify_published_false_without_status_is_draft(db):
    data = (
        b"Handle,Title,Published,Option1 Name,Option1 Value,Variant SKU,Variant Price\n"
        b"cap,Cap,FALSE,Title,Default Title,CAP-1,10.00\n"
        b"bag,Bag,TRUE,Title,Default Title,BAG-1,12.00\n"
    )

    result = shopify(data)

    assert result.messages() == []
    assert sorted(Product.objects.values_list("handle", "status")) == [
        ("bag", ProductStatus.ACTIVE),
        ("cap", ProductStatus.DRAFT),
    ]


def test_shopify_bad_price_refuses_file(db):
    data = b"Handle,Title,Variant SKU,Variant Price\ncap,Cap,CAP-1,10.00\nbag,Bag,BAG-1,-3\n"

    result = shopify(data)

    assert result.messages() == [
        "Row 3: error: Variant Price: '-3' is negative; prices are 0 or more."
    ]
    assert Product.objects.count() == 0


def test_import_catalog_command_shopify_format(template_bytes, tmp_path, capsys):
    path = tmp_path / "products.csv"
    path.write_bytes(template_bytes)

    call_command("import_catalog", str(path), "--format", "shopify")

    assert "Imported: 17 created, 0 updated, 0 skipped, 14 warnings, 0 errors." in (
        capsys.readouterr().out
    )
    assert Variant.objects.count() == 16


def test_import_catalog_command_shopify_strict_fails(template_bytes, tmp_path):
    path = tmp_path / "products.csv"
    path.write_bytes(template_bytes)

    with pytest.raises(CommandError):
        call_command("import_catalog", str(path), "--format", "shopify", "--strict")

    assert Product.objects.count() == 0
