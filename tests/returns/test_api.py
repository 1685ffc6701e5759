"""Returns API wiring (API.md "Returns"): who may do what, the error shape, the label."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from orders.models import Order, PaymentStatus
from returns.models import ReturnPolicy
from tests.factories.shop import UserFactory
from tests.returns.conftest import deliver

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def manual(us):
    return ReturnPolicy.objects.create(market=us, auto_approve=False)


def body(order, qty=2, reason="doesnt_fit"):
    line = order.lines.order_by("pk").first()
    return {
        "order": order.public_id,
        "lines": [{"line_id": line.public_id, "quantity": qty, "reason": reason}],
    }


def test_customer_returns_and_staff_work_it_through_to_a_finance_refund(
    delivered, manual, customer, operations_user, finance_user
):
    me = client_for(customer)
    created = me.post("/api/v1/returns", body(delivered), format="json")
    assert created.status_code == 201, created.json()
    rma = created.json()
    assert rma["id"].startswith("rma_") and rma["status"] == "requested"
    assert rma["refund_estimate"] == {"amount": 2080, "currency": "USD"}
    url = f"/api/v1/returns/{rma['id']}"
    line_id = rma["lines"][0]["line_id"]

    ops, finance = client_for(operations_user), client_for(finance_user)
    assert me.post(f"{url}/approve").status_code == 403
    assert ops.post(f"{url}/approve", {"message": "OK"}, format="json").json()["status"] == (
        "approved"
    )
    label = me.get(f"{url}/label")
    assert label.status_code == 200 and label["Content-Type"] == "application/pdf"
    assert label.content.startswith(b"%PDF")
    assert ops.post(f"{url}/receive", {}, format="json").json()["status"] == "received"
    inspected = ops.post(
        f"{url}/inspect",
        {"lines": [{"line_id": line_id, "disposition": "resell", "location": "us-east"}]},
        format="json",
    )
    assert inspected.json()["status"] == "inspected"

    refused = ops.post(f"{url}/refund")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    refunded = finance.post(f"{url}/refund")
    assert refunded.status_code == 200
    assert refunded.json()["status"] == "refunded"
    assert refunded.json()["refund"] == {"amount": 2080, "currency": "USD"}
    assert finance.post(f"{url}/refund").json()["refund"]["amount"] == 2080  # once
    order = Order.objects.get(pk=delivered.pk)
    assert (order.refunded_total_cents, order.payment_status) == (
        2080,
        PaymentStatus.PARTIALLY_REFUNDED,
    )
    assert [e["type"] for e in me.get(url).json()["events"]] == [
        "requested",
        "approved",
        "received",
        "inspected",
        "refunded",
    ]


def test_others_see_404_and_merchandisers_see_no_returns(
    delivered, manual, customer, merchandiser
):
    rma = client_for(customer).post("/api/v1/returns", body(delivered), format="json").json()
    stranger = client_for(UserFactory(email="stranger@example.com"))

    for client in (stranger, client_for(merchandiser)):
        answer = client.get(f"/api/v1/returns/{rma['id']}")
        assert answer.status_code == 404 and answer.json()["code"] == "return_not_found"
        assert client.get("/api/v1/returns").json()["count"] == 0
    taken = stranger.post("/api/v1/returns", body(delivered), format="json")
    assert taken.status_code == 404
    assert client_for(customer).get("/api/v1/returns").json()["count"] == 1


@pytest.mark.parametrize(
    ("qty", "reason", "status", "code"),
    [
        (0, "damaged", 400, "invalid_return_lines"),
        (-1, "damaged", 400, "invalid_return_lines"),
        (3, "damaged", 422, "quantity_exceeds_returnable"),
        (1, "bored", 400, "validation_error"),
    ],
)
def test_bad_requests_get_the_error_shape(delivered, manual, customer, qty, reason, status, code):
    answer = client_for(customer).post(
        "/api/v1/returns", body(delivered, qty, reason), format="json"
    )

    assert answer.status_code == status and answer.json()["code"] == code
    assert "detail" in answer.json()


def test_expired_window_is_422(placed, manual, customer):
    order = deliver(placed, delivered_at=timezone.now() - dt.timedelta(days=32))

    answer = client_for(customer).post("/api/v1/returns", body(order), format="json")

    assert answer.status_code == 422 and answer.json()["code"] == "return_window_expired"


def test_undelivered_order_is_422(placed, manual, customer):
    answer = client_for(customer).post("/api/v1/returns", body(placed), format="json")

    assert answer.status_code == 422 and answer.json()["code"] == "order_not_returnable"


def test_inspection_without_disposition_is_400_and_changes_nothing(
    delivered, manual, customer, operations_user
):
    rma = client_for(customer).post("/api/v1/returns", body(delivered), format="json").json()
    url = f"/api/v1/returns/{rma['id']}"
    ops = client_for(operations_user)
    ops.post(f"{url}/approve")
    ops.post(f"{url}/receive", {}, format="json")

    empty = ops.post(f"{url}/inspect", {"lines": []}, format="json")
    unknown = ops.post(
        f"{url}/inspect",
        {"lines": [{"line_id": rma["lines"][0]["line_id"], "disposition": "burn"}]},
        format="json",
    )

    assert (empty.status_code, unknown.status_code) == (400, 400)
    assert ops.get(url).json()["status"] == "received"


def test_gateway_failure_on_refund_is_502_and_the_rma_stays_inspected(
    delivered, manual, customer, operations_user, finance_user
):
    from unittest import mock

    from orders.providers.payments.base import GatewayError
    from orders.providers.payments.dummy import DummyGateway

    rma = client_for(customer).post("/api/v1/returns", body(delivered), format="json").json()
    url = f"/api/v1/returns/{rma['id']}"
    ops, finance = client_for(operations_user), client_for(finance_user)
    ops.post(f"{url}/approve")
    ops.post(f"{url}/receive", {}, format="json")
    line_id = rma["lines"][0]["line_id"]
    ops.post(
        f"{url}/inspect", {"lines": [{"line_id": line_id, "disposition": "scrap"}]}, format="json"
    )

    with mock.patch.object(DummyGateway, "refund", side_effect=GatewayError("card closed")):
        failed = finance.post(f"{url}/refund")

    assert failed.status_code == 502 and failed.json()["code"] == "payment_failed"
    after = finance.get(url).json()
    assert after["status"] == "inspected" and "card closed" in after["refund_error"]
    assert Order.objects.get(pk=delivered.pk).refunded_total_cents == 0
    retried = finance.post(f"{url}/refund")
    assert retried.json()["status"] == "refunded" and retried.json()["refund_error"] == ""


def test_operations_open_a_return_for_a_guest_order(variants, manual, operations_user):
    from tests.factories.orders import checkout_ready_cart, place

    guest_order = deliver(place(checkout_ready_cart(lines=[(variants[0], 2)])))

    answer = client_for(operations_user).post(
        "/api/v1/returns", body(guest_order, 1, "damaged"), format="json"
    )

    assert answer.status_code == 201 and answer.json()["status"] == "requested"
