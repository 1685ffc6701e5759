"""Every API.md test token's path, retries, reconciliation, capture/void/refund, cancellation
and unpaid-order expiry, through the real services and the dummy gateway."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory import services as inventory_services
from inventory.exceptions import InsufficientStock
from inventory.models import Reservation, StockLevel
from orders import providers, services
from orders.exceptions import InvalidAmount, InvalidOrderTransition
from orders.models import DummyCharge, Order, OrderStatus, PaymentStatus
from orders.providers.payments.base import GatewayTimeout
from orders.providers.payments.dummy import DummyGateway
from tests.factories.orders import checkout_ready_cart, place

pytestmark = pytest.mark.django_db
S, P = OrderStatus, PaymentStatus


def states(order):
    order = Order.objects.get(pk=order.pk)
    return order.status, order.payment_status


def reserved(variant):
    return StockLevel.objects.get(variant=variant).reserved


def event_types(order):
    return list(Order.objects.get(pk=order.pk).events.values_list("type", flat=True))


def test_declined_card_fails_the_payment_and_releases_stock(
    stocked, mailoutbox, django_capture_on_commit_callbacks
):
    cart = checkout_ready_cart(lines=[(stocked, 2)])

    with django_capture_on_commit_callbacks(execute=True):
        order = place(cart, "tok_declined")

    assert (order.status, order.payment_status) == (S.PAYMENT_FAILED, P.FAILED)
    assert reserved(stocked) == 0
    assert list(order.transactions.values_list("kind", "outcome")) == [("authorize", "declined")]
    assert event_types(order) == ["order.created", "payment.declined"]
    assert [m.subject for m in mailoutbox] == [
        f"Payment for order {order.reference} did not go through"
    ]


def test_decline_then_retry_with_a_good_card_places_the_order(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 2)]), "tok_declined")

    order = services.retry_payment(order=order, payment_token="tok_visa")

    assert (order.status, order.payment_status, order.payment_attempts) == (
        S.PLACED,
        P.AUTHORIZED,
        2,
    )
    assert reserved(stocked) == 2
    assert sorted(Reservation.objects.values_list("status", "quantity")) == [
        ("committed", 2),
        ("released", 2),
    ]
    assert event_types(order) == [
        "order.created",
        "payment.declined",
        "payment.retried",
        "payment.authorized",
    ]
    assert DummyCharge.objects.count() == 2


def test_retry_when_the_stock_is_gone_changes_nothing(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 2)]), "tok_declined")
    place(checkout_ready_cart(lines=[(stocked, 9)]))

    with pytest.raises(InsufficientStock):
        services.retry_payment(order=order, payment_token="tok_visa")

    assert states(order) == (S.PAYMENT_FAILED, P.FAILED)
    assert Order.objects.get(pk=order.pk).payment_attempts == 1
    assert reserved(stocked) == 9


def test_retry_is_only_for_failed_payments(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]))

    with pytest.raises(InvalidOrderTransition):
        services.retry_payment(order=order, payment_token="tok_visa")

    assert states(order) == (S.PLACED, P.AUTHORIZED)


def test_timeout_leaves_the_order_pending_with_its_stock_held(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 2)]), "tok_timeout")

    assert (order.status, order.payment_status) == (S.PENDING_PAYMENT, P.UNPAID)
    assert reserved(stocked) == 2
    assert list(order.transactions.values_list("outcome", flat=True)) == ["timeout"]
    assert event_types(order) == ["order.created", "payment.timed_out"]


def test_reconciliation_finds_the_timed_out_authorization_and_places(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 2)]), "tok_timeout")

    result = services.reconcile_payments(older_than=0)

    assert result.as_dict() == {"checked": 1, "placed": 1, "failed": 0, "still_pending": 0}
    assert states(order) == (S.PLACED, P.AUTHORIZED)
    assert list(Reservation.objects.values_list("status", "quantity")) == [("committed", 2)]
    assert DummyCharge.objects.count() == 1


def test_reconciliation_fails_an_attempt_the_gateway_never_saw(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 2)]), "tok_timeout_nocharge")

    result = services.reconcile_payments(older_than=0)

    assert result.as_dict() == {"checked": 1, "placed": 0, "failed": 1, "still_pending": 0}
    assert states(order) == (S.PAYMENT_FAILED, P.FAILED)
    assert reserved(stocked) == 0
    assert list(Order.objects.get(pk=order.pk).transactions.values_list("outcome", flat=True)) == [
        "timeout",
        "not_found",
    ]


def test_reconciliation_leaves_recent_attempts_alone(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_timeout_nocharge")

    result = services.reconcile_payments(older_than=300)

    assert result.checked == 0
    assert states(order) == (S.PENDING_PAYMENT, P.UNPAID)


def test_reconciliation_without_an_answer_keeps_waiting(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_timeout")

    class Unreachable(DummyGateway):
        def lookup(self, *, idempotency_key):
            raise GatewayTimeout("still down")

    with providers.override(payments=Unreachable()):
        result = services.reconcile_payments(older_than=0)

    assert result.as_dict() == {"checked": 1, "placed": 0, "failed": 0, "still_pending": 1}
    assert states(order) == (S.PENDING_PAYMENT, P.UNPAID)
    assert reserved(stocked) == 1


def test_settling_twice_is_a_no_op(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_timeout")
    services.reconcile_payments(older_than=0)

    services.reconcile_order_payment(order=order)

    assert event_types(order) == ["order.created", "payment.timed_out", "payment.authorized"]
    assert Order.objects.get(pk=order.pk).transactions.count() == 2


def test_risky_card_is_authorized_and_held_for_review(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_risky")

    # The gateway's own score stays on the order; the fraud check held it (test_fraud.py).
    assert (order.status, order.payment_status, order.risk_score) == (S.ON_HOLD, P.AUTHORIZED, 92)


def test_authorization_that_finds_the_stock_gone_is_voided_and_the_order_cancelled(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 4)]), "tok_timeout")
    Reservation.objects.filter(owner=order.public_id).update(expires_at=timezone.now())
    inventory_services.expire_reservations()
    place(checkout_ready_cart(lines=[(stocked, 10)]))  # someone buys every unit meanwhile

    services.reconcile_payments(older_than=0)

    assert states(order) == (S.CANCELLED, P.VOIDED)
    assert DummyCharge.objects.get(idempotency_key__startswith=order.public_id).status == "voided"
    assert reserved(stocked) == 10
    assert event_types(order)[-3:] == ["payment.authorized", "order.cancelled", "payment.voided"]


def test_capture_then_refunds(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]))  # 2500 + 599 + 4% = 3223

    order = services.capture_payment(order=order)
    assert (order.payment_status, order.captured_cents) == (P.CAPTURED, 3223)
    assert DummyCharge.objects.get().status == "captured"

    order = services.refund_payment(order=order, amount_cents=1000, reason="damaged")
    assert (order.payment_status, order.refunded_total_cents) == (P.PARTIALLY_REFUNDED, 1000)

    with pytest.raises(InvalidAmount):
        services.refund_payment(order=order, amount_cents=2224)
    assert Order.objects.get(pk=order.pk).refunded_total_cents == 1000

    order = services.refund_payment(order=order, amount_cents=2223)
    assert (order.payment_status, order.refunded_total_cents) == (P.REFUNDED, 3223)
    assert DummyCharge.objects.get().refunded_cents == 3223


def test_capture_twice_is_refused(stocked):
    order = services.capture_payment(order=place(checkout_ready_cart(lines=[(stocked, 1)])))

    with pytest.raises(InvalidOrderTransition):
        services.capture_payment(order=order)


@pytest.mark.parametrize("amount", [0, -1, 999_999, "10", True])
def test_capture_refuses_bad_amounts(stocked, amount):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]))

    with pytest.raises(InvalidAmount):
        services.capture_payment(order=order, amount_cents=amount)

    assert states(order) == (S.PLACED, P.AUTHORIZED)


def test_void_releases_the_authorization(stocked):
    order = services.void_payment(order=place(checkout_ready_cart(lines=[(stocked, 1)])))

    assert order.payment_status == P.VOIDED
    assert DummyCharge.objects.get().status == "voided"


def test_cancel_a_placed_order_voids_and_releases(
    stocked, mailoutbox, django_capture_on_commit_callbacks
):
    order = place(checkout_ready_cart(lines=[(stocked, 2)]))

    with django_capture_on_commit_callbacks(execute=True):
        order = services.cancel_order(order=order, reason="changed mind")

    assert (order.status, order.payment_status, order.cancel_reason) == (
        S.CANCELLED,
        P.VOIDED,
        "changed mind",
    )
    assert reserved(stocked) == 0
    assert DummyCharge.objects.get().status == "voided"
    assert [m.subject for m in mailoutbox][
        -1
    ] == f"Your order {order.reference} has been cancelled"


def test_cancel_a_captured_order_refunds_it(stocked):
    order = services.capture_payment(order=place(checkout_ready_cart(lines=[(stocked, 1)])))

    order = services.cancel_order(order=order, reason="out of stock")

    assert (order.status, order.payment_status, order.refunded_total_cents) == (
        S.CANCELLED,
        P.REFUNDED,
        3223,
    )


def test_cancel_a_pending_order_voids_what_the_gateway_did_authorize(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_timeout")

    order = services.cancel_order(order=order, reason="customer")

    assert (order.status, order.payment_status) == (S.CANCELLED, P.UNPAID)
    assert DummyCharge.objects.get().status == "voided"
    assert event_types(order)[-2:] == ["payment.authorized", "payment.voided"]
    assert reserved(stocked) == 0


def test_cancel_twice_is_refused(stocked):
    order = services.cancel_order(order=place(checkout_ready_cart(lines=[(stocked, 1)])))

    with pytest.raises(InvalidOrderTransition):
        services.cancel_order(order=order)


def _due(order):
    Order.objects.filter(pk=order.pk).update(
        payment_due_at=timezone.now() - timedelta(seconds=1),
        payment_attempted_at=timezone.now() - timedelta(hours=1),
    )


def test_unpaid_orders_expire_after_asking_the_gateway(stocked):
    never_charged = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_timeout_nocharge")
    charged = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_timeout")
    declined = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_declined")
    not_yet = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_timeout_nocharge")
    for order in (never_charged, charged, declined):
        _due(order)

    assert services.expire_unpaid_orders() == 2

    assert states(never_charged) == (S.CANCELLED, P.FAILED)
    assert states(charged) == (S.PLACED, P.AUTHORIZED)
    assert states(declined) == (S.CANCELLED, P.FAILED)
    assert states(not_yet) == (S.PENDING_PAYMENT, P.UNPAID)
    assert event_types(never_charged)[-1] == "checkout.expired"
    assert reserved(stocked) == 2  # the placed order and the one not yet due
