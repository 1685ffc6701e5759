"""How much a rule takes off, given what each line has left after the rules applied before it."""

from __future__ import annotations

from collections.abc import Mapping

from promotions.engine import results as R
from promotions.engine.allocation import cap_parts, spread
from promotions.engine.conditions import Eligibility
from promotions.engine.context import CartContext
from promotions.engine.results import AppliedPromotion
from promotions.engine.rules import Rule
from shop.money import Money


def _percent(cents: int, percent: int) -> int:
    return (cents * percent + 50) // 100  # half up; never above cents for percent <= 100


def compute(
    rule: Rule, ctx: CartContext, elig: Eligibility, remaining: Mapping[str, int]
) -> tuple[AppliedPromotion | None, str | None]:
    """The discount `rule` grants on `remaining` ({line key: cents left}), or a reason."""
    a = rule.action
    lines = elig.matching if a.applies_to == "matching_lines" else elig.discountable
    keys = [ln.key for ln in lines]
    base = sum(remaining.get(k, 0) for k in keys)
    parts: list[tuple[str, int]] = []
    shipping = 0
    free_shipping = False
    gift = None
    if a.type == "percent_off":
        parts = spread(_percent(base, a.value), keys, remaining)
    elif a.type == "fixed_off":
        amount = a.amount_in(ctx.currency) or 0
        if a.applies_to == "shipping":
            shipping = amount if ctx.shipping_cents is None else min(amount, ctx.shipping_cents)
        else:
            parts = spread(amount, keys, remaining)
    elif a.type == "fixed_price":
        price = a.amount_in(ctx.currency) or 0
        parts = [
            (
                ln.key,
                min(
                    remaining.get(ln.key, 0),
                    max(0, remaining.get(ln.key, 0) - price * ln.quantity),
                ),
            )
            for ln in lines
        ]
    elif a.type == "buy_x_get_y":
        group = a.buy_quantity + a.get_quantity
        units = sum(ln.quantity for ln in lines)
        free_units = (units // group) * a.get_quantity
        if free_units == 0:
            return None, R.MIN_QUANTITY_NOT_MET
        for ln in sorted(lines, key=lambda ln: (ln.unit_price_cents, ln.key)):
            if free_units <= 0:
                break
            n = min(free_units, ln.quantity)
            free_units -= n
            parts.append(
                (
                    ln.key,
                    min(
                        remaining.get(ln.key, 0),
                        _percent(n * ln.unit_price_cents, a.get_percent_off or 100),
                    ),
                )
            )
    elif a.type == "free_shipping":
        free_shipping = True
        shipping = ctx.shipping_cents or 0
    elif a.type == "free_gift":
        # One unit of the gift SKU, added by the cart (orders.promotions) at zero price while
        # stock lasts: the engine only says it is earned; it never reads stock.
        gift = a.gift_sku
    parts = [(k, c) for k, c in parts if c > 0]
    if a.max_discount_cents is not None:
        parts = cap_parts(parts, a.max_discount_cents)
        shipping = min(shipping, a.max_discount_cents)
    if not parts and not shipping and not free_shipping and not gift:
        return None, R.NOTHING_TO_DISCOUNT
    return AppliedPromotion(
        promotion_id=rule.id,
        name=rule.name,
        applies_to=a.applies_to,
        line_discounts=tuple(parts),
        shipping_discount_cents=shipping,
        free_shipping=free_shipping,
        gift_sku=gift,
    ), None


def offer_text(rule: Rule, currency: str) -> str:
    """What the shopper would get, in words: "15% off hoodies and tees"."""
    a = rule.action
    cc = rule.conditions.cart_contains
    named = cc.any_of_categories or cc.any_of_products or ()
    what = named[0] if named else ""
    if len(named) > 1:
        what = ", ".join(named[:-1]) + " and " + named[-1]
    on = (
        f" {what}"
        if what and a.applies_to == "matching_lines"
        else (" your order" if a.applies_to == "order" else "")
    )
    if a.type == "percent_off":
        return f"{a.value}% off{on}"
    if a.type == "fixed_off":
        amount = a.amount_in(currency)
        if a.applies_to == "shipping":
            return f"{Money(amount or 0, currency)} off shipping"
        return f"{Money(amount or 0, currency)} off{on}"
    if a.type == "fixed_price":
        return f"{what or 'items'} for {Money(a.amount_in(currency) or 0, currency)} each"
    if a.type == "buy_x_get_y":
        got = "free" if (a.get_percent_off or 100) == 100 else f"{a.get_percent_off}% off"
        return f"buy {a.buy_quantity}, get {a.get_quantity} {got}"
    if a.type == "free_shipping":
        return "free shipping"
    if a.type == "free_gift":
        return "a free gift"
    return rule.name
