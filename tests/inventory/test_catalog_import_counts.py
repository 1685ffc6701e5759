"""Shopify's Variant Inventory Qty lands in stock where the file's shoppers can buy it, through
the ledger, in the import's own transaction."""

import pytest
from django.core.management import call_command

from catalog.importing import import_catalog
from catalog.models import Product, Variant
from catalog.services import publishing
from inventory import services
from inventory.models import StockLevel, StockMovement
from inventory.selectors import list_ledger_mismatches
from tests.factories.inventory import LocationFactory, market
from tests.fixtures import shared_fixture

pytestmark = pytest.mark.django_db

FIXTURE = shared_fixture("shopify/product_template.csv")


@pytest.fixture
def template_bytes():
    return FIXTURE.read_bytes()


def test_shopify_import_sets_stock_counts_at_the_default_location(template_bytes):
    location = LocationFactory(code="us-main", priority=1)

    result = import_catalog(data=template_bytes, filename="p.csv", format="shopify")

    assert result.committed and result.stock_counts_applied
    levels = {
        lvl.variant.sku: lvl.on_hand
        for lvl in StockLevel.objects.filter(location=location).select_related("variant")
    }
    assert levels["PNT_DEN_285"] == 20
    assert levels["HAT_GRY_275"] == 50
    assert set(levels) == set(result.inventory)
    assert StockMovement.objects.filter(reference="catalog import").count() == sum(
        1 for qty in result.inventory.values() if qty
    )
    assert list(list_ledger_mismatches()) == []


def test_shopify_dry_run_touches_no_stock(template_bytes):
    LocationFactory(code="us-main", priority=1)

    result = import_catalog(data=template_bytes, filename="p.csv", format="shopify", dry_run=True)

    assert not result.stock_counts_applied
    assert StockLevel.objects.count() == 0


def test_shopify_import_without_any_location_keeps_counts_unapplied(template_bytes):
    result = import_catalog(data=template_bytes, filename="p.csv", format="shopify")

    assert result.committed
    assert not result.stock_counts_applied
    assert StockLevel.objects.count() == 0


# --- Where the counts land: a location shoppers of the file's market can buy from -------------


def _available_in(api_client, handle: str, market: str) -> dict[str, int]:
    response = api_client.get(f"/api/v1/products/{handle}?market={market}")
    assert response.status_code == 200, response.content
    return {v["sku"]: v["available"] for v in response.json()["variants"]}


def _state():
    return (
        sorted(Product.objects.values_list("handle", "title")),
        sorted(Variant.objects.values_list("sku", flat=True)),
        sorted(StockLevel.objects.values_list("variant__sku", "location__code", "on_hand")),
        StockMovement.objects.count(),
    )


def test_shopify_usd_stock_is_sellable_to_us_shoppers_not_parked_in_a_canadian_warehouse(
    template_bytes, api_client
):
    # The first location by priority serves Canada only: the old default put the stock there.
    LocationFactory(code="ca-toronto-dc", country="CA", priority=1, markets=["CA"])
    LocationFactory(code="us-nj-dc", priority=10, markets=["US"])

    result = import_catalog(data=template_bytes, filename="p.csv", format="shopify")
    publishing.publish_products(products=Product.objects.filter(handle="example-pants"))

    assert (result.committed, result.stock_counts_applied, result.currency) == (
        True,
        True,
        "USD",
    )
    assert _available_in(api_client, "example-pants", "US") == {
        "PNT_DEN_285": 20,
        "PNT_DEN_305": 15,
        "PNT_DEN_405": 10,
    }
    assert _available_in(api_client, "example-pants", "CA") == {
        "PNT_DEN_285": 0,
        "PNT_DEN_305": 0,
        "PNT_DEN_405": 0,
    }
    assert set(StockLevel.objects.values_list("location__code", flat=True)) == {"us-nj-dc"}


def test_an_explicit_location_takes_the_counts(template_bytes):
    LocationFactory(code="us-nj-dc", priority=10, markets=["US"])
    LocationFactory(code="us-soho", priority=30, markets=["US"])

    result = import_catalog(
        data=template_bytes, filename="p.csv", format="shopify", location="us-soho"
    )

    assert result.committed and result.stock_counts_applied
    assert StockLevel.objects.get(variant__sku="HAT_GRY_275").location.code == "us-soho"
    assert set(StockLevel.objects.values_list("location__code", flat=True)) == {"us-soho"}


@pytest.mark.parametrize(
    ("locations", "location", "message"),
    [
        (
            [("us-nj-dc", ["US"]), ("us-soho", ["US"])],
            None,
            "Stock counts: Several stock locations serve a market in USD (us-nj-dc, us-soho); "
            "choose the one that receives the stock counts.",
        ),
        (
            [("ca-toronto-dc", ["CA"])],
            None,
            "Stock counts: No active stock location serves a market in USD (the file's "
            "currency), so shoppers could not buy these units; choose the location for the "
            "stock counts.",
        ),
        (
            [("us-nj-dc", ["US"])],
            "mars",
            "Stock counts: Unknown or inactive location: mars.",
        ),
    ],
)
def test_no_clear_location_refuses_the_whole_file(template_bytes, locations, location, message):
    for code, markets in locations:
        LocationFactory(code=code, markets=markets)
    before = _state()

    result = import_catalog(
        data=template_bytes, filename="p.csv", format="shopify", location=location
    )

    assert result.file_errors == [message]
    assert (result.committed, result.stock_counts_applied) == (False, False)
    assert _state() == before


def test_the_command_takes_a_location(template_bytes, tmp_path, capsys):
    LocationFactory(code="us-nj-dc", markets=["US"])
    LocationFactory(code="us-soho", markets=["US"])
    path = tmp_path / "products.csv"
    path.write_bytes(template_bytes)

    call_command("import_catalog", str(path), "--format", "shopify", "--location", "us-soho")

    assert "Stock counts for 16 SKUs set at us-soho." in capsys.readouterr().out
    assert set(StockLevel.objects.values_list("location__code", flat=True)) == {"us-soho"}


def test_a_refused_stock_count_rolls_the_catalog_rows_back_too(template_bytes):
    """The counts apply in the import's transaction: a refusal leaves no half-imported file."""
    us = market("US")
    LocationFactory(code="us-nj-dc", markets=["US"])
    import_catalog(data=template_bytes, filename="p.csv", format="shopify")
    services.reserve_stock(lines={"PNT_DEN_285": 15}, market=us, owner="cart_hold")
    changed = template_bytes.replace(b"Example Jeans,", b"Renamed Jeans,").replace(
        b",PNT_DEN_285,226.796185,shopify,20,", b",PNT_DEN_285,226.796185,shopify,5,"
    )
    before = _state()

    result = import_catalog(data=changed, filename="p.csv", format="shopify")

    assert result.file_errors == [
        "Stock counts: PNT_DEN_285 at us-nj-dc: on hand 20 -15 would leave fewer units than "
        "the 15 reserved or being picked."
    ]
    assert result.committed is False
    assert _state() == before
    assert Product.objects.get(handle="example-pants").title == "Example Jeans"


def test_the_admin_import_offers_the_locations_and_puts_the_counts_at_the_chosen_one(
    template_bytes, client, merchandiser
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    LocationFactory(code="us-nj-dc", name="New Jersey DC", priority=10, markets=["US"])
    LocationFactory(code="us-soho", name="SoHo store", priority=30, markets=["US"])
    client.force_login(merchandiser)
    url = reverse("admin:catalog_product_import")
    form = client.get(url).context["form"]
    upload = SimpleUploadedFile("products.csv", template_bytes, content_type="text/csv")

    preview = client.post(url, {"file": upload, "format": "shopify", "location": "us-soho"})
    confirm = client.post(url, {**preview.context["confirm_form"].initial, "confirm": "1"})

    assert form.fields["location"].choices == [
        ("", "The location serving the market of the file's currency"),
        ("us-nj-dc", "us-nj-dc (New Jersey DC)"),
        ("us-soho", "us-soho (SoHo store)"),
    ]
    assert [c for c, _ in form.fields["currency"].choices] == ["", "USD", "CAD", "EUR"]
    assert confirm.status_code == 302
    assert set(StockLevel.objects.values_list("location__code", flat=True)) == {"us-soho"}
