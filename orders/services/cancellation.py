"""Cancelling orders and order lines, and giving the money back (ARCHITECTURE.md's
compensations; docs/orders.md "Cancellation").

- `cancel_order`: the whole order. The customer may while nothing has shipped; Operations
  at any time before it is fulfilled (the unshipped units are cancelled; a partially
  fulfilled order then becomes `fulfilled`, not `cancelled`). Open shipments
  (not yet shipped) are cancelled first, then, under the order lock, the units left to ship
  are counted as cancelled, the stock released and the e-mail queued; then, outside the lock,
  the authorization is voided (nothing captured) or the captured money the cancelled units
  are worth is refunded.
- `cancel_order_lines`: Operations cancel some units of some lines; the rest goes on.
- `expire_unpaid_orders`: orders left unpaid are cancelled by the beat.

What a cancelled unit is worth comes from orders.allocation (to the cent). The money given
back is what was taken beyond what the customer still owes for the units they keep:
`captured - refunded - worth of the kept units`, never below zero — so with capture at
placement a cancellation refunds exactly the cancelled units' worth, and with capture on
shipment (nothing taken for unshipped units) it refunds nothing and the authorization is
simply never captured for them.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import F
from django.utils import timezone

from inventory.services.release import release_held_units
from orders import allocation, providers
from orders.exceptions import (
    InvalidCartQuantity,
    InvalidOrderTransition,
    LineNotCancellable,
    PaymentFailed,
)
from orders.models import (
    CANCELLABLE,
    OPEN_SHIPMENT_STATUSES,
    REFUNDABLE,
    UNPAID_STATUSES,
    NotificationKind,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    Shipment,
)
from orders.promotions import return_for_order
from orders.services import payments, reconciliation, transitions
from orders.services.events import EventResult, EventType, record_note, run_transition
from orders.services.notifications import queue_order_notification
from orders.services.shipments import cancel_shipment, in_open_shipments
from orders.services.stock import release_order_stock
from shop.exceptions import DomainError

S, P = OrderStatus, PaymentStatus
# The customer's own "Cancel order": before anything ships (API.md). On hold waits for review.
CUSTOMER_CANCELLABLE = [S.PENDING_PAYMENT, S.PAYMENT_FAILED, S.PLACED]
LINES_CANCELLABLE = [S.PLACED, S.PARTIALLY_FULFILLED]


def customer_may_cancel(order: Order) -> bool:
    """May the customer cancel `order` now (their order page's button, the API)?"""
    return order.status in CUSTOMER_CANCELLABLE and not any(
        line.quantity_fulfilled for line in order.lines.all()
    )


def cancel_order(
    *,
    order: Order,
    actor=None,
    reason: str = "",
    event_id: str | None = None,
    by_customer: bool = False,
) -> Order:
    """Cancel everything of `order` that has not shipped and give the money back.

    pending_payment | payment_failed | placed -> cancelled (the customer: only while nothing
    has shipped). A partially fulfilled order (Operations) has its unshipped units cancelled
    and becomes `fulfilled`: the parcels out stay an order that is delivered and returned.
    Raises InvalidOrderTransition (409) when too late. Call outside any transaction
    (shipments are cancelled and the gateway called in transactions of their own). A
    replayed `event_id` changes nothing.
    """
    order = Order.objects.get(pk=order.pk)
    if event_id and OrderEvent.objects.filter(order=order, event_id=event_id).exists():
        return order  # a replay (a double submit): done the first time
    if order.status not in (CUSTOMER_CANCELLABLE if by_customer else CANCELLABLE):
        raise InvalidOrderTransition(order=order, action="cancel")
    _cancel_open_shipments(order, actor=actor, reason=reason or "order cancelled")
    if order.status == S.PARTIALLY_FULFILLED:
        cancel_remaining_items(order=order, actor=actor, reason=reason, event_id=event_id)
        return Order.objects.get(pk=order.pk)
    plan: dict = {"reason": reason, "by": "customer" if by_customer else "staff"}

    def change(o: Order) -> None:
        if by_customer and any(line.quantity_fulfilled for line in o.lines.all()):
            raise InvalidOrderTransition(
                order=o,
                action="cancel",
                detail=f"Order {o.reference} has started shipping; contact us to change it.",
            )
        if o.status == S.PARTIALLY_FULFILLED:  # a parcel shipped since the check above
            raise InvalidOrderTransition(
                order=o,
                action="cancel",
                detail=f"Part of order {o.reference} shipped just now; cancel again to "
                "cancel the rest.",
            )
        o.cancel(reason=reason)
        cancelling = {line: line.quantity_unfulfilled for line in o.lines.all()}
        plan.update(_count_cancelled(o, {k: v for k, v in cancelling.items() if v}))
        release_order_stock(o)
        return_for_order(o)
        queue_order_notification(order=o, kind=NotificationKind.ORDER_CANCELLED, event_id=eid)

    eid = event_id or transitions._event_id(EventType.ORDER_CANCELLED)
    result = run_transition(
        order=order,
        type=EventType.ORDER_CANCELLED,
        change=change,
        event_id=eid,
        actor=actor,
        actor_label="customer" if by_customer else "",
        payload=plan,
        action="cancel",
    )
    if result.applied:
        give_money_back(result.order, refund_cents=plan.get("refund"))
    return Order.objects.get(pk=order.pk)


def cancel_remaining_items(
    *,
    order: Order,
    actor=None,
    reason: str = "",
    event_id: str | None = None,
    event_type: str = EventType.LINES_CANCELLED,
) -> EventResult:
    """The whole-order cancel of a partially fulfilled order: every unit not shipped is
    cancelled (counted, its held stock released, the money it is worth given back, the
    e-mail queued) and the order becomes `fulfilled`, not `cancelled`: what shipped stays an
    order that is delivered and can be returned. The timeline says `order.lines_cancelled`
    with `remaining: true` (an integration's `order.cancelled` event keeps its own type).

    Raises InvalidOrderTransition (409) unless the order is partially fulfilled with no
    shipment being packed. Call outside any transaction (the gateway is called after)."""
    plan: dict = {"reason": reason, "by": "staff", "remaining": True}

    def change(o: Order) -> None:
        if o.status != S.PARTIALLY_FULFILLED:
            raise InvalidOrderTransition(order=o, action="cancel")
        if any(in_open_shipments(o).values()):
            raise InvalidOrderTransition(
                order=o,
                action="cancel",
                detail=f"A shipment of order {o.reference} is being packed; cancel it first.",
            )
        cancelling = {line: line.quantity_unfulfilled for line in o.lines.all()}
        cancelling = {line: qty for line, qty in cancelling.items() if qty}
        plan.update(_count_cancelled(o, cancelling))
        for line, qty in cancelling.items():
            release_held_units(owner=o.reservation_owner, variant=line.variant_id, quantity=qty)
        o.fulfill()
        queue_order_notification(order=o, kind=NotificationKind.ORDER_CANCELLED, event_id=eid)

    eid = event_id or transitions._event_id(event_type)
    result = run_transition(
        order=order,
        type=event_type,
        change=change,
        event_id=eid,
        actor=actor,
        payload=plan,
        action="cancel",
    )
    if result.applied:
        give_money_back(result.order, refund_cents=plan.get("refund"))
    return result


def cancel_order_lines(
    *,
    order: Order,
    lines,
    actor=None,
    reason: str = "",
    event_id: str | None = None,
) -> Order:
    """Operations cancel `lines` [{line_id, quantity}] of a placed or partially fulfilled
    order: those units never ship, their held stock is released and the captured money
    they are worth (orders.allocation) is refunded. When nothing is left to ship the order
    becomes fulfilled (something shipped) or cancelled (nothing did; the authorization is
    voided).

    Raises InvalidCartQuantity (400: unknown line, bad quantity), LineNotCancellable (409:
    more units than are left unshipped, e.g. shipped meanwhile or in a shipment being
    packed), InvalidOrderTransition (409). Nothing is changed then. Call outside any
    transaction.
    """
    plan: dict = {"reason": reason, "by": "staff"}

    def change(o: Order) -> None:
        if o.status not in LINES_CANCELLABLE:
            raise InvalidOrderTransition(order=o, action="cancel_lines")
        wanted = _wanted(o, lines)
        plan.update(_count_cancelled(o, wanted))
        for line, qty in wanted.items():
            release_held_units(owner=o.reservation_owner, variant=line.variant_id, quantity=qty)
        left = sum(line.quantity_unfulfilled for line in o.lines.all())
        if left == 0 and any(line.quantity_fulfilled for line in o.lines.all()):
            o.fulfill()
        elif left == 0:
            o.cancel(reason=reason or "every line cancelled")
            release_order_stock(o)
            return_for_order(o)
        queue_order_notification(order=o, kind=NotificationKind.ORDER_CANCELLED, event_id=eid)

    eid = event_id or transitions._event_id(EventType.LINES_CANCELLED)
    result = run_transition(
        order=order,
        type=EventType.LINES_CANCELLED,
        change=change,
        event_id=eid,
        actor=actor,
        payload=plan,
        action="cancel_lines",
    )
    if result.applied:
        give_money_back(result.order, refund_cents=plan.get("refund"))
    return Order.objects.get(pk=order.pk)


def _wanted(order: Order, lines) -> dict[OrderLine, int]:
    """{OrderLine: units} from [{line_id, quantity}]; 400 for bad input, 409 for too many."""
    by_id = {line.public_id: line for line in order.lines.all()}
    wanted: dict[OrderLine, int] = {}
    for item in lines if isinstance(lines, list | tuple) else []:
        line = by_id.get(str(item.get("line_id"))[:64]) if isinstance(item, Mapping) else None
        qty = item.get("quantity") if isinstance(item, Mapping) else None
        if line is None or isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
            raise InvalidCartQuantity(
                "Each line needs a line_id of this order and a quantity of 1 or more.",
                fields={"lines": [str(item)[:80]]},
            )
        wanted[line] = wanted.get(line, 0) + qty
    if not wanted:
        raise InvalidCartQuantity("Name at least one line.", fields={"lines": ["Required."]})
    packing = in_open_shipments(order)
    for line, qty in wanted.items():
        free = line.quantity_unfulfilled - packing.get(line.pk, 0)
        if qty > free:
            raise LineNotCancellable(line=line, requested=qty, free=free, packing=packing)
    return wanted


def _count_cancelled(order: Order, cancelling: Mapping[OrderLine, int]) -> dict:
    """Count `cancelling` units as cancelled on their lines and say what that gives back.

    Runs under the order lock, before the lines are updated. Returns the event payload's
    money part: the lines, the refund in cents and whether the authorization is voided.
    """
    lines = list(order.lines.all())
    shares = allocation.order_unit_shares(order)
    before = {line.pk: line.quantity_cancelled for line in lines}
    by_pk = {line.pk: qty for line, qty in cancelling.items()}
    after = {pk: before[pk] + by_pk.get(pk, 0) for pk in before}
    worth = allocation.cancelled_worth(shares, before, by_pk)
    owed = allocation.kept_worth(shares, after)
    held = order.captured_cents - order.refunded_total_cents
    refund = max(0, held - owed) if order.payment_status in REFUNDABLE else 0
    shipped = any(line.quantity_fulfilled for line in lines)
    everything = all(after[line.pk] == line.quantity for line in lines)
    for line, qty in cancelling.items():
        OrderLine.objects.filter(pk=line.pk).update(
            quantity_cancelled=F("quantity_cancelled") + qty
        )
        line.quantity_cancelled += qty
    return {
        "lines": [
            {"line_id": line.public_id, "sku": line.sku, "title": line.title, "quantity": qty}
            for line, qty in cancelling.items()
        ],
        "worth": worth,
        "refund": refund,
        "still_owed": owed,
        "void": order.payment_status == P.AUTHORIZED and everything and not shipped,
    }


def _cancel_open_shipments(order: Order, *, actor, reason: str) -> None:
    """Shipments not yet shipped go first (their units back to held), each in its own
    transaction; one that shipped meanwhile stays, and the cancellation then refuses."""
    for shipment in Shipment.objects.filter(order=order, status__in=OPEN_SHIPMENT_STATUSES):
        try:
            cancel_shipment(shipment=shipment, reason=reason, actor=actor)
        except DomainError:
            continue


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


def give_money_back(order: Order, *, refund_cents: int | None = None) -> None:
    """After a cancellation: void an authorization nothing was taken from, refund what was
    captured beyond what is still owed (`refund_cents`, computed under the lock), or — when
    an attempt's outcome was never known — ask the gateway and void what it authorized."""
    order = Order.objects.get(pk=order.pk)
    shipped = order.lines.filter(quantity_fulfilled__gt=0).exists()
    if order.payment_status == P.AUTHORIZED and order.status == S.CANCELLED and not shipped:
        payments.void_at_gateway(
            order, reference=payments.authorized_reference(order), reason="order cancelled"
        )
    elif order.payment_status in REFUNDABLE:
        if refund_cents is None:  # the whole order: everything not owed for shipped units
            shares = allocation.order_unit_shares(order)
            kept = allocation.kept_worth(
                shares,
                {line.pk: line.quantity - line.quantity_fulfilled for line in order.lines.all()},
            )
            refund_cents = order.captured_cents - order.refunded_total_cents - kept
        if refund_cents > 0:
            try:
                payments.refund_payment(
                    order=order, amount_cents=refund_cents, reason="order cancelled"
                )
            except PaymentFailed as exc:
                # The cancellation stands (stock released, customer told); the refund is
                # left on the timeline for Finance to make from the admin.
                record_note(
                    order=order,
                    type="payment.refund_failed",
                    actor_label="system",
                    payload={"amount": refund_cents, "detail": str(exc)[:200]},
                )
    elif order.payment_status == P.AUTHORIZED and shipped and order.status == S.CANCELLED:
        # Shipped units were to be captured with their shipment and were not (yet): what to
        # take is Finance's call, not a formula's.
        record_note(
            order=order,
            type="payment.review_required",
            actor_label="system",
            event_id=f"{order.public_id}:cancel-review",
            payload={"reason": "cancelled after a partial shipment"},
        )
    elif order.payment_status == P.UNPAID and order.payment_attempts:
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
