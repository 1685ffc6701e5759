"""Cancelling orders: by the customer or Operations, and automatically when left unpaid."""

from __future__ import annotations

from django.utils import timezone

from orders.exceptions import InvalidOrderTransition
from orders.models import UNPAID_STATUSES, Order, OrderStatus
from orders.services import payments, reconciliation, transitions
from orders.services.events import EventType


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
    payments.give_money_back(result.order)
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
        payments.give_money_back(result.order)
        cancelled += 1
    return cancelled
