"""The merchandiser's catalog console in a real browser (issue 2): bulk publish/archive,
changelist search and filters, spreadsheet import with a dry-run preview, CSV export, SKU
immutability and permissions."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from catalog.models import Product, ProductStatus, Variant, VariantPrice
from tests.factories.catalog import (
    BrandFactory,
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
    VariantIdentifierFactory,
)
from tests.factories.shop import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "/admin/catalog/product/"


def _row(page, title):
    return page.locator("#result_list tbody tr", has_text=title)


def _run_action(page, titles, action):
    for title in titles:
        _row(page, title).locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def _result_titles(page):
    return page.locator("#result_list tbody th.field-title")


def test_bulk_publish_then_archive_moves_products_on_and_off_the_storefront(
    page, live_server, login, merchandiser
):
    for handle, title in [("fjord-mug", "Fjord Mug"), ("tundra-mug", "Tundra Mug")]:
        product = ProductFactory(handle=handle, title=title, status=ProductStatus.DRAFT)
        VariantFactory(product=product)
    ProductFactory(handle="kept-draft", title="Kept Draft", status=ProductStatus.DRAFT)
    login(merchandiser)
    page.goto(f"{live_server.url}/p/fjord-mug/")
    expect(page.get_by_role("heading", level=1)).to_have_text("We couldn’t find that page")

    page.goto(f"{live_server.url}{CHANGELIST}")
    _run_action(page, ["Fjord Mug", "Tundra Mug"], "publish_selected")

    expect(page.locator("ul.messagelist")).to_contain_text("Published 2 products.")
    expect(_row(page, "Fjord Mug").locator("td.field-status")).to_have_text("Active")
    expect(_row(page, "Tundra Mug").locator("td.field-status")).to_have_text("Active")
    expect(_row(page, "Kept Draft").locator("td.field-status")).to_have_text("Draft")
    page.goto(f"{live_server.url}/p/fjord-mug/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fjord Mug")

    page.goto(f"{live_server.url}{CHANGELIST}")
    _run_action(page, ["Fjord Mug"], "archive_selected")

    expect(page.locator("ul.messagelist")).to_contain_text("Archived 1 product.")
    expect(_row(page, "Fjord Mug").locator("td.field-status")).to_have_text("Archived")
    assert dict(Product.objects.values_list("handle", "status")) == {
        "fjord-mug": ProductStatus.ARCHIVED,
        "tundra-mug": ProductStatus.ACTIVE,
        "kept-draft": ProductStatus.DRAFT,
    }
    response = page.goto(f"{live_server.url}/p/fjord-mug/")
    assert response.status == 404
    page.goto(f"{live_server.url}/search?q=mug")
    expect(page.locator(".product-card-title")).to_have_text(["Tundra Mug"])


@pytest.fixture
def searchable_catalog():
    lamp = ProductFactory(title="Aurora Desk Lamp", handle="aurora-lamp")
    VariantIdentifierFactory(
        variant=VariantFactory(product=lamp, sku="LAMP-AUR-01"), kind="ean", value="4006381333931"
    )
    novel = ProductFactory(title="The Long Voyage", handle="long-voyage")
    VariantIdentifierFactory(
        variant=VariantFactory(product=novel, sku="BK-VOYAGE"), kind="isbn", value="9780306406157"
    )
    kettle = ProductFactory(title="Copper Kettle", handle="copper-kettle")
    VariantIdentifierFactory(
        variant=VariantFactory(product=kettle, sku="KET-CU-1"), kind="upc", value="036000291452"
    )


def test_changelist_search_by_title_sku_and_identifier(
    page, live_server, login, merchandiser, searchable_catalog
):
    login(merchandiser)
    page.goto(f"{live_server.url}{CHANGELIST}")
    expect(_result_titles(page)).to_have_count(3)

    for term, expected in [
        ("aurora", "Aurora Desk Lamp"),  # title, any case
        ("BK-VOYAGE", "The Long Voyage"),  # SKU
        ("4006381333931", "Aurora Desk Lamp"),  # EAN (GTIN-13)
        ("9780306406157", "The Long Voyage"),  # ISBN-13
        ("036000291452", "Copper Kettle"),  # UPC (GTIN-12)
    ]:
        page.fill("#searchbar", term)
        page.get_by_role("button", name="Search").click()

        expect(page).to_have_url(re.compile(rf"\?q={term}$"))
        expect(_result_titles(page)).to_have_text([expected])


def test_changelist_filters_by_status_and_brand(page, live_server, login, merchandiser):
    north = BrandFactory(name="Northwind", slug="northwind")
    south = BrandFactory(name="Southwind", slug="southwind")
    ProductFactory(title="North Active", brand=north)
    ProductFactory(title="North Draft", brand=north, status=ProductStatus.DRAFT)
    ProductFactory(title="South Draft", brand=south, status=ProductStatus.DRAFT)
    ProductFactory(title="South Archived", brand=south, status=ProductStatus.ARCHIVED)
    login(merchandiser)
    page.goto(f"{live_server.url}{CHANGELIST}")
    filters = page.locator("#changelist-filter")

    filters.get_by_role("link", name="Draft", exact=True).click()
    expect(page).to_have_url(re.compile(r"status__exact=draft"))
    expect(_result_titles(page)).to_have_text(["South Draft", "North Draft"])  # newest first

    filters.get_by_role("link", name="Southwind", exact=True).click()
    expect(page).to_have_url(re.compile(r"brand__id__exact="))
    expect(_result_titles(page)).to_have_text(["South Draft"])

    filters.get_by_role("link", name="Clear all filters").click()
    filters.get_by_role("link", name="Northwind", exact=True).click()
    expect(_result_titles(page)).to_have_text(["North Draft", "North Active"])


BAD_CSV = (
    "handle,title,status,sku,price_USD,ean\n"
    "pine-tray,Pine Tray,active,TRAY-PINE,12.00,4006381333932\n"  # wrong check digit
    "oak-tray,Oak Tray,active,TRAY-OAK,-3,\n"  # negative price
)
GOOD_CSV = (
    "handle,title,status,option1_name,option1_value,sku,price_USD,ean\n"
    "pine-tray,Pine Tray,active,Size,Small,TRAY-PINE-S,12.00,4006381333931\n"
    "pine-tray,,,Size,Large,TRAY-PINE-L,18.50,\n"
)


def test_import_previews_row_errors_then_confirms_a_good_file(
    page, live_server, login, merchandiser, tmp_path
):
    bad, good = tmp_path / "bad.csv", tmp_path / "trays.csv"
    bad.write_text(BAD_CSV)
    good.write_text(GOOD_CSV)
    login(merchandiser)
    page.goto(f"{live_server.url}{CHANGELIST}")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import products")).to_be_visible()

    page.get_by_label("CSV or XLSX file").set_input_files(bad)
    page.get_by_role("button", name="Preview import").click()

    expect(page.locator("#import-summary")).to_contain_text("Nothing was imported")
    rows = page.locator("#import-rows tbody tr")
    expect(rows.filter(has_text="TRAY-PINE")).to_contain_text("EAN")
    expect(rows.filter(has_text="TRAY-OAK")).to_contain_text("negative")
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    assert not Product.objects.exists()

    page.get_by_label("CSV or XLSX file").set_input_files(good)
    page.get_by_role("button", name="Preview import").click()

    expect(page.locator("#import-summary")).to_contain_text("Preview")
    expect(page.locator("#import-summary")).to_contain_text("2 created")
    expect(page.locator("#import-rows tbody tr.row-create")).to_have_count(2)
    assert not Product.objects.exists()  # a dry run writes nothing

    page.get_by_role("button", name="Confirm import").click()

    expect(page).to_have_url(f"{live_server.url}{CHANGELIST}")
    expect(page.locator("ul.messagelist")).to_contain_text("Import finished: 2 created")
    expect(_row(page, "Pine Tray").locator("td.field-variant_count")).to_have_text("2")
    assert sorted(VariantPrice.objects.values_list("variant__sku", "amount_cents")) == [
        ("TRAY-PINE-L", 1850),
        ("TRAY-PINE-S", 1200),
    ]
    page.goto(f"{live_server.url}/p/pine-tray/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pine Tray")
    expect(page.locator("[data-price]")).to_have_text("$12.00")


def test_export_csv_downloads_the_catalog(page, live_server, login, merchandiser):
    product = ProductFactory(title="Slate Coaster", handle="slate-coaster")
    VariantFactory(product=product, sku="COAST-SLATE", prices={"USD": 750, "EUR": 700})
    login(merchandiser)
    page.goto(f"{live_server.url}{CHANGELIST}")

    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value

    assert download.suggested_filename == "catalog.csv"
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    header = list(rows[0])
    assert header[:4] == ["handle", "title", "description", "brand"]
    assert {"sku", "status", "option1_name", "price_USD", "price_EUR", "ean", "isbn"} <= set(
        header
    )
    assert [(r["handle"], r["sku"], r["price_USD"], r["price_EUR"]) for r in rows] == [
        ("slate-coaster", "COAST-SLATE", "7.50", "7.00")
    ]


def test_saved_variant_sku_is_read_only_and_a_forged_change_is_refused(
    page, live_server, login, merchandiser
):
    product = ProductFactory(title="Linen Apron", handle="linen-apron")
    size = OptionFactory(product=product, name="Size")
    VariantFactory(
        product=product,
        sku="APRON-ONE",
        option_values=[OptionValueFactory(option=size, value="One")],
    )
    login(merchandiser)
    page.goto(f"{live_server.url}/admin/catalog/product/{product.pk}/change/")

    sku = page.locator("#id_variants-0-sku")
    expect(sku).to_have_value("APRON-ONE")
    expect(sku).to_have_attribute("readonly", re.compile(".*"))
    expect(sku).not_to_be_editable()

    # A forged submit (readonly removed by hand) is refused with a clear error.
    sku.evaluate("el => el.removeAttribute('readonly')")
    sku.fill("APRON-TWO")
    page.click("input[name=_save]")

    expect(page.locator("#variants-group")).to_contain_text(
        "The SKU cannot change once saved (it is APRON-ONE)"
    )
    assert list(Variant.objects.values_list("sku", flat=True)) == ["APRON-ONE"]

    # The variant's own page shows the SKU as text, not as a field.
    page.goto(f"{live_server.url}/admin/catalog/variant/{Variant.objects.get().pk}/change/")
    expect(page.locator(".field-sku .readonly")).to_have_text("APRON-ONE")
    expect(page.locator("input[name=sku]")).to_have_count(0)


def test_staff_without_catalog_permission_is_refused(page, live_server, login, operations_user):
    ProductFactory(title="Quiet Product")
    nobody = StaffFactory(email="nobody@example.com")

    login(nobody)
    expect(page.locator("#content")).to_contain_text("You don’t have permission")
    response = page.goto(f"{live_server.url}{CHANGELIST}")
    assert response.status == 403
    response = page.goto(f"{live_server.url}{CHANGELIST}import/")
    assert response.status == 403

    # Operations may look at the catalog but not change or import it.
    page.context.clear_cookies()
    login(operations_user)
    page.goto(f"{live_server.url}{CHANGELIST}")
    expect(_result_titles(page)).to_have_text(["Quiet Product"])
    expect(page.get_by_role("link", name="Import", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("Add product"))).to_have_count(0)
    response = page.goto(f"{live_server.url}{CHANGELIST}import/")
    assert response.status == 403
    response = page.goto(f"{live_server.url}{CHANGELIST}add/")
    assert response.status == 403
