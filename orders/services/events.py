"""The one way an order changes state: lock, dedupe on (order, event_id), transition, record.

Every transition service in orders.services runs its change through `run_transition`, which
in one transaction locks the order row, returns the prior result when the event id was
seen before, applies the model's fsm transitions, saves (ConcurrentTransitionMixin
refuses a stale state) and appends the OrderEvent with the old and new states.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django_fsm import TransitionNotAllowed

from orders.exceptions import EventIdConflict, InvalidOrderTransition
from orders.models import Order, OrderEvent
from orders.services._common import lock_order, new_event_id


class EventType:
    """Names of the events an order's timeline shows (API.md lists the external ones)."""

    ORDER_CREATED = "order.created"
    PAYMENT_AUTHORIZED = "payment.authorized"
    PAYMENT_DECLINED = "payment.declined"
    PAYMENT_TIMED_OUT = "payment.timed_out"
    PAYMENT_RETRIED = "payment.retried"
    PAYMENT_CAPTURED = "payment.captured"
    PAYMENT_VOIDED = "payment.voided"
    REFUND_CREATED = "refund.created"
    ORDER_CANCELLED = "order.cancelled"
    LINES_CANCELLED = "order.lines_cancelled"
    CHECKOUT_EXPIRED = "checkout.expired"
    FRAUD_REVIEW_REQUIRED = "fraud.review_required"
    FRAUD_APPROVED = "fraud.approved"
    FRAUD_REJECTED = "fraud.rejected"
    SHIPMENT_SHIPPED = "shipment.shipped"
    SHIPMENT_DELIVERED = "shipment.delivered"
    # Fulfillment notes (no state change; orders.services.shipments)
    SHIPMENT_CREATED = "shipment.created"
    SHIPMENT_PICKING = "shipment.picking"
    SHIPMENT_PACKED = "shipment.packed"
    SHIPMENT_CANCELLED = "shipment.cancelled"
    LINE_REROUTED = "line.rerouted"
    PAYMENT_CAPTURE_FAILED = "payment.capture_failed"
    RMA_COMPLETED = "rma.completed"
    CHARGEBACK_NOTICE = "chargeback.notice"
    CHARGEBACK_WON = "chargeback.won"
    CHARGEBACK_LOST = "chargeback.lost"


@dataclass(frozen=True)
class EventResult:
    """What an event did: `applied` False means it was a replay and changed nothing."""

    applied: bool
    order: Order
    event: OrderEvent


def actor_user(actor):
    """A saved, authenticated user or None (the system, an integration, an anonymous buyer)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.pk is None:
        return None
    return actor


def run_transition(
    *,
    order: Order,
    type: str,
    change: Callable[[Order], None],
    event_id: str | None = None,
    actor=None,
    actor_label: str = "",
    payload: dict | None = None,
    action: str | None = None,
    locked: bool = False,
) -> EventResult:
    """Apply `change` (fsm transitions + their database effects) to the locked order.

    A seen `event_id` returns the prior event with applied=False (a different `type` under
    the same id raises EventIdConflict). A transition not allowed from the current state
    raises InvalidOrderTransition; nothing is written then. Opens a transaction (or joins
    the caller's); the order row stays locked until it commits.

    `locked=True`: the caller passes the order it locked in its own transaction and has
    checked `event_id` itself; nothing is re-read and no savepoint is taken, so an error
    here rolls the caller's whole transaction back.
    """
    event_id = event_id or new_event_id(type)
    with transaction.atomic(savepoint=not locked):
        prior = None
        if not locked:
            order = lock_order(order)
            prior = OrderEvent.objects.filter(order=order, event_id=event_id).first()
        if prior is not None:
            if prior.type != type:
                raise EventIdConflict(
                    f"Event {event_id} was already used for {prior.type}.", event_id=event_id
                )
            return EventResult(applied=False, order=order, event=prior)
        before = (order.status, order.payment_status)
        values_before = _field_values(order)
        try:
            change(order)
        except TransitionNotAllowed:
            raise InvalidOrderTransition(order=order, action=action or type) from None
        order.save(update_fields=changed_fields(order, values_before))
        event = OrderEvent.objects.create(
            order=order,
            event_id=event_id,
            type=type,
            from_status=before[0],
            to_status=order.status,
            from_payment_status=before[1],
            to_payment_status=order.payment_status,
            actor=actor_user(actor),
            actor_label=actor_label or ("staff" if actor_user(actor) else "system"),
            payload=payload or {},
        )
    return EventResult(applied=True, order=order, event=event)


def _field_values(order: Order) -> dict[str, object]:
    """The order's column values; JSON ones copied, as a change may edit them in place."""
    values = {}
    for field in order._meta.concrete_fields:
        value = getattr(order, field.attname)
        values[field.attname] = copy.deepcopy(value) if isinstance(value, dict | list) else value
    return values


def changed_fields(order: Order, values_before: dict[str, object]) -> list[str]:
    """The columns a transition changed, and the timestamps every save sets (`auto_now`).

    The transition's UPDATE writes those only: an order has 36 columns and a transition
    changes two to five, and preparing and sending the rest again is most of the save's
    Python. The state columns are still checked against the state read
    (ConcurrentTransitionMixin)."""
    names = []
    for field in order._meta.concrete_fields:
        if field.primary_key:
            continue
        if getattr(field, "auto_now", False) or (
            getattr(order, field.attname) != values_before[field.attname]
        ):
            names.append(field.attname)
    return names


def record_note(
    *,
    order: Order,
    type: str,
    payload: dict | None = None,
    event_id: str | None = None,
    actor=None,
    actor_label: str = "",
) -> OrderEvent:
    """Append an event that moves no state (a payment timeout, a failed void)."""
    return run_transition(
        order=order,
        type=type,
        change=lambda o: None,
        event_id=event_id,
        actor=actor,
        actor_label=actor_label,
        payload=payload,
    ).event
