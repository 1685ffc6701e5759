import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory import services
from inventory.models import Reservation, StockLevel, StockMovement, Transfer, TransferStatus
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_client(operations_user):
    client = Client()
    client.force_login(operations_user)
    return client


@pytest.fixture
def stocked(variant, warehouse, us):
    stock(variant, warehouse, 10)
    services.reserve_stock(lines={variant: 2}, market=us, owner="cart_1")
    return variant


@pytest.mark.parametrize(
    "name",
    [
        "location_changelist",
        "stocklevel_changelist",
        "reservation_changelist",
        "stockmovement_changelist",
        "transfer_changelist",
        "transfer_add",
        "reservationpolicy_changelist",
        "marketrouting_changelist",
        "stocklevel_adjust",
        "stocklevel_import",
        "stocklevel_export",
    ],
)
def test_inventory_pages_render_for_operations(ops_client, stocked, name):
    response = ops_client.get(reverse(f"admin:inventory_{name}"))

    assert response.status_code == 200


def test_stock_list_shows_atp_columns(ops_client, stocked):
    response = ops_client.get(reverse("admin:inventory_stocklevel_changelist"))

    row = response.context["cl"].result_list[0]
    assert (row.atp_value, row.total_atp) == (8, 8)
    assert "ATP all locations" in response.content.decode()


def test_location_list_highlights_stale_counts(ops_client, warehouse):
    response = ops_client.get(reverse("admin:inventory_location_changelist"))

    assert "never counted" in response.content.decode()


def test_adjust_form_goes_through_the_service(ops_client, stocked, operations_user):
    response = ops_client.post(
        reverse("admin:inventory_stocklevel_adjust"),
        {"sku": "TEE-RED-M", "location": "us-east", "delta": "-3", "reason": "broken in aisle"},
    )

    assert response.status_code == 302
    movement = StockMovement.objects.latest("pk")
    assert (movement.delta, movement.reason, movement.actor) == (
        -3,
        "broken in aisle",
        operations_user,
    )
    assert StockLevel.objects.get().on_hand == 7


def test_adjust_form_shows_refusals(ops_client, stocked):
    response = ops_client.post(
        reverse("admin:inventory_stocklevel_adjust"),
        {"sku": "TEE-RED-M", "location": "us-east", "delta": "-9", "reason": "count"},
    )

    assert response.status_code == 200
    assert "reserved" in response.content.decode()
    assert StockLevel.objects.get().on_hand == 10


def test_merchandiser_cannot_adjust_in_admin(merchandiser, stocked):
    client = Client()
    client.force_login(merchandiser)

    assert client.get(reverse("admin:inventory_stocklevel_changelist")).status_code == 200
    assert client.get(reverse("admin:inventory_stocklevel_adjust")).status_code == 403


def test_release_action_releases_holds(ops_client, stocked):
    ops_client.post(
        reverse("admin:inventory_reservation_changelist"),
        {"action": "release_selected", "_selected_action": [Reservation.objects.get().pk]},
    )

    assert StockLevel.objects.get().reserved == 0


def test_transfer_ship_and_receive_actions(ops_client, stocked, warehouse):
    store = LocationFactory(code="store")
    transfer = services.create_transfer(source=warehouse, destination=store, lines={stocked: 3})
    url = reverse("admin:inventory_transfer_changelist")

    ops_client.post(url, {"action": "ship_selected", "_selected_action": [transfer.pk]})
    assert Transfer.objects.get().status == TransferStatus.IN_TRANSIT
    ops_client.post(url, {"action": "receive_selected", "_selected_action": [transfer.pk]})

    assert Transfer.objects.get().status == TransferStatus.RECEIVED
    assert StockLevel.objects.get(location=store).on_hand == 3


def test_safety_stock_edit_keeps_counters(ops_client, stocked):
    level = StockLevel.objects.get()
    url = reverse("admin:inventory_stocklevel_change", args=[level.pk])

    response = ops_client.post(url, {"safety_stock": "3"})

    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.on_hand, level.reserved, level.safety_stock) == (10, 2, 3)


def test_csv_import_dry_run_then_confirm_sets_counts(ops_client, stocked):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = b"sku,location,on_hand\nTEE-RED-M,us-east,25\n"
    upload = SimpleUploadedFile("stock.csv", csv, content_type="text/csv")

    preview = ops_client.post(
        reverse("admin:inventory_stocklevel_import"),
        {"import_file": upload, "format": "0", "resource": "0"},
    )

    assert preview.status_code == 200
    assert StockLevel.objects.get().on_hand == 10  # dry run: nothing written
    confirm = preview.context["confirm_form"]
    done = ops_client.post(reverse("admin:inventory_stocklevel_process_import"), confirm.initial)
    assert done.status_code == 302
    assert StockLevel.objects.get().on_hand == 25
    assert StockMovement.objects.latest("pk").kind == "sync"


def test_csv_import_names_unknown_skus_and_locations_and_writes_nothing(ops_client, stocked):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = b"sku,location,on_hand\nTEE-RED-M,us-east,25\nNOPE-1,us-east,5\nTEE-RED-M,mars,1\n"
    upload = SimpleUploadedFile("stock.csv", csv, content_type="text/csv")

    preview = ops_client.post(
        reverse("admin:inventory_stocklevel_import"),
        {"import_file": upload, "format": "0", "resource": "0"},
    )

    body = preview.content.decode()
    assert "No SKU &#x27;NOPE-1&#x27; exists." in body
    assert "No location &#x27;mars&#x27; exists." in body
    assert "confirm_form" not in preview.context
    assert StockLevel.objects.get().on_hand == 10


CHANGELISTS = ["location", "stocklevel", "reservation", "stockmovement", "transfer"]


def _more_rows(n, us):
    """n more SKUs, each stocked at a new location, held, and sent on a transfer."""
    for i in range(n):
        variant = VariantFactory(sku=f"ROW-{n}-{i}")
        here, there = LocationFactory(code=f"here-{n}-{i}"), LocationFactory(code=f"there-{n}-{i}")
        stock(variant, here, 5)
        services.reserve_stock(lines={variant: 1}, market=us, owner=f"cart_{n}_{i}")
        services.set_stock_count(variant=variant, location=there, on_hand=2, source="wms")
        services.create_transfer(source=here, destination=there, lines={variant: 1})


@pytest.mark.parametrize("model", CHANGELISTS)
def test_changelists_take_the_same_queries_for_more_rows(ops_client, stocked, us, model):
    url = reverse(f"admin:inventory_{model}_changelist")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert ops_client.get(url).status_code == 200
        return len(queries)

    count()  # sessions, permissions and content types cached
    _more_rows(1, us)
    few = count()
    _more_rows(6, us)

    assert count() == few


def test_ledger_link_shows_only_that_sku_at_that_location(ops_client, stocked, warehouse):
    other = LocationFactory(code="us-west")
    stock(stocked, other, 4)
    stock(VariantFactory(sku="TEE-BLUE-M"), warehouse, 3)
    url = reverse("admin:inventory_stockmovement_changelist")

    response = ops_client.get(
        url, {"variant__sku": "TEE-RED-M", "location__code__exact": "us-east"}
    )

    rows = response.context["cl"].result_list
    assert [(m.variant.sku, m.location.code, m.delta) for m in rows] == [
        ("TEE-RED-M", "us-east", 10)
    ]


def test_transfer_line_of_zero_units_is_a_form_error(ops_client, variant, warehouse):
    store = LocationFactory(code="store")

    response = ops_client.post(
        reverse("admin:inventory_transfer_add"),
        {
            "source": warehouse.pk,
            "destination": store.pk,
            "note": "",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-variant": variant.pk,
            "lines-0-quantity": "0",
        },
    )

    assert response.status_code == 200
    (errors,) = response.context["inline_admin_formsets"][0].formset.errors
    assert errors == {"quantity": ["Ensure this value is greater than or equal to 1."]}
    assert not Transfer.objects.exists()
