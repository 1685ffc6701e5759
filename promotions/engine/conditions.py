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
    return rule.matcher.excluded(line)


def is_selected(rule: Rule, line: ContextLine) -> bool:
    """Is the line one the rule's cart_contains names (every line when it names none)?"""
    return rule.matcher.selected(line)


class LineIndex:
    """The lines of one cart, with the selections and exclusions rules asked for so far:
    rules that name the same categories/products/SKUs (or exclude the same) share one pass
    over the lines; category selections come from a category -> lines index."""

    def __init__(self, lines: tuple[ContextLine, ...]):
        self.lines = lines
        self.by_category: dict[str, list[int]] = {}
        for i, ln in enumerate(lines):
            for c in ln.categories:
                self.by_category.setdefault(c, []).append(i)
        self._selected: dict = {}
        self._kept: dict = {}

    def selected(self, m) -> tuple[ContextLine, ...]:
        found = self._selected.get(m.sel_key)
        if found is None:
            if not m.selects:
                found = self.lines
            elif not m.sel_products and m.sel_sku is None:
                hits = {i for c in m.sel_categories for i in self.by_category.get(c, ())}
                found = tuple(self.lines[i] for i in sorted(hits))
            else:
                found = tuple(ln for ln in self.lines if m.selected(ln))
            self._selected[m.sel_key] = found
        return found

    def kept(self, m) -> tuple[ContextLine, ...]:
        """The lines the rule does not exclude."""
        found = self._kept.get(m.ex_key)
        if found is None:
            found = tuple(ln for ln in self.lines if not m.excluded(ln))
            self._kept[m.ex_key] = found
        return found


@dataclass(frozen=True)
class Eligibility:
    reason: str | None  # None: the rule holds
    matching: tuple[ContextLine, ...] = ()  # lines a matching_lines action discounts
    discountable: tuple[ContextLine, ...] = ()  # every line it may discount (not excluded)
    amount_needed_cents: int | None = None
    quantity_needed: int | None = None


def check(rule: Rule, ctx: CartContext, index: LineIndex | None = None) -> Eligibility:
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

    m = rule.matcher
    index = index or LineIndex(ctx.lines)
    selected = index.selected(m)
    cc = cond.cart_contains
    if cc.selects_lines and not selected:
        return Eligibility(R.CART_CONTAINS_NOT_MET)
    discountable = index.kept(m)
    if len(selected) == len(ctx.lines):
        matching = discountable
    else:
        keep = {id(ln) for ln in discountable}
        matching = tuple(ln for ln in selected if id(ln) in keep)
    if action.type == "free_gift":
        # The gift itself never counts towards the conditions that earn it.
        def not_gift(lines):
            return tuple(ln for ln in lines if ln.sku != action.gift_sku)

        selected, discountable, matching = (
            not_gift(selected),
            not_gift(discountable),
            not_gift(matching),
        )
        if cc.selects_lines and not selected:
            return Eligibility(R.CART_CONTAINS_NOT_MET)
    counted = ctx.lines if rule.exclusions.count_towards_conditions else discountable
    counted_matching = selected if counted is ctx.lines else list(matching)
    if cc.selects_lines and not counted_matching:
        return Eligibility(R.EXCLUDED)
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
