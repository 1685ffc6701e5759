"""Reads of the returns app: what an order can still return, RMAs for a page or endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders.models import OrderLine
from returns import rules
from returns.exceptions import ReturnNotFound
from returns.models import OPEN_STATUSES, ReturnLine, ReturnRequest, ReturnStatus

VIEW_ALL_RETURNS = "returns.view_returnrequest"


def can_view_all_returns(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(VIEW_ALL_RETURNS))


def units_in_open_returns(order_line_ids) -> dict[int, int]:
    """{order line pk: units on their way back in RMAs not yet refunded}."""
    rows = (
        ReturnLine.objects.filter(
            order_line_id__in=list(order_line_ids),
            rma__status__in=OPEN_STATUSES,
            rma__refund_issued_at__isnull=True,
        )
        .values("order_line_id")
        .annotate(units=Sum(Coalesce("received_quantity", "quantity")))
    )
    return {row["order_line_id"]: row["units"] for row in rows}


@dataclass
class ReturnableLine:
    line: object
    delivered: int
    returned: int
    in_returns: int
    returnable: bool
    window_days: int
    days_since_delivery: int | None

    @property
    def within_window(self) -> bool:
        return self.days_since_delivery is not None and (
            self.days_since_delivery <= self.window_days
        )

    @property
    def max_quantity(self) -> int:
        if not (self.returnable and self.within_window):
            return 0
        return max(0, self.delivered - self.returned - self.in_returns)


def returnable_lines(order, *, lines=None, now=None) -> list[ReturnableLine]:
    """Per order line: delivered units, returned units, units in open RMAs, whether the
    policy takes it back and the window. `lines`: the (locked) order lines to use."""
    policy = rules.policy_for_market(order.market)
    lines = list(lines if lines is not None else order.lines.select_related("variant__product"))
    open_units = units_in_open_returns(line.pk for line in lines)
    result = []
    for line in lines:
        product = line.variant.product
        arrived = rules.delivered_at(line)
        result.append(
            ReturnableLine(
                line=line,
                delivered=line.quantity_fulfilled if arrived else 0,
                returned=line.quantity_returned,
                in_returns=open_units.get(line.pk, 0),
                returnable=rules.is_returnable(policy, product),
                window_days=rules.window_days(policy, product),
                days_since_delivery=(
                    rules.days_since(arrived, order.market, now) if arrived else None
                ),
            )
        )
    return result


def list_returns(*, user, status: str | None = None) -> QuerySet[ReturnRequest]:
    """RMAs `user` may see: their own, or all with returns.view_returnrequest."""
    queryset = ReturnRequest.objects.select_related("order", "market").prefetch_related(
        "lines__order_line", "events"
    )
    if not can_view_all_returns(user):
        if not (user and user.is_authenticated):
            return queryset.none()
        queryset = queryset.filter(Q(customer_id=user.pk) | Q(order__customer_id=user.pk))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-pk")


def get_return(*, public_id: str, user) -> ReturnRequest:
    """The RMA `public_id` if `user` may see it; ReturnNotFound otherwise (never 403)."""
    rma = list_returns(user=user).filter(public_id=str(public_id)).first()
    if rma is None:
        raise ReturnNotFound("No such return.")
    return rma


def return_rate_report(*, days: int, now=None) -> dict:
    """Return rates of the last `days` days: units asked back (RMAs opened in the period,
    rejected and cancelled ones aside) over units shipped (orders placed in the period), by
    category (a product in two categories counts in both) and by reason."""
    since = (now or timezone.now()) - timedelta(days=days)
    shipped = (
        OrderLine.objects.filter(order__placed_at__gte=since, quantity_fulfilled__gt=0)
        .values("variant__product__categories__name")
        .annotate(units=Sum("quantity_fulfilled"))
    )
    returned_lines = ReturnLine.objects.filter(rma__created_at__gte=since).exclude(
        rma__status__in=[ReturnStatus.REJECTED, ReturnStatus.CANCELLED]
    )
    returned = returned_lines.values("order_line__variant__product__categories__name").annotate(
        units=Sum("quantity")
    )
    back = {r["order_line__variant__product__categories__name"]: r["units"] for r in returned}
    categories = []
    for row in shipped:
        name = row["variant__product__categories__name"] or "(no category)"
        key = row["variant__product__categories__name"]
        units_back = back.get(key, 0)
        categories.append(
            {
                "category": name,
                "shipped": row["units"],
                "returned": units_back,
                "rate": round(100 * units_back / row["units"], 1) if row["units"] else 0.0,
            }
        )
    categories.sort(key=lambda r: (-r["rate"], r["category"]))
    reasons = list(
        returned_lines.values("reason").annotate(units=Sum("quantity")).order_by("-units")
    )
    total = sum(r["units"] for r in reasons)
    for row in reasons:
        row["share"] = round(100 * row["units"] / total, 1) if total else 0.0
    return {"days": days, "categories": categories, "reasons": reasons, "returned": total}
