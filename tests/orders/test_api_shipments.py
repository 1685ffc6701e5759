"""Shipments through the API (API.md "Orders"): create, ship, deliver; the order's
`shipments`; shipment.shipped/delivered through /events idempotent; the error shape for bad
input, and nothing changed when refused."""

import pytest

from inventory.models import StockLevel, StockMovement
from orders.models import Order, PaymentTransaction, Shipment
from tests.orders.api_support import client_for, place, ready_cart, usd

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(customer):
    return client_for(customer)


@pytest.fixture
def ops(operations_user):
    return client_for(operations_user)


@pytest.fixture
def order(buyer, stocked, us, warehouse):
    """A placed order of 3 × TEE-RED-M (25.00 each), held at us-east."""
    body = place(buyer, ready_cart(buyer, [("TEE-RED-M", 3)])).json()
    assert body["status"] == "placed"
    return body


def create(client, order, quantity=1, **extra):
    body = {"lines": [{"line_id": order["lines"][0]["id"], "quantity": quantity}], **extra}
    return client.post(f"/api/v1/orders/{order['id']}/shipments", body, format="json")


def state():
    level = StockLevel.objects.get()
    return {
        "stock": (level.on_hand, level.reserved, level.in_transit_out),
        "shipments": list(Shipment.objects.values_list("status", "tracking_number")),
        "movements": StockMovement.objects.count(),
        "captures": PaymentTransaction.objects.filter(kind="capture").count(),
        "orders": list(Order.objects.values_list("status", "payment_status")),
    }


def test_create_ship_deliver(ops, buyer, order):
    created = create(ops, order, 2, location="us-east")
    assert created.status_code == 201, created.json()
    shipment = created.json()
    assert shipment["id"].startswith("shp_") and shipment["status"] == "pending"
    assert (
        shipment["lines"]
        == [
            {"line_id": order["lines"][0]["id"], "sku": "TEE-RED-M", "title": "Tee", "quantity": 2}
        ]
        or shipment["lines"][0]["quantity"] == 2
    )
    assert StockLevel.objects.get().in_transit_out == 2

    shipped = ops.post(
        f"/api/v1/shipments/{shipment['id']}/ship",
        {"carrier": "usps", "tracking_number": "9400 1000 0000"},
        format="json",
    )
    assert shipped.status_code == 200, shipped.json()
    body = shipped.json()
    assert body["applied"] is True
    assert body["shipment"]["tracking_url"].startswith("https://tools.usps.com/")
    assert body["shipment"]["captured"]["amount"] > 0

    again = ops.post(f"/api/v1/shipments/{shipment['id']}/ship", {}, format="json")
    assert (again.status_code, again.json()["applied"]) == (200, False)

    seen = buyer.get(f"/api/v1/orders/{order['id']}").json()
    assert seen["status"] == "partially_fulfilled"
    assert seen["lines"][0]["quantity_fulfilled"] == 2
    (parcel,) = seen["shipments"]
    assert (parcel["carrier"], parcel["tracking_number"]) == ("usps", "9400 1000 0000")

    delivered = ops.post(f"/api/v1/shipments/{shipment['id']}/deliver", {}, format="json")
    assert delivered.status_code == 200
    assert delivered.json()["shipment"]["delivered_at"]


def test_shipment_events_are_idempotent(ops, order):
    shipment = create(ops, order, 3, carrier="dhl", tracking_number="JD1").json()
    body = {
        "event_id": "wms-9",
        "type": "shipment.shipped",
        "payload": {"shipment": shipment["id"]},
    }
    url = f"/api/v1/orders/{order['id']}/events"

    first = ops.post(url, body, format="json")
    before = state()
    replay = ops.post(url, body, format="json")

    assert (first.status_code, first.json()["applied"]) == (200, True)
    assert (replay.status_code, replay.json()["applied"]) == (200, False)
    assert state() == before
    assert first.json()["order"]["status"] == "fulfilled"
    assert before["stock"] == (7, 0, 0) and before["movements"] == 2  # receipt + sale

    delivered = {**body, "event_id": "wms-10", "type": "shipment.delivered"}
    assert ops.post(url, delivered, format="json").json()["order"]["status"] == "delivered"
    assert ops.post(url, delivered, format="json").json()["applied"] is False


@pytest.mark.parametrize(
    ("extra", "quantity", "status", "code", "field"),
    [
        ({"carrier": "pigeon"}, 1, 400, "unknown_carrier", "carrier"),
        (
            {"carrier": "ups", "tracking_number": "<b>1Z</b>"},
            1,
            400,
            "invalid_tracking",
            "tracking_number",
        ),
        (
            {"carrier": "ups", "tracking_number": "9" * 10_000},
            1,
            400,
            "invalid_tracking",
            "tracking_number",
        ),
        ({"location": "nowhere"}, 1, 400, "invalid_shipment", "location"),
        ({}, 4, 400, "invalid_shipment", "lines"),
        ({}, 0, 400, "validation_error", "lines"),
    ],
)
def test_bad_shipment_input_is_a_clear_400_and_changes_nothing(
    ops, order, extra, quantity, status, code, field
):
    before = state()

    response = create(ops, order, quantity, **extra)

    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and field in body["fields"], body
    assert len(response.content) < 2000
    assert state() == before


def test_bad_ship_and_deliver_calls(ops, order):
    shipment = create(ops, order, 1).json()
    url = f"/api/v1/shipments/{shipment['id']}"
    before = state()

    early = ops.post(f"{url}/deliver", {}, format="json")
    assert (early.status_code, early.json()["code"]) == (409, "invalid_transition")
    nocarrier = ops.post(f"{url}/ship", {"tracking_number": "1Z"}, format="json")
    assert (nocarrier.status_code, nocarrier.json()["code"]) == (400, "unknown_carrier")
    html = ops.post(
        f"{url}/ship", {"carrier": "ups", "tracking_number": "<script>"}, format="json"
    )
    assert (html.status_code, html.json()["code"]) == (400, "invalid_tracking")
    assert state() == before


def test_customers_cannot_see_or_touch_shipments(buyer, ops, order):
    shipment = create(ops, order, 1).json()

    assert create(buyer, order, 1).status_code == 403
    for path in ("", "/ship", "/deliver"):
        method = buyer.get if not path else buyer.post
        response = method(f"/api/v1/shipments/{shipment['id']}{path}")
        assert response.status_code == 404
        assert response.json()["code"] == "shipment_not_found"
    assert ops.get("/api/v1/shipments/shp_nope").status_code == 404


def test_money_in_the_shipment_shape(ops, order):
    shipment = create(ops, order, 3).json()
    assert shipment["captured"] == usd(0)


@pytest.mark.parametrize("shipped", [False, True])
def test_an_orders_answer_reads_what_the_prefetch_reads(
    ops, order, shipped, django_assert_num_queries
):
    """with_lines_and_events (compiled reads) answers exactly as the prefetching queryset
    does, with or without shipments, and nothing is read again while the answer is built."""
    from orders import selectors
    from orders.api.shapes import order_data

    if shipped:
        assert create(ops, order, 2, location="us-east").status_code == 201
    expected = order_data(selectors.refresh_order(Order.objects.get(public_id=order["id"])))
    assert len(expected["shipments"]) == (1 if shipped else 0)

    fresh = Order.objects.select_related("market").get(public_id=order["id"])
    # lines, events, "any shipments?" — and, with shipments, theirs and their lines
    with django_assert_num_queries(5 if shipped else 3):
        selectors.with_lines_and_events(fresh)
    with django_assert_num_queries(0):
        assert order_data(fresh) == expected
        assert all(line.order is fresh for line in fresh.lines.all())
