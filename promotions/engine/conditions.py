"""Does a rule hold for a cart, and if not, the first reason why."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from promotions.engine import results as R
from promotions.engine.context import CartContext, ContextLine
from promotions.engine.rules import Rule


def sku_matches(sku: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(sku, p) for p in patterns)


def is_excluded(rule: Rule, line: ContextLine) -> bool:
    ex = rule.exclusions
    return (
        (ex.variants and sku_matches(line.sku, ex.variants))
        or (ex.products and line.product in ex.products)
        or (ex.categories and not line.categories.isdisjoint(ex.categories))
        or (ex.sale_items and line.on_sale)
    )


def is_selected(rule: Rule, line: ContextLine) -> bool:
    """Is the line one the rule's cart_contains names (every line when it names none)?"""
    cc = rule.conditions.cart_contains
    if not cc.selects_lines:
        return True
    return (
        not line.categories.isdisjoint(cc.any_of_categories + cc.all_of_categories)
        or line.product in cc.any_of_products + cc.all_of_products
        or sku_matches(line.sku, cc.any_of_skus + cc.all_of_skus)
    )


@dataclass(frozen=True)
class Eligibility:
    reason: str | None  # None: the rule holds
    matching: tuple[ContextLine, ...] = ()  # lines a matching_lines action discounts
    discountable: tuple[ContextLine, ...] = ()  # every line it may discount (not excluded)
    amount_needed_cents: int | None = None
    quantity_needed: int | None = None


def check(rule: Rule, ctx: CartContext) -> Eligibility:
    cond = rule.conditions
    if rule.status != "active":
        return Eligibility(R.NOT_ACTIVE)
    if rule.id in ctx.switched_off:
        return Eligibility(R.SWITCHED_OFF)
    if not rule.live_at(ctx.now):
        return Eligibility(R.OUTSIDE_WINDOW)
    if cond.markets and ctx.market not in cond.markets:
        return Eligibility(R.MARKET_NOT_ELIGIBLE)
    if cond.channels and ctx.channel not in cond.channels:
        return Eligibility(R.CHANNEL_NOT_ELIGIBLE)
    if cond.customer_segment and ctx.segments.isdisjoint(cond.customer_segment):
        return Eligibility(R.SEGMENT_NOT_ELIGIBLE)
    if cond.first_order_only and not ctx.is_first_order:
        return Eligibility(R.FIRST_ORDER_ONLY)
    if cond.coupon_required and rule.id not in ctx.coupon_promotions:
        return Eligibility(R.COUPON_REQUIRED)
    if rule.id in ctx.limit_reached:
        return Eligibility(R.LIMIT_REACHED)
    action = rule.action
    if action.type in ("fixed_off", "fixed_price") and action.amount_in(ctx.currency) is None:
        return Eligibility(R.CURRENCY_NOT_OFFERED)
    if action.shipping_methods and ctx.shipping_method not in action.shipping_methods:
        return Eligibility(R.SHIPPING_METHOD_NOT_ELIGIBLE)

    discountable = tuple(ln for ln in ctx.lines if not is_excluded(rule, ln))
    counted = ctx.lines if rule.exclusions.count_towards_conditions else discountable
    counted_matching = [ln for ln in counted if is_selected(rule, ln)]
    matching = tuple(ln for ln in discountable if is_selected(rule, ln))
    cc = cond.cart_contains
    if cc.selects_lines and not counted_matching:
        named_but_excluded = any(is_selected(rule, ln) for ln in ctx.lines)
        return Eligibility(R.EXCLUDED if named_but_excluded else R.CART_CONTAINS_NOT_MET)
    if not _all_of_present(cc, counted_matching):
        return Eligibility(R.CART_CONTAINS_NOT_MET)
    quantity = sum(ln.quantity for ln in counted_matching)
    if cc.selects_lines and quantity < cc.min_quantity:
        return Eligibility(R.MIN_QUANTITY_NOT_MET, quantity_needed=cc.min_quantity - quantity)
    if cond.min_subtotal_cents:
        base = counted_matching if cond.min_subtotal_of == "matching_lines" else counted
        subtotal = sum(ln.amount_cents for ln in base)
        if subtotal < cond.min_subtotal_cents:
            return Eligibility(
                R.MIN_SUBTOTAL_NOT_MET, amount_needed_cents=cond.min_subtotal_cents - subtotal
            )
    if action.applies_to != "shipping" and not (
        matching if action.applies_to == "matching_lines" else discountable
    ):
        return Eligibility(R.EXCLUDED if ctx.lines else R.NOTHING_TO_DISCOUNT)
    return Eligibility(None, matching=matching, discountable=discountable)


def _all_of_present(cc, lines) -> bool:
    return (
        all(any(c in ln.categories for ln in lines) for c in cc.all_of_categories)
        and all(any(ln.product == p for ln in lines) for p in cc.all_of_products)
        and all(any(fnmatchcase(ln.sku, s) for ln in lines) for s in cc.all_of_skus)
    )
