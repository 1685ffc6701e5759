"""The WMS webhook cannot be replayed (issue 7 items 2 and 3): each finding reproduced."""

import json
import time
from datetime import timedelta
from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from inventory import services
from inventory.models import StockLevel, StockMovement
from shop.models import ProcessedWebhook
from shop.webhooks import record_webhook_once, sign

pytestmark = pytest.mark.django_db

SECRET = "test-wms-secret"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.WMS_WEBHOOK_SECRET = SECRET


def capture(body: dict, *, timestamp=None) -> tuple[bytes, str]:
    """A signed request as it crossed the wire: raw body and signature header."""
    raw = json.dumps(body).encode()
    return raw, sign(raw, secret=SECRET, timestamp=timestamp)


def deliver(raw: bytes, signature: str):
    return Client().post(
        "/webhooks/wms",
        raw,
        content_type="application/json",
        headers={"Emporium-Signature": signature},
    )


def count_body(on_hand: int, *, event_id="evt_1", as_of=None):
    return {
        "event_id": event_id,
        "location": "us-east",
        "as_of": (as_of or timezone.now() - timedelta(seconds=30)).isoformat(),
        "items": [{"sku": "TEE-RED-M", "on_hand": on_hand}],
    }


def ledger():
    return list(StockMovement.objects.order_by("pk").values_list("kind", "delta", "on_hand_after"))


def on_hand():
    return StockLevel.objects.get().on_hand


@pytest.fixture
def counted_then_written_off(variant, warehouse):
    """The WMS counted 40, then 5 were written off: 35 on hand. Returns the captured count."""
    raw, signature = capture(count_body(40))
    first = deliver(raw, signature)
    assert first.status_code == 200 and first.json()["applied"] == ["TEE-RED-M"]
    services.write_off_stock(variant=variant, location=warehouse, quantity=5, reason="damaged")
    assert on_hand() == 35
    return raw, signature


def test_a_huge_timestamp_is_a_400_not_a_500(variant, warehouse):
    raw, _ = capture(count_body(40))

    response = deliver(raw, f"t={'9' * 400},v1=x")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_signature",
        "detail": "The Emporium-Signature header is malformed: expected "
        "t=<unix seconds, 1-12 digits>,v1=<64 hex digits>.",
    }
    assert not StockLevel.objects.exists()


def test_replaying_a_captured_count_after_a_write_off_changes_nothing(counted_then_written_off):
    raw, signature = counted_then_written_off

    replay = deliver(raw, signature)  # the very same bytes, well within the 300 s

    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert on_hand() == 35  # not 40: the write-off stands
    assert ledger() == [("sync", 40, 40), ("write_off", -5, 35)]


def test_the_signature_alone_stops_an_identical_replay(counted_then_written_off):
    raw, signature = counted_then_written_off
    # Even if the event id's record were gone (purged, or a WMS reusing ids), the captured
    # request's digest is still on record.
    ProcessedWebhook.objects.filter(source="wms").delete()

    replay = deliver(raw, signature)

    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert on_hand() == 35
    assert list(ProcessedWebhook.objects.values_list("source", flat=True)) == ["wms:signature"]


def test_a_new_event_with_an_equal_as_of_is_not_applied_again(counted_then_written_off):
    raw, _ = counted_then_written_off
    same_count = json.loads(raw)
    again = deliver(*capture({**same_count, "event_id": "evt_2"}))

    assert again.status_code == 200
    assert (again.json()["applied"], again.json()["ignored"]) == ([], ["TEE-RED-M"])
    assert on_hand() == 35
    assert ledger() == [("sync", 40, 40), ("write_off", -5, 35)]


def test_a_newer_count_is_still_applied(counted_then_written_off):
    newer = deliver(*capture(count_body(33, event_id="evt_2", as_of=timezone.now())))

    assert newer.status_code == 200 and newer.json()["applied"] == ["TEE-RED-M"]
    assert on_hand() == 33


def test_a_count_without_an_event_id_is_refused(variant, warehouse):
    body = count_body(40)
    del body["event_id"]

    response = deliver(*capture(body))

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "event_id: This field is required.",
        "fields": {"event_id": ["This field is required."]},
    }
    assert not StockLevel.objects.exists()
    assert not ProcessedWebhook.objects.exists()


def test_a_refused_count_records_nothing_so_it_may_be_sent_again(variant, warehouse, us):
    services.receive_stock(variant=variant, location=warehouse, quantity=10)
    services.reserve_stock(lines={variant: 6}, market=us, owner="cart_1")
    raw, signature = capture(count_body(2))

    refused = deliver(raw, signature)

    assert (refused.status_code, refused.json()["code"]) == (409, "stock_below_reserved")
    assert not ProcessedWebhook.objects.exists()
    services.release_stock(owner="cart_1")
    assert deliver(raw, signature).json()["applied"] == ["TEE-RED-M"]
    assert on_hand() == 2


def test_an_old_capture_is_refused_outright(variant, warehouse):
    raw, signature = capture(count_body(40), timestamp=int(time.time()) - 301)

    response = deliver(raw, signature)

    assert (response.status_code, response.json()["code"]) == (400, "invalid_signature")
    assert not StockLevel.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_migration_copies_the_wms_event_ids_to_shop():
    """inventory 0003 moves ProcessedWebhook rows into shop's table, keeping received_at."""
    move = import_module("inventory.migrations.0003_processed_webhooks_move_to_shop")
    state = MigrationExecutor(connection).loader.project_state(
        [("inventory", "0002_transfer_line_quantity_min_1"), ("shop", "0005_processed_webhooks")]
    )
    apps = state.apps
    old_model = apps.get_model("inventory", "ProcessedWebhook")
    received = timezone.now() - timedelta(days=3)
    with connection.schema_editor() as editor:
        editor.create_model(old_model)
    try:
        old_model.objects.create(source="wms", event_id="evt_old")
        old_model.objects.update(received_at=received)
        ProcessedWebhook.objects.create(source="wms", event_key="evt_new")
        with connection.schema_editor() as editor:
            move.copy_to_shop(apps, editor)
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(old_model)

    rows = dict(ProcessedWebhook.objects.values_list("event_key", "received_at"))
    assert set(rows) == {"evt_old", "evt_new"}
    assert rows["evt_old"] == received
    assert record_webhook_once("wms", "evt_old") is False


@pytest.mark.parametrize(
    "event_id",
    ["evt\u0000", "evt\ud800"],
    ids=["NUL", "lone surrogate"],
)
def test_text_the_database_cannot_store_is_a_400_not_a_500(variant, warehouse, event_id):
    raw = json.dumps(count_body(7, event_id=event_id)).encode()

    response = deliver(raw, sign(raw, secret=SECRET))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_text"
    assert not StockMovement.objects.filter(variant=variant).exists()


def test_a_body_over_the_upload_limit_is_a_json_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = json.dumps({**count_body(1), "padding": "x" * 2000}).encode()

    response = deliver(raw, sign(raw, secret=SECRET))

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
