"""Payments: authorize (outside any lock), settle the answer, retry, capture, void, refund,
reconcile timed-out attempts, and give money back when an order is cancelled.

Gateway calls never run inside a transaction of ours: each service reads the order, calls
the gateway with an idempotency key derived from the order (so a repeat never charges
twice), then records the answer under the order lock (PaymentTransaction + transition).
A timeout changes no state: the order stays pending_payment until the gateway, asked by
idempotency key, says what happened (`reconcile_payments`).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from inventory import services as inventory
from inventory.exceptions import InsufficientStock
from inventory.models import ReservationKind
from orders import conf, providers
from orders.exceptions import InvalidAmount, InvalidOrderTransition, PaymentFailed
from orders.models import (
    Order,
    OrderEvent,
    OrderStatus,
    PaymentStatus,
    PaymentTransaction,
    TransactionKind,
    TransactionOutcome,
)
from orders.providers.payments.base import GatewayError, GatewayResult, GatewayTimeout
from orders.services import fraud, transitions
from orders.services._common import lock_order
from orders.services.events import EventType, record_note, run_transition
from orders.services.stock import commit_order_stock, order_demand
from shop.money import Money

logger = logging.getLogger(__name__)
S, P = OrderStatus, PaymentStatus
# No answer, or an answer that is not about the payment: the outcome stays unknown.
GATEWAY_TROUBLE = (GatewayTimeout, GatewayError, ConnectionError, TimeoutError)
# Payment statuses of an order whose money was captured (whatever happened to it since).
CAPTURED_OR_LATER = frozenset(
    {P.CAPTURED, P.PARTIALLY_REFUNDED, P.REFUNDED, P.DISPUTED, P.CHARGEBACK}
)


def attempt_key(order: Order) -> str:
    """The idempotency key of the order's current authorization attempt."""
    return f"{order.public_id}:authorize:{order.payment_attempts}"


def _record(
    order: Order,
    kind: str,
    outcome: str,
    key: str,
    result: GatewayResult | None,
    amount_cents: int,
) -> PaymentTransaction:
    return PaymentTransaction.objects.create(
        order=order,
        kind=kind,
        outcome=outcome,
        amount_cents=amount_cents,
        currency=order.currency,
        gateway=order.payment_gateway,
        gateway_reference=result.reference if result else "",
        idempotency_key=key,
        response=result.summary() if result else {"approved": None, "status": outcome},
    )


def authorize_payment(*, order: Order, payment_token: str, client_ip: str | None = None) -> Order:
    """Ask the gateway to authorize the order's total for its current attempt, then settle.

    Call outside any transaction. A timeout or a gateway failure leaves the order
    pending_payment (reconciliation finds out later). `client_ip` and the card feed the
    fraud check (orders.services.fraud).
    """
    risk = fraud.checkout_risk(payment_token=payment_token, client_ip=client_ip)
    gateway = providers.gateway_named(order.payment_gateway)
    key = attempt_key(order)
    try:
        result = gateway.authorize(
            amount=Money(order.total_cents, order.currency),
            token=payment_token,
            idempotency_key=key,
            description=f"Order {order.reference}",
        )
    except GATEWAY_TROUBLE as exc:
        logger.warning("authorization of %s got no answer: %s", order.public_id, exc)
        return settle_authorization(order=order, idempotency_key=key, result=None, note=str(exc))
    return settle_authorization(order=order, idempotency_key=key, result=result, risk=risk)


def settle_authorization(
    *,
    order: Order,
    idempotency_key: str,
    result: GatewayResult | None,
    source: str = "checkout",
    note: str = "",
    risk: fraud.CheckoutRisk | None = None,
) -> Order:
    """Record the gateway's answer (None: no answer) for the attempt `idempotency_key`.

    Approved -> placed with hard stock (payment.authorized); declined or not found ->
    payment_failed with stock released; None -> a payment.timed_out note only. An answer
    for an order no longer waiting on that attempt (cancelled meanwhile, or settled
    already) is recorded; an approval nobody wants is voided after commit. Locks the order.
    """
    result_event = f"{idempotency_key}:result"
    with transaction.atomic():
        order = lock_order(order)
        current = order.status == S.PENDING_PAYMENT and attempt_key(order) == idempotency_key
        # A settled attempt moved the order on, so only a non-current one can be a repeat
        # (reconciliation and checkout both answering). Asked in a statement of its own: one
        # joined to the lock would see the table as it was before we waited for the lock.
        if not current and OrderEvent.objects.filter(order=order, event_id=result_event).exists():
            return order
        outcome = _outcome(result)
        _record(
            order, TransactionKind.AUTHORIZE, outcome, idempotency_key, result, order.total_cents
        )
        if result is None:
            record_note(
                order=order,
                type=EventType.PAYMENT_TIMED_OUT,
                actor_label=source,
                payload={"idempotency_key": idempotency_key, "detail": note[:200]},
            )
            return order
        if not current:
            record_note(
                order=order,
                type=EventType.PAYMENT_AUTHORIZED
                if result.approved
                else EventType.PAYMENT_DECLINED,
                event_id=result_event,
                actor_label=source,
                payload={"late": True, "outcome": outcome},
            )
            void_after = result.approved
        elif result.approved:
            void_after = _place_or_compensate(order, result, result_event, source, risk)
        else:
            transitions.mark_payment_declined(
                order=order,
                decline_code=result.decline_code or outcome,
                message=result.message,
                event_id=result_event,
                actor_label=source,
                locked=True,
            )
            fraud.record_declined_attempt(order=order, risk=risk)
            void_after = False
    if void_after:
        order.refresh_from_db()
        void_at_gateway(order, reference=result.reference, reason="authorization not needed")
    return order


def _outcome(result: GatewayResult | None) -> str:
    if result is None:
        return TransactionOutcome.TIMEOUT
    if result.approved:
        return TransactionOutcome.SUCCEEDED
    if result.decline_code == "not_found":
        return TransactionOutcome.NOT_FOUND
    return TransactionOutcome.DECLINED


def _place_or_compensate(
    order: Order, result: GatewayResult, event_id: str, source: str, risk=None
) -> bool:
    """Place the locked order; if its stock is gone, cancel it instead. True: void the payment.

    The stock is committed first, on its own: inventory's savepoints undo a failed commit
    without spoiling our transaction, and the transition then runs without one.
    """
    amount = result.amount.cents if result.amount else order.total_cents
    try:
        commit_order_stock(order)
    except InsufficientStock:
        # The holds lapsed and someone bought the units meanwhile: never charge for them.
        run_transition(
            order=order,
            type=EventType.PAYMENT_AUTHORIZED,
            event_id=event_id,
            change=lambda o: o.authorize(amount_cents=amount),
            actor_label=source,
            payload={"reference": result.reference, "stock_lost": True},
            locked=True,
        )
        transitions.mark_order_cancelled(
            order=order, reason="stock no longer available", actor_label="system"
        )
        return True
    transitions.mark_payment_authorized(
        order=order,
        amount_cents=amount,
        gateway_reference=result.reference,
        fraud_score=result.fraud_score,
        event_id=event_id,
        actor_label=source,
        commit_stock=False,
        locked=True,
    )
    # Scored with the order still locked: above the threshold it is on hold before anyone
    # can capture or ship it.
    fraud.screen_authorized_order(order=order, gateway_score=result.fraud_score, risk=risk)
    return False


def authorized_reference(order: Order) -> str:
    row = (
        PaymentTransaction.objects.filter(
            order=order, kind=TransactionKind.AUTHORIZE, outcome=TransactionOutcome.SUCCEEDED
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    return row.gateway_reference if row else ""


def void_at_gateway(order: Order, *, reference: str, reason: str) -> None:
    """Void `reference` at the gateway and record it; a failure is noted for Operations."""
    key = f"{reference}:void"
    gateway = providers.gateway_named(order.payment_gateway)
    try:
        result = gateway.void(reference=reference, idempotency_key=key)
    except GATEWAY_TROUBLE as exc:
        record_note(
            order=order,
            type="payment.void_failed",
            actor_label="system",
            payload={"reference": reference, "detail": str(exc)[:200]},
        )
        return
    with transaction.atomic():
        order = lock_order(order)
        _record(order, TransactionKind.VOID, TransactionOutcome.SUCCEEDED, key, result, 0)
        if order.payment_status == P.AUTHORIZED:
            transitions.record_payment_voided(
                order=order, event_id=key, payload={"reason": reason}
            )
        else:
            record_note(
                order=order,
                type=EventType.PAYMENT_VOIDED,
                event_id=key,
                actor_label="system",
                payload={"reason": reason, "late": True},
            )


def retry_payment(*, order: Order, payment_token: str, actor=None) -> Order:
    """payment_failed -> pending_payment with a new attempt, stock held again, then authorize.

    Raises InvalidOrderTransition (not payment_failed), InsufficientStock (the units were
    sold meanwhile: the order stays payment_failed). Call outside any transaction.
    """
    market = order.market

    def change(o: Order) -> None:
        o.reopen_payment()
        o.retry_payment(payment_due_at=timezone.now() + conf.unpaid_order_ttl(market))
        o.payment_attempts += 1
        o.payment_attempted_at = timezone.now()
        inventory.reserve_stock(
            lines=order_demand(o),
            market=market,
            owner=o.reservation_owner,
            ttl=conf.order_hold_ttl(market),
            kind=ReservationKind.SOFT,
        )

    result = run_transition(
        order=order,
        type=EventType.PAYMENT_RETRIED,
        change=change,
        actor=actor,
        action="retry_payment",
    )
    return authorize_payment(order=result.order, payment_token=payment_token)


def _gateway_call(order: Order, kind: str, call):
    try:
        return call(providers.gateway_named(order.payment_gateway))
    except GatewayTimeout:
        raise PaymentFailed(
            f"The payment provider did not answer; try the {kind} again."
        ) from None
    except (GatewayError, ConnectionError, TimeoutError) as exc:
        raise PaymentFailed(f"The payment provider refused the {kind}: {exc}") from None


def capture_payment(*, order: Order, amount_cents: int | None = None, actor=None) -> Order:
    """Take the authorized money (all of it by default, or less). Call outside a transaction.

    Raises InvalidOrderTransition (not authorized, cancelled, or on hold for fraud review:
    approve it first), InvalidAmount, PaymentFailed (gateway refused or silent: safe to
    retry, the key is the same).
    """
    order = Order.objects.get(pk=order.pk)
    if order.payment_status != P.AUTHORIZED or order.status in (S.CANCELLED, S.ON_HOLD):
        raise InvalidOrderTransition(order=order, action="capture")
    amount = order.authorized_cents if amount_cents is None else amount_cents
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int)
        or not 0 < amount <= order.authorized_cents
    ):
        raise InvalidAmount(
            f"Capture between 1 and {order.authorized_cents}.",
            fields={"amount": [f"At most {order.authorized_cents}."]},
        )
    key = f"{order.public_id}:capture"
    result = _gateway_call(
        order,
        "capture",
        lambda g: g.capture(
            reference=authorized_reference(order),
            amount=Money(amount, order.currency),
            idempotency_key=key,
        ),
    )
    with transaction.atomic():
        locked = lock_order(order)
        if not PaymentTransaction.objects.filter(idempotency_key=key).exists():
            _record(
                locked, TransactionKind.CAPTURE, TransactionOutcome.SUCCEEDED, key, result, amount
            )
        if locked.payment_status in CAPTURED_OR_LATER:
            # The gateway's webhook reported this capture while we waited for its answer
            # (orders.services.gateway_events): the money moved once, the order shows it.
            return Order.objects.get(pk=order.pk)
        transitions.record_payment_captured(
            order=locked, amount_cents=amount, event_id=key, actor=actor
        )
    return Order.objects.get(pk=order.pk)


def void_payment(*, order: Order, actor=None) -> Order:
    """Release an uncaptured authorization. Raises InvalidOrderTransition, PaymentFailed."""
    order = Order.objects.get(pk=order.pk)
    if order.payment_status != P.AUTHORIZED:
        raise InvalidOrderTransition(order=order, action="void")
    reference = authorized_reference(order)
    key = f"{reference}:void"
    result = _gateway_call(
        order, "void", lambda g: g.void(reference=reference, idempotency_key=key)
    )
    with transaction.atomic():
        locked = lock_order(order)
        if not PaymentTransaction.objects.filter(idempotency_key=key).exists():
            _record(locked, TransactionKind.VOID, TransactionOutcome.SUCCEEDED, key, result, 0)
        transitions.record_payment_voided(order=locked, event_id=key, actor=actor)
    return Order.objects.get(pk=order.pk)


def refund_payment(
    *,
    order: Order,
    amount_cents: int,
    actor=None,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Order:
    """Give back up to what was captured. Raises InvalidOrderTransition, InvalidAmount,
    PaymentFailed. Each call is a new refund (its key counts the refunds so far), unless the
    caller names the refund with `idempotency_key` (a return's refund): a key already
    recorded returns the order unchanged, a retry after a timeout reuses it at the gateway."""
    order = Order.objects.get(pk=order.pk)
    if (
        idempotency_key
        and PaymentTransaction.objects.filter(
            order=order, kind=TransactionKind.REFUND, idempotency_key=idempotency_key
        ).exists()
    ):
        return order
    if order.payment_status not in (P.CAPTURED, P.PARTIALLY_REFUNDED):
        raise InvalidOrderTransition(order=order, action="refund")
    left = order.captured_cents - order.refunded_total_cents
    if (
        isinstance(amount_cents, bool)
        or not isinstance(amount_cents, int)
        or not 0 < amount_cents <= left
    ):
        raise InvalidAmount(
            f"Refund between 1 and {left}.", fields={"amount": [f"At most {left}."]}
        )
    done = PaymentTransaction.objects.filter(order=order, kind=TransactionKind.REFUND).count()
    key = idempotency_key or f"{order.public_id}:refund:{done + 1}"
    result = _gateway_call(
        order,
        "refund",
        lambda g: g.refund(
            reference=authorized_reference(order),
            amount=Money(amount_cents, order.currency),
            idempotency_key=key,
        ),
    )
    with transaction.atomic():
        locked = lock_order(order)
        if not PaymentTransaction.objects.filter(idempotency_key=key).exists():
            _record(
                locked,
                TransactionKind.REFUND,
                TransactionOutcome.SUCCEEDED,
                key,
                result,
                amount_cents,
            )
        transitions.record_refund(
            order=locked,
            amount_cents=amount_cents,
            event_id=key,
            actor=actor,
            payload={"reason": reason},
        )
    return Order.objects.get(pk=order.pk)
