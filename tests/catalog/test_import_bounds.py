"""Bounded spreadsheets: a declared sheet size is not believed, rows are capped, a malformed or
entity-expanding workbook is a clear refusal; none of them changes the catalog."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.importing import import_catalog
from catalog.models import Product, Variant, VariantPrice
from tests.spreadsheet_files import with_entities, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def merch_client(client, merchandiser):
    client.force_login(merchandiser)
    return client


HEADER = ["handle", "title", "sku", "price_USD"]
UNREADABLE = (
    "The file is not a readable XLSX workbook ({}). Save it again from your spreadsheet as "
    ".xlsx or as CSV UTF-8."
)


def state():
    return (
        sorted(Product.objects.values_list("handle", flat=True)),
        sorted(Variant.objects.values_list("sku", flat=True)),
        VariantPrice.objects.count(),
    )


def run(data: bytes):
    return import_catalog(data=data, filename="c.xlsx")


def test_a_stray_cell_at_xfd1048576_is_cut_at_the_header_and_the_rows_import():
    data = workbook([HEADER, ["cap", "Cap", "CAP-1", "9.50"]], stray="XFD1048576")
    assert len(data) < 6000  # declares A1:XFD1048576: 17 billion cells on paper

    result = run(data)

    assert result.messages() == []
    assert list(Variant.objects.values_list("sku", "prices__amount_cents")) == [("CAP-1", 950)]


def test_data_in_row_1048576_is_refused_as_too_many_rows_and_changes_nothing():
    data = workbook([HEADER, ["cap", "Cap", "CAP-1", "9.50"]], stray="A1048576")
    before = state()

    result = run(data)

    assert result.messages() == [
        "The file has more than 200,000 rows; the largest accepted has 200,000 "
        "(SPREADSHEET_MAX_ROWS). Split it into several files."
    ]
    assert state() == before


def test_the_row_cap_is_a_setting(settings):
    settings.SPREADSHEET_MAX_ROWS = 2
    rows = [["cap", "Cap", f"CAP-{n}", "1"] for n in range(3)]
    before = state()

    xlsx = run(workbook([HEADER, *rows]))
    csv = import_catalog(
        data=("handle,title,sku\n" + "".join(f"c{n},C,C-{n}\n" for n in range(3))).encode(),
        filename="c.csv",
    )

    message = (
        "The file has more than 2 rows; the largest accepted has 2 (SPREADSHEET_MAX_ROWS). "
        "Split it into several files."
    )
    assert (xlsx.messages(), csv.messages()) == ([message], [message])
    assert state() == before


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (workbook([HEADER, ["cap", "Cap", "CAP-1", "1"]])[:3000], "BadZipFile"),
        (with_entities(workbook([HEADER, ["cap", "Cap", "CAP-1", "1"]])), "ValueError"),
    ],
    ids=["truncated zip", "entity expansion"],
)
def test_a_malformed_or_entity_expanding_workbook_is_refused_and_changes_nothing(data, name):
    before = state()

    result = run(data)

    assert result.messages() == [UNREADABLE.format(name)]
    assert state() == before


def test_the_admin_shows_an_entity_expanding_workbook_as_a_result_error_not_a_500(merch_client):
    data = with_entities(workbook([HEADER, ["cap", "Cap", "CAP-1", "1"]]))
    upload = SimpleUploadedFile("c.xlsx", data, content_type="application/octet-stream")

    response = merch_client.post(
        reverse("admin:catalog_product_import"), {"file": upload, "format": "emporium"}
    )

    assert response.status_code == 200
    assert response.context["result"].file_errors == [UNREADABLE.format("ValueError")]
    assert "confirm_form" not in response.context
    assert state() == ([], [], 0)
