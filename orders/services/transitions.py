"""One service per order transition. Each runs through events.run_transition (lock, dedupe
on event_id, fsm transition, OrderEvent) and does its database side effects in the same
transaction; gateway calls happen outside, in orders.services.payments.

Compensations (ARCHITECTURE.md): cancelling releases the order's stock and then voids an
authorization or refunds a capture (cancellation.give_money_back, after commit).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import F
from django_fsm import TransitionNotAllowed, can_proceed

from inventory import services as inventory
from inventory.models import HOLDING_STATUSES, Reservation
from orders import conf
from orders import tasks as order_tasks
from orders.exceptions import InvalidAmount, InvalidCartQuantity
from orders.models import NotificationKind, Order, OrderLine, OrderStatus
from orders.promotions import return_for_order
from orders.services.events import EventResult, EventType, run_transition
from orders.services.notifications import queue_order_notification
from orders.services.shipments import in_open_shipments
from orders.services.stock import commit_order_stock, release_order_stock
from orders.services.tax import commit_tax_of_placed_order
from shop import jobs

S = OrderStatus


def mark_payment_authorized(
    *,
    order: Order,
    amount_cents: int,
    gateway_reference: str = "",
    fraud_score: int | None = None,
    event_id: str | None = None,
    actor=None,
    actor_label: str = "gateway",
    commit_stock: bool = True,
    locked: bool = False,
) -> EventResult:
    """pending_payment -> placed, unpaid -> authorized; the stock holds become hard.

    Raises InvalidOrderTransition, InsufficientStock (holds lapsed and the units are gone:
    the caller voids the authorization and cancels). After commit: the confirmation e-mail
    (Celery). The sale is filed with the tax provider (orders.services.tax: at once, or from
    Celery for a remote one). `commit_stock=False`: the caller committed the stock already;
    `locked`: see run_transition.
    """

    def change(o: Order) -> None:
        o.authorize(amount_cents=amount_cents)
        o.place()
        o.risk_score = fraud_score
        if commit_stock:
            commit_order_stock(o)
        queue_order_notification(order=o, kind=NotificationKind.ORDER_PLACED, event_id=eid)
        commit_tax_of_placed_order(o)
        if conf.capture_policy(o.market) == conf.CapturePolicy.AT_PLACEMENT:
            jobs.enqueue_on_commit(order_tasks.capture_placed_order, o.pk)

    eid = event_id or _event_id(EventType.PAYMENT_AUTHORIZED)
    return run_transition(
        order=order,
        type=EventType.PAYMENT_AUTHORIZED,
        change=change,
        event_id=eid,
        actor=actor,
        actor_label=actor_label,
        payload={
            "amount": amount_cents,
            "reference": gateway_reference,
            "fraud_score": fraud_score,
        },
        locked=locked,
    )


def mark_payment_declined(
    *,
    order: Order,
    decline_code: str = "",
    message: str = "",
    event_id: str | None = None,
    actor=None,
    actor_label: str = "gateway",
    locked: bool = False,
) -> EventResult:
    """pending_payment -> payment_failed, unpaid -> failed; the stock is released.

    The buyer may retry with another card (payments.retry_payment). E-mails after commit.
    """
    eid = event_id or _event_id(EventType.PAYMENT_DECLINED)

    def change(o: Order) -> None:
        o.decline()
        o.fail_payment()
        release_order_stock(o)
        queue_order_notification(order=o, kind=NotificationKind.PAYMENT_FAILED, event_id=eid)

    return run_transition(
        order=order,
        type=EventType.PAYMENT_DECLINED,
        change=change,
        event_id=eid,
        actor=actor,
        actor_label=actor_label,
        payload={"decline_code": decline_code, "message": message},
        locked=locked,
    )


def mark_order_cancelled(
    *,
    order: Order,
    actor=None,
    reason: str = "",
    event_id: str | None = None,
    event_type: str = EventType.ORDER_CANCELLED,
    actor_label: str = "",
) -> EventResult:
    """The cancel transition: pending_payment|payment_failed|placed -> cancelled.

    Releases the stock and e-mails the customer after commit. Callers want
    `orders.services.cancel_order`, which also gives the money back (void or refund).
    Raises InvalidOrderTransition.
    """
    eid = event_id or _event_id(event_type)

    def change(o: Order) -> None:
        o.cancel(reason=reason)
        release_order_stock(o)
        return_for_order(o)
        queue_order_notification(order=o, kind=NotificationKind.ORDER_CANCELLED, event_id=eid)

    return run_transition(
        order=order,
        type=event_type,
        change=change,
        event_id=eid,
        actor=actor,
        actor_label=actor_label,
        payload={"reason": reason},
        action="cancel",
    )


def hold_order_for_review(*, order: Order, event_id=None, actor=None, payload=None) -> EventResult:
    """placed -> on_hold (fraud review required). Stock stays committed."""
    return run_transition(
        order=order,
        type=EventType.FRAUD_REVIEW_REQUIRED,
        change=lambda o: o.hold_for_review(),
        event_id=event_id,
        actor=actor,
        payload=payload,
    )


def approve_order_review(*, order: Order, event_id=None, actor=None, payload=None) -> EventResult:
    """on_hold -> placed (fraud approved)."""
    return run_transition(
        order=order,
        type=EventType.FRAUD_APPROVED,
        change=lambda o: o.approve_review(),
        event_id=event_id,
        actor=actor,
        payload=payload,
    )


def reject_order_review(*, order: Order, event_id=None, actor=None, payload=None) -> EventResult:
    """on_hold -> cancelled (fraud rejected): stock released, e-mail after commit.

    The authorization is voided by `cancellation.give_money_back`.
    """
    eid = event_id or _event_id(EventType.FRAUD_REJECTED)

    def change(o: Order) -> None:
        o.reject_review(reason="fraud rejected")
        release_order_stock(o)
        queue_order_notification(order=o, kind=NotificationKind.ORDER_CANCELLED, event_id=eid)

    return run_transition(
        order=order,
        type=EventType.FRAUD_REJECTED,
        change=change,
        event_id=eid,
        actor=actor,
        payload=payload,
    )


def _check_allowed(transition) -> None:
    """Refuse by state before checking the input: a shipped order's answer is 409, not 400."""
    if not can_proceed(transition):
        raise TransitionNotAllowed(f"{transition.__name__} not allowed")


def _line_quantities(order: Order, lines, field: str, limit) -> dict[OrderLine, int]:
    """{OrderLine: quantity} from [{line_id, quantity}], checked against `limit(line)`."""
    by_id = {line.public_id: line for line in order.lines.select_related("variant")}
    wanted: dict[OrderLine, int] = {}
    for item in lines or []:
        line = by_id.get(str(item.get("line_id")) if isinstance(item, Mapping) else None)
        qty = item.get("quantity") if isinstance(item, Mapping) else None
        if line is None or isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
            raise InvalidCartQuantity(
                "Each line needs a line_id of this order and a quantity of 1 or more.",
                fields={"lines": [str(item)[:80]]},
            )
        wanted[line] = wanted.get(line, 0) + qty
    if not wanted:
        raise InvalidCartQuantity("Name at least one line.", fields={"lines": ["Required."]})
    for line, qty in wanted.items():
        if qty > limit(line):
            raise InvalidCartQuantity(
                f"Only {limit(line)} of {line.sku} can be {field}.",
                fields={"lines": [f"{line.public_id}: at most {limit(line)}."]},
            )
    return wanted


def ship_order_lines(
    *, order: Order, lines=None, event_id=None, actor=None, payload=None
) -> EventResult:
    """Record a shipment: placed|partially_fulfilled -> partially_fulfilled or fulfilled.

    `lines` [{line_id, quantity}] (default: everything unshipped). Consumes the order's
    committed reservations for those units (on_hand goes down). Raises InvalidCartQuantity
    for an unknown line or more than is left to ship, InvalidOrderTransition.
    """

    def change(o: Order) -> None:
        _check_allowed(o.fulfill)
        # Units in a shipment being picked are that shipment's to ship (ship_shipment).
        picking = in_open_shipments(o)
        todo = lines or [
            {"line_id": ln.public_id, "quantity": ln.quantity_unfulfilled - picking.get(ln.pk, 0)}
            for ln in o.lines.all()
            if ln.quantity_unfulfilled - picking.get(ln.pk, 0) > 0
        ]
        wanted = _line_quantities(
            o, todo, "shipped", lambda ln: ln.quantity_unfulfilled - picking.get(ln.pk, 0)
        )
        for line, qty in wanted.items():
            _consume(o, line, qty)
            OrderLine.objects.filter(pk=line.pk).update(
                quantity_fulfilled=F("quantity_fulfilled") + qty
            )
        left = sum(ln.quantity_unfulfilled for ln in o.lines.all())
        o.fulfill() if left == 0 else o.fulfill_partially()

    return run_transition(
        order=order,
        type=EventType.SHIPMENT_SHIPPED,
        change=change,
        event_id=event_id,
        actor=actor,
        payload={**(payload or {}), "lines": lines or "all"},
        action="ship",
    )


def _consume(order: Order, line: OrderLine, quantity: int) -> None:
    holds = Reservation.objects.filter(
        owner=order.reservation_owner, variant_id=line.variant_id, status__in=HOLDING_STATUSES
    ).order_by("pk")
    for hold in holds:
        take = min(quantity, hold.quantity)
        inventory.consume_reservation(reservation=hold, quantity=take, reference=order.reference)
        quantity -= take
        if quantity == 0:
            return


def deliver_order(*, order: Order, event_id=None, actor=None, payload=None) -> EventResult:
    """fulfilled -> delivered (every shipment arrived)."""
    return run_transition(
        order=order,
        type=EventType.SHIPMENT_DELIVERED,
        change=lambda o: o.deliver(),
        event_id=event_id,
        actor=actor,
        payload=payload,
    )


def record_returned_lines(
    *, order: Order, lines, event_id=None, actor=None, payload=None
) -> EventResult:
    """An RMA completed: delivered|partially_returned -> partially_returned or returned.

    Counts `lines` [{line_id, quantity}] as returned; restocking and refunds belong to the
    returns app. Raises InvalidCartQuantity, InvalidOrderTransition.
    """

    def change(o: Order) -> None:
        _check_allowed(o.return_all)
        wanted = _line_quantities(
            o, lines, "returned", lambda ln: ln.quantity_fulfilled - ln.quantity_returned
        )
        for line, qty in wanted.items():
            OrderLine.objects.filter(pk=line.pk).update(
                quantity_returned=F("quantity_returned") + qty
            )
        left = sum(ln.quantity_fulfilled - ln.quantity_returned for ln in o.lines.all())
        o.return_all() if left == 0 else o.return_partially()

    return run_transition(
        order=order,
        type=EventType.RMA_COMPLETED,
        change=change,
        event_id=event_id,
        actor=actor,
        payload={**(payload or {}), "lines": lines},
        action="return",
    )


# --- Money facts reported by the gateway (webhooks, integrations) ------------------------


def record_payment_captured(
    *, order: Order, amount_cents: int | None = None, event_id=None, actor=None, payload=None
) -> EventResult:
    """authorized -> captured (the gateway took the money)."""
    amount = order.authorized_cents if amount_cents is None else amount_cents
    return run_transition(
        order=order,
        type=EventType.PAYMENT_CAPTURED,
        change=lambda o: o.capture(amount_cents=amount),
        event_id=event_id,
        actor=actor,
        actor_label="gateway" if actor is None else "",
        payload={**(payload or {}), "amount": amount},
    )


def record_payment_voided(*, order: Order, event_id=None, actor=None, payload=None) -> EventResult:
    """authorized -> voided (the hold on the card was released)."""
    return run_transition(
        order=order,
        type=EventType.PAYMENT_VOIDED,
        change=lambda o: o.void(),
        event_id=event_id,
        actor=actor,
        actor_label="gateway" if actor is None else "",
        payload=payload,
    )


def record_refund(
    *, order: Order, amount_cents: int, event_id=None, actor=None, payload=None
) -> EventResult:
    """captured|partially_refunded -> partially_refunded or refunded (up to what was captured)."""

    def change(o: Order) -> None:
        _check_allowed(o.refund)
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents < 1:
            raise InvalidAmount("A refund needs a positive amount.", fields={"amount": []})
        if o.refunded_total_cents + amount_cents > o.captured_cents:
            raise InvalidAmount(
                "Cannot refund more than was captured.",
                fields={"amount": [f"At most {o.captured_cents - o.refunded_total_cents}."]},
            )
        o.refund(amount_cents=amount_cents)

    return run_transition(
        order=order,
        type=EventType.REFUND_CREATED,
        change=change,
        event_id=event_id,
        actor=actor,
        payload={**(payload or {}), "amount": amount_cents},
    )


def open_dispute(*, order: Order, event_id=None, actor=None, payload=None) -> EventResult:
    """captured|partially_refunded -> disputed (chargeback notice)."""
    return run_transition(
        order=order,
        type=EventType.CHARGEBACK_NOTICE,
        change=lambda o: o.open_dispute(),
        event_id=event_id,
        actor=actor,
        payload=payload,
    )


def win_dispute(*, order: Order, event_id=None, actor=None, payload=None) -> EventResult:
    """disputed -> captured or partially_refunded (as before the dispute)."""
    return run_transition(
        order=order,
        type=EventType.CHARGEBACK_WON,
        change=lambda o: o.win_dispute(),
        event_id=event_id,
        actor=actor,
        payload=payload,
    )


def lose_dispute(*, order: Order, event_id=None, actor=None, payload=None) -> EventResult:
    """disputed -> chargeback (the money went back to the cardholder)."""
    return run_transition(
        order=order,
        type=EventType.CHARGEBACK_LOST,
        change=lambda o: o.lose_dispute(),
        event_id=event_id,
        actor=actor,
        payload=payload,
    )


def _event_id(type: str) -> str:
    from orders.services._common import new_event_id

    return new_event_id(type)
