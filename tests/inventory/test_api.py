import json
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from inventory import selectors
from inventory.models import StockLevel, StockMovement
from inventory.webhooks import sign
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock

pytestmark = pytest.mark.django_db

SECRET = "test-wms-secret"


@pytest.fixture
def ops_api(operations_user):
    client = APIClient()
    client.force_authenticate(operations_user)
    return client


@pytest.fixture
def stocked(variant, warehouse, us):
    stock(variant, warehouse, 10, safety_stock=1)
    return variant


def test_atp_shows_totals_and_locations(merchandiser_api, stocked, warehouse):
    response = merchandiser_api.get("/api/v1/inventory/atp", {"sku": "TEE-RED-M"})

    assert response.status_code == 200
    body = response.json()
    assert (body["sku"], body["atp"]) == ("TEE-RED-M", 9)
    assert body["locations"] == [
        {
            "location": "us-east",
            "on_hand": 10,
            "reserved": 0,
            "in_transit_out": 0,
            "in_transit_in": 0,
            "safety_stock": 1,
            "atp": 9,
            "synced_at": None,
        }
    ]


def test_atp_unknown_sku_or_location_is_400(merchandiser_api, stocked):
    unknown_sku = merchandiser_api.get("/api/v1/inventory/atp", {"sku": "NOPE"})
    unknown_loc = merchandiser_api.get(
        "/api/v1/inventory/atp", {"sku": "TEE-RED-M", "location": "ghost"}
    )

    assert (unknown_sku.status_code, unknown_sku.json()["code"]) == (400, "unknown_sku")
    assert (unknown_loc.status_code, unknown_loc.json()["code"]) == (400, "unknown_location")


def test_atp_needs_staff(api_client, customer, stocked):
    assert api_client.get("/api/v1/inventory/atp", {"sku": "TEE-RED-M"}).status_code == 401
    api_client.force_authenticate(customer)
    assert api_client.get("/api/v1/inventory/atp", {"sku": "TEE-RED-M"}).status_code == 403


WRITES = [
    ("post", "/api/v1/inventory/adjustments"),
    ("put", "/api/v1/inventory/levels"),
]
WRITE_BODY = {
    "sku": "TEE-RED-M",
    "location": "us-east",
    "delta": 1,
    "reason": "x",
    "as_of": "2030-01-01T00:00:00Z",
    "items": [{"sku": "TEE-RED-M", "on_hand": 1}],
}


@pytest.mark.parametrize(("method", "url"), WRITES)
def test_stock_writes_need_operations(
    api_client, customer, merchandiser_api, stocked, method, url
):
    anonymous = getattr(api_client, method)(url, WRITE_BODY, format="json")
    api_client.force_authenticate(customer)
    as_customer = getattr(api_client, method)(url, WRITE_BODY, format="json")
    as_merchandiser = getattr(merchandiser_api, method)(url, WRITE_BODY, format="json")

    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    assert (as_customer.status_code, as_customer.json()["code"]) == (403, "permission_denied")
    assert as_merchandiser.status_code == 403
    assert StockLevel.objects.get().on_hand == 10
    assert StockMovement.objects.count() == 1


def test_operations_adjusts_stock(ops_api, stocked):
    response = ops_api.post(
        "/api/v1/inventory/adjustments",
        {"sku": "TEE-RED-M", "location": "us-east", "delta": -3, "reason": "damaged"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("sku", "location", "kind", "delta", "on_hand_after")} == {
        "sku": "TEE-RED-M",
        "location": "us-east",
        "kind": "adjustment",
        "delta": -3,
        "on_hand_after": 7,
    }
    assert body["actor"] == "ops@example.com"
    assert StockLevel.objects.get().on_hand == 7


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"sku": "NOPE", "location": "us-east", "delta": 1, "reason": "x"}, 400, "unknown_sku"),
        (
            {"sku": "TEE-RED-M", "location": "x", "delta": 1, "reason": "x"},
            400,
            "unknown_location",
        ),
        (
            {"sku": "TEE-RED-M", "location": "us-east", "delta": 0, "reason": "x"},
            400,
            "invalid_quantity",
        ),  # noqa: E501
        (
            {"sku": "TEE-RED-M", "location": "us-east", "delta": 10**12, "reason": "x"},
            400,
            "invalid_quantity",
        ),  # noqa: E501
        (
            {"sku": "TEE-RED-M", "location": "us-east", "delta": 1.5, "reason": "x"},
            400,
            "validation_error",
        ),  # noqa: E501
        ({"sku": "TEE-RED-M", "location": "us-east", "delta": 1}, 400, "reason_required"),
        (
            {"sku": "TEE-RED-M", "location": "us-east", "delta": -11, "reason": "x"},
            409,
            "stock_below_reserved",
        ),  # noqa: E501
    ],
)
def test_bad_adjustments_are_refused_and_change_nothing(ops_api, stocked, body, status, code):
    response = ops_api.post("/api/v1/inventory/adjustments", body, format="json")

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert StockLevel.objects.get().on_hand == 10
    assert StockMovement.objects.count() == 1


def test_merchandiser_cannot_adjust(merchandiser_api, stocked):
    response = merchandiser_api.post(
        "/api/v1/inventory/adjustments",
        {"sku": "TEE-RED-M", "location": "us-east", "delta": 1, "reason": "x"},
        format="json",
    )

    assert response.status_code == 403


def test_levels_put_applies_counts_and_ignores_stale_ones(ops_api, stocked):
    now = timezone.now()
    body = {
        "location": "us-east",
        "as_of": now.isoformat(),
        "items": [{"sku": "TEE-RED-M", "on_hand": 12}],
    }  # noqa: E501

    fresh = ops_api.put("/api/v1/inventory/levels", body, format="json")
    stale = ops_api.put(
        "/api/v1/inventory/levels",
        {**body, "as_of": "2000-01-01T00:00:00Z", "items": [{"sku": "TEE-RED-M", "on_hand": 1}]},
        format="json",
    )

    assert fresh.status_code == 200 and fresh.json()["applied"] == ["TEE-RED-M"]
    assert stale.status_code == 200 and stale.json()["ignored"] == ["TEE-RED-M"]
    assert StockLevel.objects.get().on_hand == 12


def test_levels_put_with_duplicate_skus_is_400(ops_api, stocked):
    response = ops_api.put(
        "/api/v1/inventory/levels",
        {
            "location": "us-east",
            "as_of": timezone.now().isoformat(),
            "items": [{"sku": "TEE-RED-M", "on_hand": 1}, {"sku": "TEE-RED-M", "on_hand": 2}],
        },
        format="json",
    )

    assert (response.status_code, response.json()["code"]) == (400, "duplicate_sku")
    assert StockLevel.objects.get().on_hand == 10


def _webhook(body: dict, *, secret=SECRET, timestamp=None):
    raw = json.dumps(body).encode()
    return Client().post(
        "/webhooks/wms",
        raw,
        content_type="application/json",
        headers={"Emporium-Signature": sign(raw, secret=secret, timestamp=timestamp)},
    )


@pytest.fixture
def wms_body(stocked):
    VariantFactory(sku="TEE-BLUE-M")
    return {
        "event_id": "evt_1",
        "location": "us-east",
        "as_of": timezone.now().isoformat(),
        "items": [{"sku": "TEE-RED-M", "on_hand": 8}, {"sku": "TEE-BLUE-M", "on_hand": 3}],
    }


def test_signed_webhook_applies_counts_once(settings, wms_body):
    settings.WMS_WEBHOOK_SECRET = SECRET

    first = _webhook(wms_body)
    replay = _webhook({**wms_body, "items": [{"sku": "TEE-RED-M", "on_hand": 1}]})

    assert first.status_code == 200 and first.json()["applied"] == ["TEE-RED-M", "TEE-BLUE-M"]
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert dict(StockLevel.objects.values_list("variant__sku", "on_hand")) == {
        "TEE-RED-M": 8,
        "TEE-BLUE-M": 3,
    }


@pytest.mark.parametrize(
    ("secret", "age"), [("wrong-secret", 0), (SECRET, 301)], ids=["bad-signature", "too-old"]
)
def test_bad_webhook_signature_applies_nothing(settings, wms_body, secret, age):
    settings.WMS_WEBHOOK_SECRET = SECRET

    response = _webhook(wms_body, secret=secret, timestamp=int(time.time()) - age)

    assert (response.status_code, response.json()["code"]) == (400, "invalid_signature")
    assert StockLevel.objects.get(variant__sku="TEE-RED-M").on_hand == 10


def test_webhook_with_duplicate_skus_applies_nothing(settings, wms_body):
    settings.WMS_WEBHOOK_SECRET = SECRET
    wms_body["items"].append({"sku": "TEE-RED-M", "on_hand": 2})

    response = _webhook(wms_body)

    assert (response.status_code, response.json()["code"]) == (400, "duplicate_sku")
    assert StockLevel.objects.get(variant__sku="TEE-RED-M").on_hand == 10


def test_webhook_without_a_configured_secret_applies_nothing(settings, wms_body):
    settings.WMS_WEBHOOK_SECRET = ""  # production without WMS_WEBHOOK_SECRET

    response = _webhook(wms_body, secret="")

    assert (response.status_code, response.json()["code"]) == (400, "invalid_signature")
    assert StockLevel.objects.get(variant__sku="TEE-RED-M").on_hand == 10


def test_webhook_with_a_non_ascii_signature_is_400_not_500(settings, wms_body):
    settings.WMS_WEBHOOK_SECRET = SECRET
    raw = json.dumps(wms_body).encode()

    response = Client().post(
        "/webhooks/wms",
        raw,
        content_type="application/json",
        headers={"Emporium-Signature": f"t={int(time.time())},v1=\u00e9\u00e9"},
    )

    assert (response.status_code, response.json()["code"]) == (400, "invalid_signature")
    assert StockLevel.objects.get(variant__sku="TEE-RED-M").on_hand == 10


def test_webhook_payload_errors_have_the_api_error_shape(settings, wms_body):
    settings.WMS_WEBHOOK_SECRET = SECRET
    del wms_body["as_of"]

    response = _webhook(wms_body)

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "as_of: This field is required.",
        "fields": {"as_of": ["This field is required."]},
    }
    assert StockLevel.objects.get(variant__sku="TEE-RED-M").on_hand == 10


def _stock_everywhere(variant, n):
    for i in range(n):
        stock(variant, LocationFactory(code=f"dc-{i}"), 5 + i)


def test_atp_reads_take_the_same_few_queries_for_any_number_of_locations(
    merchandiser_api, variant, us, django_assert_num_queries
):
    _stock_everywhere(variant, 6)
    merchandiser_api.get("/api/v1/inventory/atp", {"sku": "TEE-RED-M"})  # permission cache

    with django_assert_num_queries(2):  # the variant, the levels with their locations
        total = merchandiser_api.get("/api/v1/inventory/atp", {"sku": "TEE-RED-M"})
    with django_assert_num_queries(3):  # + every named location at once
        some = merchandiser_api.get(
            "/api/v1/inventory/atp", {"sku": "TEE-RED-M", "location": ["dc-0", "dc-3", "dc-5"]}
        )

    assert total.json()["atp"] == sum(range(5, 11)) and len(total.json()["locations"]) == 6
    assert (some.json()["atp"], [loc["location"] for loc in some.json()["locations"]]) == (
        5 + 8 + 10,
        ["dc-0", "dc-3", "dc-5"],
    )


def test_levels_put_takes_the_same_queries_for_3_or_30_skus(ops_api, warehouse):
    skus = [VariantFactory(sku=f"BULK-{i}").sku for i in range(30)]

    def put(n, on_hand):
        body = {
            "location": "us-east",
            "as_of": timezone.now().isoformat(),
            "items": [{"sku": sku, "on_hand": on_hand} for sku in skus[:n]],
        }
        with CaptureQueriesContext(connection) as queries:
            response = ops_api.put("/api/v1/inventory/levels", body, format="json")
        assert response.status_code == 200 and len(response.json()["applied"]) == n
        return len(queries)

    put(30, 1)  # rows created, permissions cached
    few, many = put(3, 2), put(30, 3)

    assert few == many <= 12
    assert set(StockLevel.objects.values_list("on_hand", flat=True)) == {3}
    assert selectors.list_ledger_mismatches() == []
