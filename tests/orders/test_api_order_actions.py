"""Acting on an order through the API: events, cancel and payments, and who may do which."""

import pytest

from inventory.models import StockLevel
from orders.models import DummyCharge, Order, OrderEvent, PaymentTransaction
from shop.services import set_kill_switch
from tests.factories.shop import UserFactory
from tests.orders.api_support import client_for, footprint, new_key, place, ready_cart, usd

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(customer):
    return client_for(customer)


@pytest.fixture
def ops(operations_user):
    return client_for(operations_user)


@pytest.fixture
def finance(finance_user):
    return client_for(finance_user)


@pytest.fixture
def order(buyer, stocked, us):
    """A placed order of 2 × TEE-RED-M: 50.00 + 2.00 NY tax, shipping free."""
    body = place(buyer, ready_cart(buyer, [("TEE-RED-M", 2)])).json()
    assert body["status"] == "placed"
    return body


@pytest.fixture
def declined(buyer, stocked, us):
    body = place(buyer, ready_cart(buyer, [("TEE-RED-M", 1)]), "tok_declined").json()
    assert body["code"] == "payment_declined"
    return body["order_id"]


def post_event(client, order_id, event_id, type, payload=None):
    body = {"event_id": event_id, "type": type}
    if payload is not None:
        body["payload"] = payload
    return client.post(f"/api/v1/orders/{order_id}/events", body, format="json")


def pay(client, order_id, action, *, key=None, **fields):
    return client.post(
        "/api/v1/payments",
        {"order": order_id, "action": action, **fields},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or new_key(),
    )


# --- events ---------------------------------------------------------------------------


def test_an_event_applies_once_and_a_replay_answers_applied_false(ops, order):
    first = post_event(ops, order["id"], "wms-1", "shipment.shipped", {"carrier": "UPS"})

    assert first.status_code == 200
    assert first.json()["applied"] is True
    shipped = first.json()["order"]
    assert (shipped["status"], shipped["lines"][0]["quantity_fulfilled"]) == ("fulfilled", 2)
    assert shipped["events"][-1] == {
        "type": "shipment.shipped",
        "from": "placed",
        "to": "fulfilled",
        "payment_from": "authorized",
        "payment_to": "authorized",
        "actor": "staff",
        "at": shipped["events"][-1]["at"],
    }
    assert OrderEvent.objects.get(event_id="wms-1").payload["carrier"] == "UPS"

    again = post_event(ops, order["id"], "wms-1", "shipment.shipped", {"carrier": "UPS"})

    assert (again.status_code, again.json()) == (200, {"applied": False, "order": shipped})
    assert OrderEvent.objects.filter(event_id="wms-1").count() == 1


def test_an_event_not_allowed_now_is_409_and_changes_nothing(ops, order):
    post_event(ops, order["id"], "wms-1", "shipment.shipped")
    before = footprint()

    response = post_event(ops, order["id"], "ops-2", "fraud.approved")

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["status"]) == ("invalid_transition", "fulfilled")
    assert footprint() == before


def test_an_event_id_reused_for_another_type_is_409(ops, order):
    post_event(ops, order["id"], "e-1", "payment.captured")

    response = post_event(ops, order["id"], "e-1", "payment.voided")

    assert (response.status_code, response.json()["code"]) == (409, "event_id_reused")
    assert Order.objects.get().payment_status == "captured"


def test_captured_and_refunded_events_move_the_money_state(ops, order):
    captured = post_event(ops, order["id"], "pay-1", "payment.captured", {"amount": 5200})
    refunded = post_event(ops, order["id"], "pay-2", "refund.created", {"amount": 1200})

    assert captured.json()["order"]["payment_status"] == "captured"
    body = refunded.json()["order"]
    assert (body["payment_status"], body["refunded_total"]) == ("partially_refunded", usd(1200))


@pytest.mark.parametrize(
    "body",
    [
        {"event_id": "e", "type": "shipment.teleported"},
        {"event_id": "", "type": "shipment.shipped"},
        {"event_id": "e" * 129, "type": "shipment.shipped"},
        {"type": "shipment.shipped"},
        {"event_id": "e", "type": "refund.created", "payload": {"amount": "12"}},
        {"event_id": "e", "type": "refund.created", "payload": {"amount": 10**15}},
        {"event_id": "e", "type": "shipment.shipped", "payload": {"lines": 5}},
        {"event_id": "e", "type": "shipment.shipped", "payload": {"lines": [{"line_id": "x"}]}},
        {"event_id": "e", "type": "shipment.shipped", "payload": "all"},
    ],
)
def test_malformed_events_are_400(ops, order, body):
    before = footprint()

    response = ops.post(f"/api/v1/orders/{order['id']}/events", body, format="json")

    assert response.status_code == 400, response.json()
    assert footprint() == before


def test_shipping_an_unknown_line_is_400(ops, order):
    response = post_event(
        ops, order["id"], "e", "shipment.shipped", {"lines": [{"line_id": "oli_x", "quantity": 1}]}
    )

    assert (response.status_code, response.json()["code"]) == (400, "invalid_quantity")
    assert Order.objects.get().status == "placed"


def test_customers_cannot_post_events(buyer, order, stocked):
    before = footprint()

    own = post_event(buyer, order["id"], "e", "shipment.shipped")
    other = post_event(client_for(UserFactory()), order["id"], "e", "shipment.shipped")
    anonymous = post_event(client_for(), order["id"], "e", "shipment.shipped")

    assert (own.status_code, own.json()["code"]) == (403, "permission_denied")
    assert (other.status_code, other.json()["code"]) == (404, "order_not_found")
    assert anonymous.status_code == 401
    assert footprint() == before


# --- cancel ---------------------------------------------------------------------------


def test_the_customer_cancels_and_the_authorization_is_voided(buyer, order, stocked):
    response = buyer.post(f"/api/v1/orders/{order['id']}/cancel", {"reason": "oops"}, "json")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["payment_status"]) == ("cancelled", "voided")
    assert body["cancelled_at"] is not None
    assert [e["type"] for e in body["events"]][-2:] == ["order.cancelled", "payment.voided"]
    assert body["events"][-2]["actor"] == "customer"
    assert StockLevel.objects.get(variant=stocked).reserved == 0
    assert DummyCharge.objects.get().status == "voided"
    assert Order.objects.get().cancel_reason == "oops"


def test_cancelling_twice_or_after_shipping_is_409(buyer, ops, order):
    post_event(ops, order["id"], "wms-1", "shipment.shipped")

    response = buyer.post(f"/api/v1/orders/{order['id']}/cancel")

    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    assert Order.objects.get().status == "fulfilled"


def test_operations_cancel_any_order_finance_and_strangers_cannot(ops, finance, order):
    before = footprint()
    stranger = client_for(UserFactory()).post(f"/api/v1/orders/{order['id']}/cancel")
    refused = finance.post(f"/api/v1/orders/{order['id']}/cancel")

    assert (stranger.status_code, refused.status_code) == (404, 403)
    assert footprint() == before

    cancelled = ops.post(f"/api/v1/orders/{order['id']}/cancel")

    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert cancelled.json()["events"][-2]["actor"] == "staff"


# --- payments -------------------------------------------------------------------------


def test_the_customer_retries_a_declined_payment_with_another_card(buyer, declined, stocked):
    response = pay(buyer, declined, "authorize", token="tok_visa", key="retry-1")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["payment_status"]) == (
        declined,
        "placed",
        "authorized",
    )
    assert StockLevel.objects.get(variant=stocked).reserved == 1
    replay = pay(buyer, declined, "authorize", token="tok_visa", key="retry-1")
    assert (replay.json(), replay["Idempotent-Replayed"]) == (body, "true")
    assert DummyCharge.objects.filter(status="authorized").count() == 1


def test_a_retry_declined_again_is_402(buyer, declined, stocked):
    response = pay(buyer, declined, "authorize", token="tok_declined")

    assert (response.status_code, response.json()["code"]) == (402, "payment_declined")
    assert response.json()["order_id"] == declined
    assert StockLevel.objects.get(variant=stocked).reserved == 0


def test_a_retry_is_for_payment_failed_orders_only(buyer, order):
    response = pay(buyer, order["id"], "authorize", token="tok_visa")

    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


def test_a_retry_while_checkout_is_switched_off_is_503(buyer, declined):
    set_kill_switch(kind="checkout", is_off=True, reason="incident")
    before = footprint()

    response = pay(buyer, declined, "authorize", token="tok_visa")

    assert (response.status_code, response.json()["code"]) == (503, "checkout_disabled")
    assert footprint() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "token"),
        ({"token": "tok_visa", "amount": 100}, "amount"),
        ({"token": "t" * 65}, "token"),
    ],
)
def test_a_malformed_retry_is_400(buyer, declined, fields, field):
    response = pay(buyer, declined, "authorize", **fields)

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_others_cannot_touch_a_customers_payment(declined, ops):
    stranger = pay(client_for(UserFactory()), declined, "authorize", token="tok_visa")
    anonymous = pay(client_for(), declined, "authorize", token="tok_visa")

    assert (stranger.status_code, stranger.json()["code"]) == (404, "order_not_found")
    assert anonymous.status_code == 401
    assert Order.objects.get().status == "payment_failed"


def test_operations_capture_in_full_or_in_part(ops, order):
    response = pay(ops, order["id"], "capture", amount={"amount": 5000, "currency": "USD"})

    assert response.status_code == 200
    assert response.json()["payment_status"] == "captured"
    assert Order.objects.get().captured_cents == 5000
    assert list(PaymentTransaction.objects.values_list("kind", "amount_cents")) == [
        ("authorize", 5200),
        ("capture", 5000),
    ]


@pytest.mark.parametrize(
    "amount",
    [0, -5, 5201, "5000", {"amount": 5000, "currency": "EUR"}, {"amount": 5000}, 10**13, True],
)
def test_a_bad_capture_amount_is_400(ops, order, amount):
    response = pay(ops, order["id"], "capture", amount=amount)

    assert response.status_code == 400, response.json()
    assert Order.objects.get().payment_status == "authorized"


def test_only_operations_capture_or_void(buyer, finance, order):
    for client in (buyer, finance):
        for action in ("capture", "void"):
            response = pay(client, order["id"], action)
            assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert Order.objects.get().payment_status == "authorized"


def test_operations_void_an_authorization(ops, order):
    response = pay(ops, order["id"], "void")

    assert (response.status_code, response.json()["payment_status"]) == (200, "voided")
    assert DummyCharge.objects.get().status == "voided"


def test_finance_refunds_a_capture_operations_cannot(ops, finance, order):
    pay(ops, order["id"], "capture")

    refused = pay(ops, order["id"], "refund", amount=200)
    part = pay(finance, order["id"], "refund", amount=200)
    rest = pay(finance, order["id"], "refund")

    assert refused.status_code == 403
    assert (part.json()["payment_status"], part.json()["refunded_total"]) == (
        "partially_refunded",
        usd(200),
    )
    assert (rest.json()["payment_status"], rest.json()["refunded_total"]) == (
        "refunded",
        usd(5200),
    )
    assert pay(finance, order["id"], "refund").json()["code"] == "invalid_transition"


def test_refunding_an_uncaptured_order_is_409(finance, order):
    response = pay(finance, order["id"], "refund", amount=100)

    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


def test_payments_need_an_idempotency_key(ops, order):
    response = ops.post(
        "/api/v1/payments", {"order": order["id"], "action": "capture"}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (400, "idempotency_key_required")
    assert Order.objects.get().payment_status == "authorized"
