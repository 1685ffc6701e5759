"""Cancelling orders: by the customer or Operations, and automatically when left unpaid."""

from __future__ import annotations

from django.utils import timezone

from orders import providers
from orders.exceptions import InvalidOrderTransition
from orders.models import UNPAID_STATUSES, Order, OrderStatus, PaymentStatus
from orders.services import payments, reconciliation, transitions
from orders.services.events import EventType, record_note


def cancel_order(
    *, order: Order, actor=None, reason: str = "", event_id: str | None = None
) -> Order:
    """Cancel an order nothing of which has shipped, release its stock, give the money back.

    pending_payment, payment_failed or placed -> cancelled. Then, outside the lock: an
    authorization is voided, a capture refunded, an attempt of unknown outcome looked up
    (and voided if it went through). E-mails the customer after commit. Raises
    InvalidOrderTransition. Call outside any transaction (gateway calls follow).
    """
    result = transitions.mark_order_cancelled(
        order=order, actor=actor, reason=reason, event_id=event_id
    )
    give_money_back(result.order)
    return Order.objects.get(pk=order.pk)


def expire_unpaid_orders(*, now=None, limit: int = 500) -> int:
    """Cancel orders still unpaid after their market's limit (`payment_due_at`); returns how many.

    A pending order's gateway is asked first, so an authorization that did go through
    places the order instead. Safe to run anywhere, any number of times.
    """
    moment = now or timezone.now()
    due = Order.objects.filter(status__in=UNPAID_STATUSES, payment_due_at__lte=moment).order_by(
        "payment_due_at"
    )[:limit]
    cancelled = 0
    for order in due:
        if order.status == OrderStatus.PENDING_PAYMENT and order.payment_attempts:
            order = reconciliation.reconcile_order_payment(order=order, source="expiry")
            if order.status != OrderStatus.PAYMENT_FAILED:
                continue  # paid after all, or the gateway did not answer: next run asks again
        try:
            result = transitions.mark_order_cancelled(
                order=order,
                reason="unpaid",
                event_type=EventType.CHECKOUT_EXPIRED,
                actor_label="system",
            )
        except InvalidOrderTransition:
            continue  # paid or cancelled meanwhile
        give_money_back(result.order)
        cancelled += 1
    return cancelled


def give_money_back(order: Order) -> None:
    """After a cancellation: void an authorization, refund a capture, or — when an attempt's
    outcome was never known — ask the gateway and void what it authorized."""
    order = Order.objects.get(pk=order.pk)
    if order.status != OrderStatus.CANCELLED:
        return
    if order.lines.filter(quantity_fulfilled__gt=0).exists():
        # Part of it shipped: what to capture or refund is Finance's call, not a formula's.
        record_note(
            order=order,
            type="payment.review_required",
            actor_label="system",
            event_id=f"{order.public_id}:cancel-review",
            payload={"reason": "cancelled after a partial shipment"},
        )
        return
    if order.payment_status == PaymentStatus.AUTHORIZED:
        payments.void_at_gateway(
            order, reference=payments.authorized_reference(order), reason="order cancelled"
        )
    elif order.payment_status in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED):
        payments.refund_payment(
            order=order,
            amount_cents=order.captured_cents - order.refunded_total_cents,
            reason="order cancelled",
        )
    elif order.payment_status == PaymentStatus.UNPAID and order.payment_attempts:
        try:
            found = providers.gateway_named(order.payment_gateway).lookup(
                idempotency_key=payments.attempt_key(order)
            )
        except payments.GATEWAY_TROUBLE:
            return  # the answer may still come: settle_authorization voids a late approval
        if found is not None:
            payments.settle_authorization(
                order=order,
                idempotency_key=payments.attempt_key(order),
                result=found,
                source="cancellation",
            )
