"""What a payment gateway tells us about a payment (POST /webhooks/payments/{gateway}).

The webhook view verifies the signature; this service applies the event once. An event names
our order (`order`: the `ord_…` id, which every gateway call carries in its idempotency key)
and carries the gateway's own event id, which becomes the order event's id `<gateway>:<id>`:
a redelivered event is a replay and changes nothing (apply_order_event).

What each type does:

- `payment.authorized`, `payment.declined`: the payload is not trusted. The gateway is asked
  by idempotency key what became of the order's current attempt and its answer is settled
  (reconcile_order_payment, as reconciliation does). An
  attempt the gateway does not know is left for reconciliation: a webhook alone never fails
  a payment.
- `payment.captured`, `payment.voided`: recorded unless the order already shows it (the shop
  captured or voided itself, and this is the gateway's echo of that).
- `chargeback.notice`, `chargeback.won`, `chargeback.lost`: the dispute's transitions.
- Any other type (gateways send many) is acknowledged and ignored, so the gateway does not
  retry it for days. That includes refunds: the shop records a refund when it makes one
  (the admin, a return); applying the gateway's report of it again would count it twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from orders.exceptions import OrderNotFound, UnknownOrderEvent
from orders.models import Order, OrderStatus, PaymentStatus
from orders.services.events import EventType
from orders.services.order_events import apply_order_event
from orders.services.payments import CAPTURED_OR_LATER
from orders.services.reconciliation import reconcile_order_payment

P = PaymentStatus
E = EventType
EVENT_ID_MAX_LENGTH = 100  # `<gateway>:<id>` fits OrderEvent.event_id (128)
AUTHORIZATION_TYPES = frozenset({E.PAYMENT_AUTHORIZED, E.PAYMENT_DECLINED})
# The payment statuses in which the gateway's report is already true of the order.
ALREADY = {E.PAYMENT_CAPTURED: CAPTURED_OR_LATER, E.PAYMENT_VOIDED: {P.VOIDED}}
APPLIED_TYPES = frozenset(
    {*AUTHORIZATION_TYPES, *ALREADY, E.CHARGEBACK_NOTICE, E.CHARGEBACK_WON, E.CHARGEBACK_LOST}
)


@dataclass(frozen=True)
class GatewayEventResult:
    """`applied`: the order changed. `ignored`: a type the shop does not act on."""

    applied: bool
    order: Order
    ignored: bool = False


def apply_gateway_event(*, gateway: str, event: Mapping) -> GatewayEventResult:
    """Apply one event reported by `gateway` (a name in orders.providers.PAYMENT_GATEWAYS).

    Raises UnknownOrderEvent (400: not an object, or no usable id, type or order),
    OrderNotFound (404: no such order paid through this gateway), InvalidOrderTransition
    (409: the report does not fit the order's state) and InvalidAmount. Call outside any
    transaction: settling an authorization may void it at the gateway afterwards.
    """
    if not isinstance(event, Mapping):
        raise UnknownOrderEvent("The event must be a JSON object.", fields={"event": ["Object."]})
    event_id, type_, order_id = (event.get(name) for name in ("id", "type", "order"))
    problems = {}
    if not isinstance(event_id, str) or not 0 < len(event_id.strip()) <= EVENT_ID_MAX_LENGTH:
        problems["id"] = [f"The gateway's event id: 1 to {EVENT_ID_MAX_LENGTH} characters."]
    if not isinstance(type_, str) or not type_:
        problems["type"] = ["Required."]
    if not isinstance(order_id, str) or not order_id:
        problems["order"] = ["The order's id (ord_…) the shop sent with the payment."]
    if problems:
        raise UnknownOrderEvent(next(iter(problems.values()))[0], fields=problems)
    order = Order.objects.filter(public_id=order_id, payment_gateway=gateway).first()
    if order is None:
        raise OrderNotFound(f"No order {order_id} paid through {gateway}.")
    if type_ not in APPLIED_TYPES:
        return GatewayEventResult(applied=False, order=order, ignored=True)
    if type_ in AUTHORIZATION_TYPES:
        return _settle_current_attempt(order)
    if order.payment_status in ALREADY.get(type_, ()):
        return GatewayEventResult(applied=False, order=order)
    data = event.get("data")
    payload = dict(data) if isinstance(data, Mapping) else {}
    result = apply_order_event(
        order=order,
        event_id=f"{gateway}:{event_id.strip()}",
        type=type_,
        payload={**payload, "source": gateway},
    )
    return GatewayEventResult(applied=result.applied, order=result.order)


def _settle_current_attempt(order: Order) -> GatewayEventResult:
    if order.status != OrderStatus.PENDING_PAYMENT:
        return GatewayEventResult(applied=False, order=order)
    settled = reconcile_order_payment(order=order, source="webhook", not_found_fails=False)
    return GatewayEventResult(applied=settled.status != order.status, order=settled)
