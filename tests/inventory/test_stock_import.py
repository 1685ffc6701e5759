"""The stock CSV/XLSX import (admin): counts applied per location through sync_stock_levels, the
WMS snapshot's batch path; a refusal anywhere writes nothing; spreadsheets read within bounds."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory import services
from inventory.models import StockLevel, StockMovement
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.spreadsheet_files import with_entities, workbook

pytestmark = pytest.mark.django_db

CSV, XLSX = "0", "1"


@pytest.fixture
def ops_client(client, operations_user):
    client.force_login(operations_user)
    return client


def levels():
    return sorted(StockLevel.objects.values_list("variant__sku", "location__code", "on_hand"))


def preview(client, data: bytes, name="stock.csv", file_format=CSV):
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(
        reverse("admin:inventory_stocklevel_import"),
        {"import_file": upload, "format": file_format, "resource": "0"},
    )


def confirm(client, response):
    return client.post(
        reverse("admin:inventory_stocklevel_process_import"),
        response.context["confirm_form"].initial,
    )


def counts_csv(skus, location: str, on_hand: int) -> bytes:
    return (
        "sku,location,on_hand\n" + "".join(f"{s},{location},{on_hand}\n" for s in skus)
    ).encode()


def test_counts_at_two_locations_apply_through_the_ledger(ops_client):
    east, west = LocationFactory(code="us-east"), LocationFactory(code="us-west")
    stock(VariantFactory(sku="MUG-1"), east, 4)
    VariantFactory(sku="MUG-2")
    data = b"sku,location,on_hand\nMUG-1,us-east,9\nMUG-2,us-east,3\nMUG-2,us-west,7\n"

    shown = preview(ops_client, data)
    assert levels() == [("MUG-1", "us-east", 4)]  # the preview wrote nothing
    done = confirm(ops_client, shown)

    assert done.status_code == 302
    assert levels() == [("MUG-1", "us-east", 9), ("MUG-2", "us-east", 3), ("MUG-2", "us-west", 7)]
    moves = StockMovement.objects.filter(reference="stock import").order_by("variant__sku", "pk")
    assert [(m.variant.sku, m.location.code, m.kind, m.delta) for m in moves] == [
        ("MUG-1", "us-east", "sync", 5),
        ("MUG-2", "us-east", "sync", 3),
        ("MUG-2", "us-west", "sync", 7),
    ]
    assert east.pk != west.pk


def test_the_preview_reads_ten_or_two_hundred_rows_in_the_same_number_of_queries(ops_client):
    location = LocationFactory(code="us-east")
    skus = [VariantFactory(sku=f"SKU-{n:03d}").sku for n in range(200)]

    def queries(rows):
        with CaptureQueriesContext(connection) as ctx:
            response = preview(ops_client, counts_csv(skus[:rows], location.code, 5))
        assert "confirm_form" in response.context
        return len(ctx.captured_queries)

    queries(10)  # warm the session and content-type caches
    assert queries(200) == queries(10)


def test_a_count_below_what_is_reserved_refuses_the_whole_file(ops_client):
    east = LocationFactory(code="us-east", markets=["US"])
    stock(VariantFactory(sku="MUG-1"), east, 10)
    stock(VariantFactory(sku="MUG-2"), east, 10)
    services.reserve_stock(lines={"MUG-2": 6}, market=market("US"), owner="cart_hold")
    before = (levels(), StockMovement.objects.count())

    response = preview(ops_client, b"sku,location,on_hand\nMUG-1,us-east,50\nMUG-2,us-east,2\n")

    assert "confirm_form" not in response.context
    assert "MUG-2 at us-east: on hand 10 -8 would leave fewer units than the 6 reserved" in (
        response.content.decode()
    )
    assert (levels(), StockMovement.objects.count()) == before


HEADER = ["sku", "location", "on_hand"]
TOO_MANY = (
    "The file has more than 200,000 rows; the largest accepted has 200,000 "
    "(SPREADSHEET_MAX_ROWS). Split it into several files."
)
UNREADABLE = (
    "The file is not a readable XLSX workbook ({}). Save it again from your spreadsheet as "
    ".xlsx or as CSV UTF-8."
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (workbook([HEADER, ["MUG-1", "us-east", 1]], stray="A1048576"), TOO_MANY),
        (workbook([HEADER, ["MUG-1", "us-east", 1]])[:2500], UNREADABLE.format("BadZipFile")),
        (
            with_entities(workbook([HEADER, ["MUG-1", "us-east", 1]])),
            UNREADABLE.format("ValueError"),
        ),
    ],
    ids=["data in row 1048576", "truncated zip", "entity expansion"],
)
def test_a_hostile_workbook_is_a_form_error_and_changes_no_stock(ops_client, data, message):
    stock(VariantFactory(sku="MUG-1"), LocationFactory(code="us-east"), 4)
    before = (levels(), StockMovement.objects.count())

    response = preview(ops_client, data, name="stock.xlsx", file_format=XLSX)

    assert response.status_code == 200
    assert response.context["form"].errors["import_file"] == [message]
    assert (levels(), StockMovement.objects.count()) == before


def test_a_stray_cell_at_xfd1048576_is_ignored_and_the_rows_import(ops_client):
    stock(VariantFactory(sku="MUG-1"), LocationFactory(code="us-east"), 4)
    data = workbook([HEADER, ["MUG-1", "us-east", 12]], stray="XFD1048576")

    done = confirm(ops_client, preview(ops_client, data, name="stock.xlsx", file_format=XLSX))

    assert done.status_code == 302
    assert levels() == [("MUG-1", "us-east", 12)]
