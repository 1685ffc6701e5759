"""Reconciliation: ask the gateway, by idempotency key, what became of payment attempts that
got no answer, and settle them (ARCHITECTURE.md "Payment timeout")."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.utils import timezone

from orders import conf, providers
from orders.models import Order, OrderStatus
from orders.providers.payments.base import GatewayResult
from orders.services.payments import GATEWAY_TROUBLE, attempt_key, settle_authorization

S = OrderStatus


@dataclass
class ReconcileResult:
    checked: int = 0
    placed: int = 0
    failed: int = 0
    still_pending: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def reconcile_order_payment(
    *, order: Order, source: str = "reconciliation", not_found_fails: bool = True
) -> Order:
    """Ask the gateway what became of the order's current attempt and settle it.

    Not found at the gateway counts as failed (stock released): the attempt is old enough
    that it would have arrived. With `not_found_fails` False (the gateway's webhook, which
    may come early or be forged), not found leaves it pending for reconciliation. No answer
    leaves it pending.
    """
    key = attempt_key(order)
    try:
        found = providers.gateway_named(order.payment_gateway).lookup(idempotency_key=key)
    except GATEWAY_TROUBLE:
        return order
    if found is None:
        if not not_found_fails:
            return order
        found = GatewayResult(
            approved=False,
            decline_code="not_found",
            status="not_found",
            message="The payment provider has no such authorization.",
        )
    return settle_authorization(order=order, idempotency_key=key, result=found, source=source)


def reconcile_payments(
    *, older_than: int | timedelta | None = None, now=None, limit: int = 500
) -> ReconcileResult:
    """Settle every order whose payment attempt has waited longer than `older_than`
    (default 5 minutes) by asking the gateway by idempotency key. Safe to run anywhere."""
    if older_than is None:
        older_than = conf.DEFAULT_RECONCILE_AFTER_SECONDS
    if not isinstance(older_than, timedelta):
        older_than = timedelta(seconds=older_than)
    cutoff = (now or timezone.now()) - older_than
    summary = ReconcileResult()
    waiting = Order.objects.filter(
        status=S.PENDING_PAYMENT, payment_attempted_at__lte=cutoff
    ).order_by("payment_attempted_at")[:limit]
    for order in waiting:
        summary.checked += 1
        order = reconcile_order_payment(order=order)
        if order.status == S.PENDING_PAYMENT:
            summary.still_pending += 1
        elif order.status == S.PAYMENT_FAILED:
            summary.failed += 1
        else:
            summary.placed += 1
    return summary
