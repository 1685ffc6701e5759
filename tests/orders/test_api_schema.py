"""The orders API in the OpenAPI document: every operation, its statuses and the
Idempotency-Key header (the document as a whole validates in tests/shop/test_schema.py)."""

import pytest

pytestmark = pytest.mark.django_db

ORDERS_PATHS = {
    "/api/v1/carts": {"post"},
    "/api/v1/carts/{cart_id}": {"get"},
    "/api/v1/carts/{cart_id}/lines": {"post"},
    "/api/v1/carts/{cart_id}/lines/{line_id}": {"patch", "delete"},
    "/api/v1/carts/{cart_id}/coupons": {"post"},
    "/api/v1/carts/{cart_id}/coupons/{code}": {"delete"},
    "/api/v1/carts/{cart_id}/checkout": {"put"},
    "/api/v1/carts/{cart_id}/reprice": {"post"},
    "/api/v1/orders": {"get", "post"},
    "/api/v1/orders/{order_id}": {"get"},
    "/api/v1/orders/{order_id}/events": {"post"},
    "/api/v1/orders/{order_id}/cancel": {"post"},
    "/api/v1/payments": {"post"},
}


@pytest.fixture
def paths(api_client):
    return api_client.get("/api/schema/?format=json").json()["paths"]


def _statuses(paths, path, method):
    return sorted(paths[path][method]["responses"], key=int)


def test_every_orders_operation_is_documented(paths):
    documented = {p: set(paths.get(p, {})) - {"parameters"} for p in ORDERS_PATHS}

    assert documented == ORDERS_PATHS


def test_placing_and_paying_document_the_decline_and_need_a_key(paths):
    for path in ("/api/v1/orders", "/api/v1/payments"):
        operation = paths[path]["post"]
        assert "402" in operation["responses"], path
        (key,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert (key["in"], key["required"]) == ("header", True)
    assert _statuses(paths, "/api/v1/orders", "post") == [
        "201", "400", "401", "402", "403", "404", "409", "413", "415", "422", "429", "503"
    ]  # fmt: skip
    assert "502" in _statuses(paths, "/api/v1/payments", "post")


def test_order_reads_document_401_and_404(paths):
    assert {"401", "404"} <= set(_statuses(paths, "/api/v1/orders/{order_id}", "get"))
    assert {"400", "401", "404"} <= set(_statuses(paths, "/api/v1/orders", "get"))


def test_the_order_shape_names_its_timeline_fields(api_client):
    schemas = api_client.get("/api/schema/?format=json").json()["components"]["schemas"]

    assert set(schemas["OrderEvent"]["properties"]) == {
        "type", "from", "to", "payment_from", "payment_to", "actor", "at"
    }  # fmt: skip
    assert {"id", "status", "payment_status", "lines", "total", "refunded_total", "shipments",
            "events", "placed_at"} <= set(schemas["Order"]["properties"])  # fmt: skip
