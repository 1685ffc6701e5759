"""External events enter here: `apply_order_event` dedupes on (order, event_id) and calls
the transition's own service (API: POST /orders/{id}/events, payment and WMS webhooks)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from orders.exceptions import InvalidAmount, UnknownOrderEvent
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import cancellation, shipments, transitions
from orders.services.events import EventResult, EventType

E = EventType


def _amount(payload: Mapping, default=None):
    amount = payload.get("amount", default)
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, int) or amount < 0
    ):
        raise InvalidAmount("amount must be whole minor units, 0 or more.", fields={"amount": []})
    return amount


def _cancelled(service):
    """Run a cancelling transition, then give the money back (void or refund)."""

    def handle(**kwargs) -> EventResult:
        result = service(**kwargs)
        cancellation.give_money_back(result.order)
        return result

    return handle


def _order_cancelled(*, order, event_id, actor=None, reason: str = "") -> EventResult:
    """order.cancelled: the order is cancelled; a partially fulfilled one has its unshipped
    units cancelled and becomes fulfilled (orders.services.cancel_order does the same)."""
    if Order.objects.get(pk=order.pk).status == OrderStatus.PARTIALLY_FULFILLED:
        return cancellation.cancel_remaining_items(
            order=order,
            actor=actor,
            reason=reason,
            event_id=event_id,
            event_type=E.ORDER_CANCELLED,
        )
    return _cancelled(transitions.mark_order_cancelled)(
        order=order, event_id=event_id, actor=actor, reason=reason
    )


def _per_shipment(type: str, order_level):
    """payload.shipment = shp_…: ship or deliver that shipment (orders.services.shipments);
    without it, the order-level service (an integration that keeps no shipments here)."""

    def handle(*, order, event_id, actor=None, payload=None, **kwargs) -> EventResult:
        if isinstance(payload, Mapping) and "shipment" in payload:
            return shipments.apply_shipment_event(
                order=order, type=type, event_id=event_id, payload=payload, actor=actor
            )
        return order_level(order=order, event_id=event_id, actor=actor, payload=payload, **kwargs)

    return handle


# type -> (service, how the payload becomes its arguments)
HANDLERS: dict[str, tuple[Callable[..., EventResult], Callable[[Order, Mapping], dict]]] = {
    E.PAYMENT_AUTHORIZED: (
        transitions.mark_payment_authorized,
        lambda o, p: {
            "amount_cents": _amount(p, o.total_cents),
            "gateway_reference": str(p.get("reference", "")),
        },
    ),
    E.PAYMENT_DECLINED: (
        transitions.mark_payment_declined,
        lambda o, p: {"decline_code": str(p.get("decline_code", ""))},
    ),
    E.PAYMENT_CAPTURED: (
        transitions.record_payment_captured,
        lambda o, p: {"amount_cents": _amount(p), "payload": dict(p)},
    ),
    E.PAYMENT_VOIDED: (transitions.record_payment_voided, lambda o, p: {"payload": dict(p)}),
    E.REFUND_CREATED: (
        transitions.record_refund,
        lambda o, p: {"amount_cents": _amount(p), "payload": dict(p)},
    ),
    E.SHIPMENT_SHIPPED: (
        _per_shipment(E.SHIPMENT_SHIPPED, transitions.ship_order_lines),
        lambda o, p: {"lines": p.get("lines"), "payload": dict(p)},
    ),
    E.SHIPMENT_DELIVERED: (
        _per_shipment(E.SHIPMENT_DELIVERED, transitions.deliver_order),
        lambda o, p: {"payload": dict(p)},
    ),
    E.ORDER_CANCELLED: (
        _order_cancelled,
        lambda o, p: {"reason": str(p.get("reason", ""))[:255]},
    ),
    E.FRAUD_REVIEW_REQUIRED: (
        transitions.hold_order_for_review,
        lambda o, p: {"payload": dict(p)},
    ),
    E.FRAUD_APPROVED: (transitions.approve_order_review, lambda o, p: {"payload": dict(p)}),
    E.FRAUD_REJECTED: (
        _cancelled(transitions.reject_order_review),
        lambda o, p: {"payload": dict(p)},
    ),
    E.CHARGEBACK_NOTICE: (transitions.open_dispute, lambda o, p: {"payload": dict(p)}),
    E.CHARGEBACK_WON: (transitions.win_dispute, lambda o, p: {"payload": dict(p)}),
    E.CHARGEBACK_LOST: (transitions.lose_dispute, lambda o, p: {"payload": dict(p)}),
    E.RMA_COMPLETED: (
        transitions.record_returned_lines,
        lambda o, p: {"lines": p.get("lines"), "payload": dict(p)},
    ),
}
EVENT_TYPES = sorted(HANDLERS)


def apply_order_event(
    *, order: Order, event_id: str, type: str, payload: Mapping | None = None, actor=None
) -> EventResult:
    """Apply the event `type` to `order` once: a replayed `event_id` changes nothing.

    Returns EventResult(applied, order, event): applied False for a replay (the prior
    event and the order as it is now). Raises UnknownOrderEvent (bad type, event id or
    payload), InvalidOrderTransition (not allowed from the current state: nothing written),
    EventIdConflict (the id was used for another type), and what the transition's service
    raises (InsufficientStock, InvalidAmount, InvalidCartQuantity). Call outside any
    transaction: a cancellation voids or refunds at the gateway afterwards.
    """
    if not isinstance(event_id, str) or not 0 < len(event_id.strip()) <= 128:
        raise UnknownOrderEvent(
            "An event needs an event_id of 1 to 128 characters.",
            fields={"event_id": ["Required, at most 128 characters."]},
        )
    payload = {} if payload is None else payload
    if not isinstance(payload, Mapping):
        raise UnknownOrderEvent("The payload must be an object.", fields={"payload": ["Object."]})
    prior = OrderEvent.objects.filter(order=order, event_id=event_id).first()
    if prior is not None and prior.type == type:
        return EventResult(applied=False, order=Order.objects.get(pk=order.pk), event=prior)
    if type not in HANDLERS:
        raise UnknownOrderEvent(
            f"Unknown event type: {type}.", fields={"type": [f"One of: {', '.join(EVENT_TYPES)}."]}
        )
    service, arguments = HANDLERS[type]
    result = service(order=order, event_id=event_id, actor=actor, **arguments(order, payload))
    if result.applied:
        return EventResult(True, Order.objects.get(pk=order.pk), result.event)
    return result
