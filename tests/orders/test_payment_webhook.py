"""POST /webhooks/payments/{gateway} (API.md "Webhooks"): signed, applied once, the payload of
an authorization never trusted, the shop's own captures never counted twice."""

import json
import time

import pytest
from django.test import Client

from orders import services
from orders.models import Order, OrderEvent, OrderStatus, PaymentStatus
from orders.providers.payments.dummy import DummyGateway
from shop.webhooks import sign
from tests.factories.orders import checkout_ready_cart, place

pytestmark = pytest.mark.django_db
S, P = OrderStatus, PaymentStatus
SECRET = "test-payment-webhook-secret"
URL = "/webhooks/payments/dummy"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.PAYMENT_WEBHOOK_SECRET = SECRET


def deliver(event, *, url=URL, secret=SECRET, timestamp=None, raw=None):
    body = raw if raw is not None else json.dumps(event).encode()
    return Client().post(
        url,
        body,
        content_type="application/json",
        headers={"Emporium-Signature": sign(body, secret=secret, timestamp=timestamp)},
    )


def states(order):
    order = Order.objects.get(pk=order.pk)
    return order.status, order.payment_status


def events(order):
    return list(OrderEvent.objects.filter(order=order).values_list("type", flat=True))


@pytest.fixture
def captured_order(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]))
    return services.capture_payment(order=order)


def test_a_chargeback_notice_disputes_the_order_once_however_often_it_arrives(captured_order):
    notice = {"id": "evt_dp_1", "type": "chargeback.notice", "order": captured_order.public_id}

    first, again = deliver(notice), deliver(notice)

    assert first.status_code == 200, first.content
    assert first.json() == {
        "applied": True,
        "ignored": False,
        "order": captured_order.public_id,
        "status": "placed",
        "payment_status": "disputed",
    }
    assert again.status_code == 200
    assert again.json()["applied"] is False
    assert events(captured_order).count("chargeback.notice") == 1
    event = OrderEvent.objects.get(order=captured_order, type="chargeback.notice")
    assert event.event_id == "dummy:evt_dp_1"


def test_a_lost_dispute_after_the_notice_is_a_chargeback(captured_order):
    deliver({"id": "evt_1", "type": "chargeback.notice", "order": captured_order.public_id})

    response = deliver(
        {"id": "evt_2", "type": "chargeback.lost", "order": captured_order.public_id}
    )

    assert response.status_code == 200
    assert states(captured_order) == (S.PLACED, P.CHARGEBACK)


def test_the_gateways_echo_of_the_shops_own_capture_is_not_counted_twice(captured_order):
    before = events(captured_order)

    response = deliver(
        {"id": "evt_cap", "type": "payment.captured", "order": captured_order.public_id}
    )

    assert response.status_code == 200
    assert response.json()["applied"] is False
    assert events(captured_order) == before
    assert states(captured_order) == (S.PLACED, P.CAPTURED)


def test_a_capture_made_at_the_gateway_is_recorded(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]))

    response = deliver(
        {
            "id": "evt_cap",
            "type": "payment.captured",
            "order": order.public_id,
            "data": {"amount": order.total_cents},
        }
    )

    assert response.status_code == 200, response.content
    assert response.json()["applied"] is True
    order.refresh_from_db()
    assert (order.payment_status, order.captured_cents) == (P.CAPTURED, order.total_cents)


def test_an_authorization_after_a_timeout_is_settled_by_asking_the_gateway(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_timeout")
    assert states(order) == (S.PENDING_PAYMENT, P.UNPAID)

    # The payload claims nothing the shop believes: the gateway is asked by idempotency key.
    response = deliver({"id": "evt_auth", "type": "payment.authorized", "order": order.public_id})

    assert response.status_code == 200, response.content
    assert response.json()["applied"] is True
    assert states(order) == (S.PLACED, P.AUTHORIZED)


def test_a_forged_authorization_for_a_payment_the_gateway_never_saw_changes_nothing(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_timeout_nocharge")

    response = deliver({"id": "evt_auth", "type": "payment.authorized", "order": order.public_id})

    assert response.status_code == 200
    assert response.json()["applied"] is False
    # Not failed either: a webhook alone never fails a payment; reconciliation decides.
    assert states(order) == (S.PENDING_PAYMENT, P.UNPAID)


def test_types_the_shop_does_not_act_on_are_acknowledged_and_ignored(captured_order):
    before = events(captured_order)

    response = deliver(
        {
            "id": "evt_r",
            "type": "refund.created",
            "order": captured_order.public_id,
            "data": {"amount": 100},
        }
    )

    assert response.status_code == 200
    assert response.json()["ignored"] is True
    assert events(captured_order) == before
    assert Order.objects.get(pk=captured_order.pk).refunded_total_cents == 0


@pytest.mark.parametrize(
    ("signature_of", "timestamp"),
    [("wrong-secret", None), (SECRET, int(time.time()) - 301)],
    ids=["wrong secret", "older than 300 s"],
)
def test_a_bad_or_stale_signature_is_a_400_and_changes_nothing(
    captured_order, signature_of, timestamp
):
    event = {"id": "evt_x", "type": "chargeback.notice", "order": captured_order.public_id}

    response = deliver(event, secret=signature_of, timestamp=timestamp)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert states(captured_order) == (S.PLACED, P.CAPTURED)


def test_no_signature_is_a_400(captured_order):
    response = Client().post(URL, b"{}", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"


def test_without_a_configured_secret_every_call_is_refused(settings, captured_order):
    settings.PAYMENT_WEBHOOK_SECRET = ""
    event = {"id": "evt_x", "type": "chargeback.notice", "order": captured_order.public_id}

    response = deliver(event, secret="")

    assert response.status_code == 400
    assert states(captured_order) == (S.PLACED, P.CAPTURED)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"not json", "malformed_request"),
        (b"[" * 5000 + b"]" * 5000, "malformed_request"),
        (b'{"id": "e\\u0000", "type": "chargeback.notice", "order": "ord_x"}', "invalid_text"),
        (b'{"id": "e", "type": "chargeback.notice", "order": "ord_\\u0000"}', "invalid_text"),
        (b'{"id": "e", "type": "x", "order": "o", "data": {"k": "\\ud800"}}', "invalid_text"),
        (b'{"id": NaN}', "malformed_request"),
        (b"[]", "unknown_event_type"),
        (b'{"id": "", "type": "chargeback.notice", "order": "ord_x"}', "unknown_event_type"),
        (b'{"id": "e", "type": 5, "order": "ord_x"}', "unknown_event_type"),
        (b'{"id": "' + b"e" * 101 + b'", "type": "x", "order": "ord_x"}', "unknown_event_type"),
    ],
    ids=[
        "not json",
        "deep",
        "NUL in id",
        "NUL in order",
        "lone surrogate",
        "NaN",
        "a list",
        "empty id",
        "type not text",
        "id too long",
    ],
)
def test_a_malformed_event_is_a_clear_400(raw, code):
    response = deliver(None, raw=raw)

    assert response.status_code == 400
    assert response.json()["code"] == code


def test_an_unknown_order_or_gateway_is_a_json_404(captured_order):
    unknown_order = deliver({"id": "e", "type": "chargeback.notice", "order": "ord_nope"})
    unknown_gateway = deliver(
        {"id": "e", "type": "chargeback.notice", "order": captured_order.public_id},
        url="/webhooks/payments/stripe",
    )

    assert (unknown_order.status_code, unknown_order.json()["code"]) == (404, "order_not_found")
    assert (unknown_gateway.status_code, unknown_gateway.json()["code"]) == (404, "not_found")


def test_a_report_that_does_not_fit_the_order_is_a_409(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]))  # authorized, not captured

    response = deliver({"id": "e", "type": "chargeback.won", "order": order.public_id})

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert states(order) == (S.PLACED, P.AUTHORIZED)


def test_only_post_is_allowed():
    assert Client().get(URL).status_code == 405


def test_a_body_over_the_upload_limit_is_a_json_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = deliver(None, raw=b'{"id": "' + b"e" * 2000 + b'"}')

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_the_gateways_report_arriving_while_the_shop_records_its_capture_counts_once(
    stocked, monkeypatch
):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]))
    real_capture = DummyGateway.capture

    def capture_then_webhook(self, **kwargs):
        result = real_capture(self, **kwargs)
        # The gateway's webhook is faster than the shop's own bookkeeping of the answer.
        report = {"id": "evt_early", "type": "payment.captured", "order": order.public_id}
        assert deliver(report).json()["applied"] is True
        return result

    monkeypatch.setattr(DummyGateway, "capture", capture_then_webhook)

    captured = services.capture_payment(order=order)

    assert (captured.payment_status, captured.captured_cents) == (P.CAPTURED, order.total_cents)
    assert events(order).count("payment.captured") == 1
    assert list(captured.transactions.values_list("kind", flat=True)) == ["authorize", "capture"]
