"""The operations console in a real browser (issue 3): a transfer drafted, shipped and received
with the ATP columns following; stock counts imported from CSV through a dry-run preview; active
reservations with their time left."""

import re

import pytest
from playwright.sync_api import expect

from inventory import services
from inventory.models import (
    MovementKind,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
    Transfer,
    TransferStatus,
)
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock

pytestmark = pytest.mark.django_db(transaction=True)

STOCK = "/admin/inventory/stocklevel/"


def _stock_row(page, location_code):
    return page.locator("#result_list tbody tr", has_text=f"{location_code} (")


def _expect_stock(page, location_code, **values):
    row = _stock_row(page, location_code)
    for column, value in values.items():
        expect(row.locator(f"td.field-{column}")).to_have_text(str(value))


def _run_action(page, row, action):
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def test_transfer_is_drafted_shipped_and_received(page, live_server, login, operations_user):
    variant = VariantFactory(sku="E2E-KETTLE")
    east = LocationFactory(code="us-east", name="East DC", priority=10)
    store = LocationFactory(code="nyc-store", name="NYC Store", priority=20)
    stock(variant, east, 10)
    login(operations_user)

    page.goto(f"{live_server.url}/admin/inventory/transfer/add/")
    page.get_by_label("Source").select_option(label="us-east (East DC)")
    page.get_by_label("Destination").select_option(label="nyc-store (NYC Store)")
    page.get_by_label("Note").fill("Restock the store window")
    page.fill("#id_lines-0-variant", str(variant.pk))
    page.fill("#id_lines-0-quantity", "4")
    page.click("input[name=_save]")

    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    transfer = Transfer.objects.get()
    row = page.locator("#result_list tbody tr", has_text=transfer.public_id)
    expect(row.locator("td.field-status")).to_have_text("Draft")
    expect(row.locator("td.field-units")).to_have_text("4")
    assert transfer.created_by == operations_user

    _run_action(page, row, "ship_selected")
    expect(page.locator("ul.messagelist")).to_contain_text(
        f"{transfer.public_id}: shipped",
        ignore_case=True,  # the admin capitalises messages
    )
    expect(row.locator("td.field-status")).to_have_text("In transit")

    page.goto(f"{live_server.url}{STOCK}?q=E2E-KETTLE")
    _expect_stock(
        page, "us-east", on_hand=6, reserved=0, in_transit_in=0, atp_here=6, atp_total=10
    )
    _expect_stock(page, "nyc-store", on_hand=0, in_transit_in=4, atp_here=4, atp_total=10)

    # Shipped transfers are no longer editable: lines and locations are fixed.
    page.goto(f"{live_server.url}/admin/inventory/transfer/{transfer.pk}/change/")
    expect(page.locator("#id_lines-0-quantity")).to_have_count(0)
    expect(page.get_by_label("Source")).to_have_count(0)

    page.goto(f"{live_server.url}/admin/inventory/transfer/")
    _run_action(page, row, "receive_selected")
    expect(page.locator("ul.messagelist")).to_contain_text(
        f"{transfer.public_id}: received", ignore_case=True
    )
    expect(row.locator("td.field-status")).to_have_text("Received")

    page.goto(f"{live_server.url}{STOCK}?q=E2E-KETTLE")
    _expect_stock(page, "us-east", on_hand=6, atp_here=6, atp_total=10)
    _expect_stock(page, "nyc-store", on_hand=4, in_transit_in=0, atp_here=4, atp_total=10)
    assert Transfer.objects.get().status == TransferStatus.RECEIVED
    assert sorted(StockMovement.objects.values_list("location__code", "kind", "delta")) == [
        ("nyc-store", MovementKind.TRANSFER_IN, 4),
        ("us-east", MovementKind.RECEIPT, 10),
        ("us-east", MovementKind.TRANSFER_OUT, -4),
    ]

    # Receiving twice is refused with a clear message, and nothing moves.
    page.goto(f"{live_server.url}/admin/inventory/transfer/")
    _run_action(page, row, "receive_selected")
    expect(page.locator("ul.messagelist .error")).to_contain_text("cannot receive")
    assert StockLevel.objects.get(location=store).on_hand == 4


def test_stock_csv_import_previews_then_confirms(
    page, live_server, login, operations_user, tmp_path
):
    east = LocationFactory(code="us-east")
    west = LocationFactory(code="us-west")
    mug, plate = VariantFactory(sku="E2E-MUG"), VariantFactory(sku="E2E-PLATE")
    stock(mug, east, 10)
    stock(plate, west, 3)
    bad, good = tmp_path / "bad.csv", tmp_path / "counts.csv"
    bad.write_text("sku,location,on_hand\nE2E-MUG,us-east,12\nNO-SUCH-SKU,us-east,5\n")
    good.write_text("sku,location,on_hand\nE2E-MUG,us-east,25\nE2E-PLATE,us-west,0\n")
    login(operations_user)
    page.goto(f"{live_server.url}{STOCK}")
    page.get_by_role("link", name="Import", exact=True).click()

    page.get_by_label("File to import").set_input_files(bad)
    page.get_by_label("Format").select_option(label="csv")
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_role("heading", name="Errors")).to_be_visible()
    expect(page.locator("#content")).to_contain_text("Line number: 2")
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    assert StockLevel.objects.get(variant=mug).on_hand == 10

    page.get_by_label("File to import").set_input_files(good)
    page.get_by_label("Format").select_option(label="csv")
    page.get_by_role("button", name="Submit").click()

    preview = page.locator("table.import-preview")
    expect(preview.locator("tbody tr")).to_have_count(2)
    expect(preview).to_contain_text("E2E-MUG")
    expect(preview).to_contain_text("25")
    assert StockLevel.objects.get(variant=mug).on_hand == 10  # the preview wrote nothing

    page.get_by_role("button", name="Confirm import").click()

    expect(page).to_have_url(re.compile(rf"{STOCK}$"))
    expect(page.locator("ul.messagelist")).to_contain_text("Import finished")
    _expect_stock(page, "us-east", on_hand=25, atp_here=25, atp_total=25)
    _expect_stock(page, "us-west", on_hand=0, atp_here=0, atp_total=0)
    assert {(m.variant.sku, m.delta) for m in StockMovement.objects.filter(kind="sync")} == {
        ("E2E-MUG", 15),
        ("E2E-PLATE", -3),
    }


def test_reservations_list_shows_time_left_and_releases(page, live_server, login, operations_user):
    variant = VariantFactory(sku="E2E-LAMP")
    stock(variant, LocationFactory(code="us-east"), 5)
    services.reserve_stock(lines={"E2E-LAMP": 2}, market=market("US"), owner="cart_e2e", ttl=900)
    released = services.reserve_stock(
        lines={"E2E-LAMP": 1}, market=market("US"), owner="cart_gone", ttl=900
    )[0]
    services.release_stock(reservation=released)
    login(operations_user)

    page.goto(f"{live_server.url}/admin/inventory/reservation/")
    page.locator("#changelist-filter").get_by_role("link", name="Holding stock").click()

    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row.locator("td.field-owner")).to_have_text("cart_e2e")
    expect(row.locator("td.field-quantity")).to_have_text("2")
    expect(row.locator("td.field-status")).to_have_text("Active (soft, expires)")
    expect(row.locator("td.field-time_left_display")).to_have_text(re.compile(r"^1[0-5]:\d\d$"))

    page.goto(f"{live_server.url}{STOCK}")
    _expect_stock(page, "us-east", on_hand=5, reserved=2, atp_here=3, atp_total=3)

    page.goto(f"{live_server.url}/admin/inventory/reservation/?state=open")
    _run_action(page, row, "release_selected")
    expect(page.locator("ul.messagelist")).to_contain_text("Released 2 unit(s).")
    expect(rows).to_have_count(0)
    assert Reservation.objects.get(owner="cart_e2e").status == ReservationStatus.RELEASED
    page.goto(f"{live_server.url}{STOCK}")
    _expect_stock(page, "us-east", on_hand=5, reserved=0, atp_here=5, atp_total=5)


BAD_COUNTS = "sku,location,on_hand\nE2E-MUG,us-east,12\nNO-SUCH-SKU,us-east,5\nE2E-MUG,mars,1\n"


def test_stock_csv_import_names_the_unknown_sku_and_location(
    page, live_server, login, operations_user, tmp_path
):
    stock(VariantFactory(sku="E2E-MUG"), LocationFactory(code="us-east"), 10)
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_COUNTS)
    login(operations_user)
    page.goto(f"{live_server.url}{STOCK}import/")

    page.get_by_label("File to import").set_input_files(bad)
    page.get_by_role("button", name="Submit").click()

    errors = page.locator("#content")
    expect(errors).to_contain_text("NO-SUCH-SKU", timeout=2000)
    expect(errors).to_contain_text("mars", timeout=2000)
