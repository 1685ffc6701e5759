"""A customer asks to return units of a delivered order."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from orders.models import RETURNABLE, Order, OrderLine
from returns import rules, selectors
from returns.exceptions import (
    InvalidReturnLines,
    NotReturnable,
    OrderNotReturnable,
    QuantityExceedsReturnable,
    ReturnWindowExpired,
)
from returns.models import ReturnLine, ReturnReason, ReturnRequest
from returns.services._common import record_event


def _parse(order: Order, lines) -> list[dict]:
    """[{line_id, quantity, reason, note?}] checked for shape; one entry per order line."""
    known = {line.public_id for line in order.lines.all()}
    parsed: dict[str, dict] = {}
    for item in lines if isinstance(lines, list | tuple) else []:
        item = item if isinstance(item, Mapping) else {}
        line_id, qty = str(item.get("line_id", "")), item.get("quantity")
        reason, note = item.get("reason"), str(item.get("note") or "")[:500]
        if line_id not in known:
            raise InvalidReturnLines(
                "Name a line of this order.", fields={"lines": [f"Unknown line {line_id[:40]}."]}
            )
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
            raise InvalidReturnLines(
                "Return at least 1 unit of each line named.",
                fields={"lines": [f"{line_id}: quantity must be 1 or more."]},
            )
        if reason not in ReturnReason.values:
            raise InvalidReturnLines(
                "Choose a reason for each line.",
                fields={"lines": [f"{line_id}: reason must be one of {ReturnReason.values}."]},
            )
        if line_id in parsed:
            raise InvalidReturnLines(
                "Name each line once.", fields={"lines": [f"{line_id} is named twice."]}
            )
        parsed[line_id] = {"line_id": line_id, "quantity": qty, "reason": reason, "note": note}
    if not parsed:
        raise InvalidReturnLines(
            "Choose at least one item to return.", fields={"lines": ["Required."]}
        )
    return list(parsed.values())


def quote_return(*, order: Order, lines, locked_lines=None, now=None):
    """Check a return request against the order and the market's policy, without writing.

    Returns (parsed lines, RefundBreakdown estimate). Raises OrderNotReturnable,
    InvalidReturnLines, NotReturnable, ReturnWindowExpired, QuantityExceedsReturnable.
    """
    if order.status not in RETURNABLE:
        raise OrderNotReturnable(
            f"Order {order.reference} is {order.status}: only delivered orders can be returned."
        )
    wanted = _parse(order, lines)
    policy = rules.policy_for_market(order.market)
    by_id = {
        r.line.public_id: r for r in selectors.returnable_lines(order, lines=locked_lines, now=now)
    }
    estimate = rules.RefundBreakdown(currency=order.currency)
    for item in wanted:
        state = by_id[item["line_id"]]
        line = state.line
        if not state.returnable:
            raise NotReturnable(f"{line.title} cannot be returned.", line_id=line.public_id)
        if state.days_since_delivery is None:
            raise OrderNotReturnable(f"{line.title} has not been delivered yet.")
        if not state.within_window:
            raise ReturnWindowExpired(
                f"The {state.window_days}-day return window for {line.title} has closed.",
                line_id=line.public_id,
            )
        if item["quantity"] > state.max_quantity:
            raise QuantityExceedsReturnable(
                f"At most {state.max_quantity} of {line.title} can be returned.",
                line_id=line.public_id,
                returnable=state.max_quantity,
            )
        paid = rules.units_share(line, state.returned + state.in_returns, item["quantity"])
        fee = rules.restocking_fee(policy, item["reason"], paid, item["quantity"])
        estimate.lines.append(
            rules.LineRefund(
                line.public_id, line.sku, item["reason"], item["quantity"], paid, fee, line.title
            )
        )
    estimate.label_cents = rules.label_cost(policy)
    estimate.available_cents = order.captured_cents - order.refunded_total_cents
    return wanted, estimate


@transaction.atomic
def request_return(*, order: Order, lines, actor=None, note: str = "", now=None) -> ReturnRequest:
    """Open an RMA for `lines` [{line_id, quantity, reason, note?}] of a delivered order.

    Locks the order's lines (in pk order) so two requests for the same units queue and the
    second sees the first's RMA. Auto-approves when the policy says so (within the window and
    an estimated refund under its threshold). Raises what quote_return raises.
    """
    locked = list(
        OrderLine.objects.select_for_update(of=("self",))
        .select_related("variant__product")
        .filter(order=order)
        .order_by("pk")
    )
    order = Order.objects.select_related("market").get(pk=order.pk)
    wanted, estimate = quote_return(order=order, lines=lines, locked_lines=locked, now=now)
    rma = ReturnRequest(
        order=order,
        customer_id=order.customer_id,
        market=order.market,
        currency=order.currency,
        customer_note=str(note or "")[:2000],
        refund_estimate_cents=estimate.total_cents,
    )
    rma.full_clean(exclude=["status"])
    rma.save()
    by_id = {line.public_id: line for line in locked}
    for item, refund in zip(wanted, estimate.lines, strict=True):
        ReturnLine.objects.create(
            rma=rma,
            order_line=by_id[item["line_id"]],
            quantity=item["quantity"],
            reason=item["reason"],
            reason_note=item["note"],
            estimate_cents=refund.refund_cents,
        )
    record_event(
        rma,
        "requested",
        actor=actor,
        actor_label="" if actor else "customer",
        note=rma.customer_note,
        payload={"estimate": estimate.as_dict()},
    )
    policy = rules.policy_for_market(order.market)
    if policy.auto_approve and estimate.total_cents <= policy.auto_approve_max_cents:
        from returns.services.decisions import approve_return

        rma = approve_return(rma=rma, actor=None, message="", auto=True)
    return rma
