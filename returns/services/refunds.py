"""Give the money back for a return: computed per line, issued once through the gateway.

The refund is claimed under the RMA lock, issued outside any lock through
orders.services.refund_payment with the RMA's own idempotency key (a double click or a retry
after a timeout refunds once: the gateway and the order both dedupe on that key), then
recorded: order lines counted as returned (rma.completed), the RMA refunded, the customer
e-mailed and the tax provider told, after commit. A failure leaves the RMA where it was with
the error on it; retrying is safe.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from orders import services as order_services
from orders.exceptions import InvalidAmount, InvalidOrderTransition, PaymentFailed
from orders.models import Order
from returns import rules
from returns.exceptions import InvalidReturnTransition, RefundInProgress
from returns.models import (
    RefundTiming,
    ReturnNotificationKind,
    ReturnRequest,
    ReturnStatus,
)
from returns.services._common import lock_rma, queue_notification, record_event, transition
from shop import jobs

# A claim older than this belongs to a process that died mid-refund: a retry may take over
# (the idempotency key keeps the gateway from paying twice).
CLAIM_TIMEOUT = timedelta(minutes=2)


def refund_key(rma: ReturnRequest) -> str:
    return f"{rma.public_id}:refund"


def compute_refund(rma: ReturnRequest) -> rules.RefundBreakdown:
    """What refunding `rma` gives back now, line by line, capped at captured - refunded."""
    order = Order.objects.get(pk=rma.order_id)
    policy = rules.policy_for_market(rma.market)
    breakdown = rules.RefundBreakdown(currency=rma.currency)
    back = {}
    for line in rma.lines.select_related("order_line"):
        units = line.received_quantity or 0
        if not units:
            continue
        ol = line.order_line
        back[ol.pk] = units
        paid = rules.units_share(ol, ol.quantity_returned, units)
        fee = rules.restocking_fee(policy, line.reason, paid, units)
        breakdown.lines.append(
            rules.LineRefund(ol.public_id, ol.sku, line.reason, units, paid, fee)
        )
    left = sum(
        ol.quantity_fulfilled - ol.quantity_returned - back.get(ol.pk, 0)
        for ol in order.lines.all()
    )
    if policy.refund_original_shipping and back and left == 0:
        breakdown.shipping_cents = rules.original_shipping_cents(order)
    breakdown.label_cents = rma.label_cost_cents
    breakdown.available_cents = order.captured_cents - order.refunded_total_cents
    return breakdown


def refundable_now(rma: ReturnRequest) -> bool:
    """Inspected, or received where the market refunds on receipt; not refunded yet."""
    if rma.refund_issued_at is not None:
        return False
    if rma.status == ReturnStatus.INSPECTED:
        return True
    timing = rules.policy_for_market(rma.market).refund_timing
    return rma.status == ReturnStatus.RECEIVED and timing == RefundTiming.ON_RECEIPT


def _claim(rma: ReturnRequest) -> tuple[ReturnRequest, bool]:
    """Lock, check and claim the refund; (rma, False) when it was issued already."""
    with transaction.atomic():
        rma = lock_rma(rma)
        if rma.refund_issued_at is not None:
            return rma, False
        if not refundable_now(rma):
            raise InvalidReturnTransition(rma=rma, action="refunded")
        now = timezone.now()
        if rma.refund_started_at and now - rma.refund_started_at < CLAIM_TIMEOUT:
            raise RefundInProgress("This return's refund is being issued; try again shortly.")
        if rma.refund_cents is None:  # first attempt: a retry pays what the first one asked
            breakdown = compute_refund(rma)
            rma.refund_cents = breakdown.total_cents
            rma.refund_breakdown = breakdown.as_dict()
        rma.refund_started_at = now
        rma.save(update_fields=["refund_cents", "refund_breakdown", "refund_started_at"])
        return rma, True


def refund_return(*, rma: ReturnRequest, actor=None) -> ReturnRequest:
    """Refund `rma` (Finance): inspected -> refunded (or, refunding on receipt, the money
    goes while it is received). Call outside any transaction.

    Raises InvalidReturnTransition, RefundInProgress (another click is issuing it),
    PaymentFailed / InvalidAmount (the RMA keeps its status and shows the error). A refund
    issued already returns the RMA unchanged.
    """
    rma, claimed = _claim(rma)
    if not claimed:
        return rma
    if rma.refund_cents:
        try:
            order_services.refund_payment(
                order=rma.order,
                amount_cents=rma.refund_cents,
                actor=actor,
                reason=f"return {rma.reference}",
                idempotency_key=refund_key(rma),
            )
        except (PaymentFailed, InvalidAmount, InvalidOrderTransition) as exc:
            _record_failure(rma, actor, exc)
            raise
    return _complete(rma, actor)


def _record_failure(rma: ReturnRequest, actor, exc: Exception) -> None:
    with transaction.atomic():
        rma = lock_rma(rma)
        rma.refund_started_at = None
        rma.refund_error = str(exc)[:255]
        rma.save(update_fields=["refund_started_at", "refund_error", "updated_at"])
        record_event(rma, "refund_failed", from_status=rma.status, actor=actor, note=str(exc))


@transaction.atomic
def _complete(rma: ReturnRequest, actor) -> ReturnRequest:
    """The money went out: count the units returned on the order and move the RMA on.
    Locks the RMA, then the order (record_returned_lines)."""
    rma = lock_rma(rma)
    if rma.refund_issued_at is not None:
        return rma
    lines = list(rma.lines.select_related("order_line"))
    back = [
        {"line_id": line.order_line.public_id, "quantity": line.received_quantity}
        for line in lines
        if line.received_quantity
    ]
    if back:
        order_services.record_returned_lines(
            order=rma.order,
            lines=back,
            event_id=f"{rma.public_id}:completed",
            actor=actor,
            payload={"rma": rma.public_id, "refund": rma.refund_cents},
        )
    per_line = {row["line_id"]: row for row in rma.refund_breakdown.get("lines", [])}
    for line in lines:
        row = per_line.get(line.order_line.public_id)
        line.refund_cents = row["refund"] if row else 0
        line.fee_cents = row["restocking_fee"] if row else 0
        line.save(update_fields=["refund_cents", "fee_cents"])
    before = rma.status
    rma.refund_issued_at = timezone.now()
    rma.refund_started_at = None
    rma.refund_error = ""
    if rma.status == ReturnStatus.INSPECTED:
        transition(rma, "complete_refund", action="refunded")
    rma.save()
    record_event(
        rma,
        "refunded",
        from_status=before,
        actor=actor,
        payload={"amount": rma.refund_cents, "breakdown": rma.refund_breakdown},
    )
    queue_notification(rma, ReturnNotificationKind.REFUNDED)
    from returns import tasks as return_tasks

    rma_id = rma.pk
    jobs.enqueue_on_commit(return_tasks.file_return_tax, rma_id)
    return rma
