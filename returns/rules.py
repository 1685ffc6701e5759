"""The policy's rules as pure reads: windows, what can be returned, and the money of a return.

Money rule (docs/returns.md): a returned unit gives back what the customer paid for it, its
share of the line's total (unit price minus the line's allocated discount plus its tax). The
shares of a line add up to its total exactly: returning units p+1..p+q of a line of n gives
total*(p+q)//n - total*p//n. A promotion's discount allocated to a line stays with the line:
returning it does not take back a discount other lines got because it was in the cart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Max
from django.utils import timezone

from returns.models import FEE_EXEMPT_REASONS, ReturnPolicy, ReturnShippingPayer


def policy_for_market(market) -> ReturnPolicy:
    """The market's return policy; an unsaved one with the defaults when it has none."""
    policy = (
        ReturnPolicy.objects.filter(market=market)
        .prefetch_related("restocking_fees", "category_windows")
        .first()
    )
    return policy or ReturnPolicy(market=market)


def units_share(line, units_before: int, units: int) -> int:
    """What the customer paid for units `units_before`+1 .. +`units` of `line`, in cents."""
    whole = line.total_cents
    return whole * (units_before + units) // line.quantity - whole * units_before // line.quantity


def restocking_fee(policy: ReturnPolicy, reason: str, paid_cents: int, units: int) -> int:
    """The fee kept back for `units` returned for `reason`; never more than was paid."""
    if reason in FEE_EXEMPT_REASONS or policy.pk is None:
        return 0
    rule = next((f for f in policy.restocking_fees.all() if f.reason == reason), None)
    if rule is None:
        return 0
    fee = (paid_cents * rule.percent_bp + 5_000) // 10_000 + rule.fixed_cents_per_unit * units
    return min(fee, paid_cents)


def label_cost(policy: ReturnPolicy) -> int:
    if policy.return_shipping_paid_by == ReturnShippingPayer.CUSTOMER:
        return policy.return_label_cents
    return 0


def original_shipping_cents(order) -> int:
    """What the order charged beyond its lines: shipping and the tax on it."""
    return order.total_cents - sum(line.total_cents for line in order.lines.all())


def delivered_at(order_line) -> dt.datetime | None:
    """When the last delivered parcel carrying `order_line` arrived."""
    return order_line.shipment_lines.filter(shipment__delivered_at__isnull=False).aggregate(
        at=Max("shipment__delivered_at")
    )["at"]


def _ancestors(category) -> list:
    chain = []
    while category is not None:
        chain.append(category)
        category = category.parent
    return chain


def product_categories(product) -> list:
    """The product's categories and all their ancestors, nearest first per category."""
    return [c for category in product.categories.all() for c in _ancestors(category)]


def is_returnable(policy: ReturnPolicy, product) -> bool:
    if policy.pk is None:
        return True
    if policy.non_returnable_products.filter(pk=product.pk).exists():
        return False
    blocked = set(policy.non_returnable_categories.values_list("pk", flat=True))
    return not any(c.pk in blocked for c in product_categories(product))


def window_days(policy: ReturnPolicy, product) -> int:
    """The policy's window, or the most generous override among the product's categories
    (the nearest override on each category's path wins)."""
    if policy.pk is None:
        return policy.window_days
    overrides = {w.category_id: w.window_days for w in policy.category_windows.all()}
    found = []
    for category in product.categories.all():
        nearest = next((overrides[c.pk] for c in _ancestors(category) if c.pk in overrides), None)
        if nearest is not None:
            found.append(nearest)
    return max(found) if found else policy.window_days


def days_since(when: dt.datetime, market, now: dt.datetime | None = None) -> int:
    """Whole calendar days from `when` to now, both dates in the market's time zone: the day
    of delivery is day 0."""
    zone = ZoneInfo(market.timezone)
    today = timezone.localtime(now or timezone.now(), zone).date()
    return (today - timezone.localtime(when, zone).date()).days


@dataclass
class LineRefund:
    line_id: str
    sku: str
    reason: str
    units: int
    paid_cents: int
    fee_cents: int
    title: str = ""

    @property
    def refund_cents(self) -> int:
        return self.paid_cents - self.fee_cents


@dataclass
class RefundBreakdown:
    currency: str
    lines: list[LineRefund] = field(default_factory=list)
    shipping_cents: int = 0
    label_cents: int = 0
    available_cents: int | None = None

    @property
    def uncapped_cents(self) -> int:
        lines = sum(line.refund_cents for line in self.lines)
        return max(0, lines + self.shipping_cents - self.label_cents)

    @property
    def total_cents(self) -> int:
        if self.available_cents is None:
            return self.uncapped_cents
        return min(self.uncapped_cents, max(0, self.available_cents))

    def as_dict(self) -> dict:
        return {
            "currency": self.currency,
            "lines": [
                {
                    "line_id": line.line_id,
                    "sku": line.sku,
                    "reason": line.reason,
                    "quantity": line.units,
                    "paid": line.paid_cents,
                    "restocking_fee": line.fee_cents,
                    "refund": line.refund_cents,
                }
                for line in self.lines
            ],
            "shipping": self.shipping_cents,
            "return_label": self.label_cents,
            "available": self.available_cents,
            "total": self.total_cents,
        }
