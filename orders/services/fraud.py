"""Fraud review: score an order when its payment is authorized, hold it above the market's
threshold, and Operations' decision (docs/orders.md "Fraud review"; the rules: orders.fraud).

`screen_authorized_order` runs inside the authorization's transaction, with the order locked:
one aggregate query over the recent assessments (velocity, small orders, the buyer's
history), one upsert of this order's FraudAssessment, and — above the threshold — the
placed -> on_hold transition (fraud.review_required, with the score and its reasons). The
stock stays committed; nothing is captured (capture at placement skips a held order) and
nothing ships (shipments refuse an order on hold). `approve_review` puts it back to placed
(and captures it when its market captures at placement); `reject_review` cancels it, voids
the authorization and releases the stock.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, FloatField, Func, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders import fraud
from orders.models import DEFAULT_HOLD_SCORE, FraudAssessment, FraudThreshold, Order
from orders.services import transitions
from orders.services.events import EventResult, EventType, run_transition
from shop.compiled import CompiledQuery, IPAddress
from shop.exceptions import ValidationFailed
from shop.models import Market

VELOCITY_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class CheckoutRisk:
    """What the checkout request knew about the buyer beyond the order itself."""

    client_ip: str | None = None
    card_fingerprint: str = ""


def card_fingerprint(payment_token: str) -> str:
    """The card's fingerprint. The dummy gateway's token stands for one card; a real adapter
    would hand back the gateway's own fingerprint of the card number."""
    if not payment_token:
        return ""
    return hashlib.sha256(f"card:{payment_token}".encode()).hexdigest()[:40]


def checkout_risk(*, payment_token: str = "", client_ip: str | None = None) -> CheckoutRisk:
    try:
        ip = str(ipaddress.ip_address(client_ip)) if client_ip else None
    except ValueError:
        ip = None
    return CheckoutRisk(client_ip=ip, card_fingerprint=card_fingerprint(payment_token))


# --- Thresholds per market -------------------------------------------------------------------


def hold_threshold(market) -> int:
    """The score above which `market`'s orders are held (FraudThreshold, else the default)."""
    found = FraudThreshold.objects.filter(market=market).values_list("hold_above", flat=True)
    return next(iter(found), DEFAULT_HOLD_SCORE)


def set_fraud_threshold(*, market, hold_above, actor=None) -> FraudThreshold:
    """Hold `market`'s orders scoring above `hold_above` (0-100). Raises ValidationFailed."""
    valid = isinstance(hold_above, int) and not isinstance(hold_above, bool)
    if not valid or not 0 <= hold_above <= 100:
        raise ValidationFailed(
            "The threshold is a whole number from 0 to 100.", fields={"hold_above": ["0-100."]}
        )
    row, _created = FraudThreshold.objects.update_or_create(
        market=market, defaults={"hold_above": hold_above}
    )
    return row


# --- Screening -------------------------------------------------------------------------------


def _scalar(queryset, function: str):
    """COUNT(*) / AVG(total) of `queryset` as a scalar subquery (0 when nothing matches)."""
    column = F("pk") if function == "COUNT" else F("total_cents")
    return Coalesce(
        Subquery(
            queryset.order_by().annotate(value=Func(column, function=function)).values("value")[:1]
        ),
        0,
        output_field=FloatField(),
    )


_SIGNALS = (
    "threshold",
    "same_email",
    "same_ip",
    "same_card",
    "low_value",
    "history",
    "history_average",
)


def _capped_count(queryset):
    """How many rows `queryset` has, counted up to fraud.VELOCITY_COUNT_CAP as a scalar
    subquery: the rules need no more, and a plain COUNT read every recent order from one IP
    address or card — hundreds an hour behind a carrier's shared address, thousands in a load
    run, where this query became the most expensive of a checkout."""
    rows = Subquery(queryset.order_by().values("pk")[: fraud.VELOCITY_COUNT_CAP])
    return Func(
        rows,
        template="(SELECT COUNT(*) FROM %(expressions)s AS capped)",
        output_field=IntegerField(),
    )


def _signals_query(*, with_ip: bool, with_card: bool):
    """The signals of one order as one row of its market: scalar subqueries over the other
    orders' assessments. Shaped by which of IP and card the checkout knows."""

    def build(order_id, market_id, since, email, client_ip="", card=""):
        others = FraudAssessment.objects.exclude(order_id=order_id)
        recent = others.filter(created_at__gte=since)
        anyone = Q(email=email)
        if with_ip:
            anyone |= Q(client_ip=client_ip)
        if with_card:
            anyone |= Q(card_fingerprint=card)
        history = others.filter(email=email, score__isnull=False)
        return (
            Market.objects.filter(pk=market_id)
            .annotate(
                threshold=Coalesce(
                    Subquery(
                        FraudThreshold.objects.filter(market_id=OuterRef("pk")).values(
                            "hold_above"
                        )[:1]
                    ),
                    DEFAULT_HOLD_SCORE,
                ),
                same_email=_capped_count(recent.filter(email=email)),
                same_ip=_capped_count(recent.filter(client_ip=client_ip)) if with_ip else Value(0),
                same_card=_capped_count(recent.filter(card_fingerprint=card))
                if with_card
                else Value(0),
                low_value=_capped_count(
                    recent.filter(anyone, total_cents__lt=fraud.LOW_VALUE_CENTS)
                ),
                history=_scalar(history, "COUNT"),
                history_average=_scalar(history, "AVG"),
            )
            .values_list(*_SIGNALS)[:1]
        )

    slots = {"order_id": int, "market_id": int, "since": datetime, "email": str}
    if with_ip:
        slots["client_ip"] = IPAddress
    if with_card:
        slots["card"] = str
    return CompiledQuery(build, **slots)


# Every authorized order is screened: each shape compiled once per connection (shop.compiled).
_SIGNALS_QUERIES = {
    (with_ip, with_card): _signals_query(with_ip=with_ip, with_card=with_card)
    for with_ip in (False, True)
    for with_card in (False, True)
}


def gather_signals(
    order: Order, *, risk: CheckoutRisk, gateway_score: int | None, now=None
) -> tuple[fraud.RiskSignals, int]:
    """RiskSignals of `order` and its market's threshold, in one query (scalar subqueries
    over the other orders' assessments, on the market's row)."""
    since = (now or timezone.now()) - VELOCITY_WINDOW
    values = {"order_id": order.pk, "market_id": order.market_id, "since": since}
    values["email"] = order.email.lower()
    if risk.client_ip:
        values["client_ip"] = risk.client_ip
    if risk.card_fingerprint:
        values["card"] = risk.card_fingerprint
    query = _SIGNALS_QUERIES[(bool(risk.client_ip), bool(risk.card_fingerprint))]
    rows = query.rows(**values)
    found = dict(zip(_SIGNALS, rows[0], strict=True)) if rows else {}
    billing = (order.billing_address or {}).get("country") or ""
    signals = fraud.RiskSignals(
        total_cents=order.total_cents,
        orders_last_hour_same_email=int(found.get("same_email") or 0),
        orders_last_hour_same_ip=int(found.get("same_ip") or 0),
        orders_last_hour_same_card=int(found.get("same_card") or 0),
        low_value_orders_last_hour=int(found.get("low_value") or 0),
        billing_country=str(billing),
        shipping_country=str((order.shipping_address or {}).get("country") or ""),
        previous_orders=int(found.get("history") or 0),
        previous_average_cents=int(found.get("history_average") or 0),
        gateway_score=gateway_score,
    )
    return signals, int(found.get("threshold", DEFAULT_HOLD_SCORE))


def _save(order: Order, risk: CheckoutRisk, **fields) -> None:
    """Insert or update the order's assessment in one statement (a retry updates it)."""
    row = FraudAssessment(
        order=order,
        email=order.email.lower(),
        client_ip=risk.client_ip,
        card_fingerprint=risk.card_fingerprint,
        total_cents=order.total_cents,
        **fields,
    )
    FraudAssessment.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["order"],
        update_fields=[
            "client_ip",
            "card_fingerprint",
            "total_cents",
            *(name for name in fields if name != "created_at"),
        ],
    )


def screen_authorized_order(
    *, order: Order, gateway_score: int | None, risk: CheckoutRisk | None = None
) -> fraud.RiskScore:
    """Score the just-authorized `order` (locked by the caller, placed) and hold it above its
    market's threshold. Runs inside the caller's transaction; an error rolls it back."""
    risk = risk or CheckoutRisk()
    signals, threshold = gather_signals(order, risk=risk, gateway_score=gateway_score)
    result = fraud.score_order(signals)
    held = result.holds_at(threshold)
    reasons = [reason.as_dict() for reason in result.reasons]
    _save(
        order,
        risk,
        score=result.score,
        hold_above=threshold,
        reasons=reasons,
        held=held,
        assessed_at=timezone.now(),
    )
    if held:
        run_transition(
            order=order,
            type=EventType.FRAUD_REVIEW_REQUIRED,
            change=lambda o: o.hold_for_review(),
            event_id=f"{order.public_id}:fraud-review:{order.payment_attempts}",
            actor_label="fraud check",
            payload={"score": result.score, "threshold": threshold, "reasons": reasons},
            locked=True,
        )
    return result


def record_declined_attempt(*, order: Order, risk: CheckoutRisk | None = None) -> None:
    """A declined attempt still counts for velocity (card testing declines a lot)."""
    _save(order, risk or CheckoutRisk())


# --- Operations' decision --------------------------------------------------------------------


def approve_review(*, order: Order, actor=None, event_id=None, note: str = "") -> Order:
    """on_hold -> placed: the order may ship (and is captured now if its market captures at
    placement). Raises InvalidOrderTransition."""
    result = transitions.approve_order_review(
        order=order, event_id=event_id, actor=actor, payload={"note": note} if note else None
    )
    if result.applied:
        from orders.services.shipments import capture_placed_order

        capture_placed_order(order=result.order)
    return Order.objects.get(pk=order.pk)


def reject_review(*, order: Order, actor=None, event_id=None, reason: str = "") -> Order:
    """on_hold -> cancelled: stock released, the authorization voided, the customer told.
    Raises InvalidOrderTransition."""
    result: EventResult = transitions.reject_order_review(
        order=order, event_id=event_id, actor=actor, payload={"reason": reason} if reason else None
    )
    if result.applied:
        from orders.services.cancellation import give_money_back

        give_money_back(result.order)
    return Order.objects.get(pk=order.pk)
