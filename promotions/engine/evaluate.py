"""evaluate(context, rules) -> PromotionResult: conditions, stacking, actions, in that order."""

from __future__ import annotations

from collections.abc import Iterable

from promotions.engine import results as R
from promotions.engine.actions import compute, offer_text
from promotions.engine.allocation import cap_parts
from promotions.engine.conditions import LineIndex, check
from promotions.engine.context import CartContext
from promotions.engine.results import AppliedPromotion, NotApplied, PromotionResult
from promotions.engine.rules import Rule
from promotions.engine.stacking import choose, rank_key


def evaluate(ctx: CartContext, rules: Iterable[Rule]) -> PromotionResult:
    """Every rule either applies (with its cents per line and on shipping) or has a reason.

    Winners apply in ranked order, each on what the lines have left after the ones before,
    so line discounts never exceed a line's amount; `max_combined_discount_cents` caps the
    sum of line discounts across winners.
    """
    full = {ln.key: ln.amount_cents for ln in ctx.lines}
    not_applied: list[NotApplied] = []
    eligible: list[tuple[tuple, Rule, object]] = []
    index = LineIndex(ctx.lines)
    for rule in rules:
        elig = check(rule, ctx, index)
        if elig.reason is not None:
            not_applied.append(
                _miss(rule, ctx, elig.reason, elig.amount_needed_cents, elig.quantity_needed)
            )
            continue
        alone, reason = compute(rule, ctx, elig, full)
        if alone is None:
            qty = None
            if reason == R.MIN_QUANTITY_NOT_MET:
                a = rule.action
                units = sum(ln.quantity for ln in elig.matching)
                qty = a.buy_quantity + a.get_quantity - units
            not_applied.append(_miss(rule, ctx, reason, None, qty))
            continue
        eligible.append((rank_key(rule, alone.amount_cents), rule, elig))
    eligible.sort(key=lambda item: item[0])
    by_id = {rule.id: (rule, elig) for _, rule, elig in eligible}
    winners, conflicts = choose([rule for _, rule, _ in eligible])
    for loser, winner in conflicts.items():
        not_applied.append(_miss(by_id[loser][0], ctx, R.NOT_STACKABLE_PREFIX + winner))

    remaining = dict(full)
    cap_left = ctx.max_combined_discount_cents
    applied: list[AppliedPromotion] = []
    budgets = dict(ctx.budget_left)
    for rule in winners:
        got, reason = compute(rule, ctx, by_id[rule.id][1], remaining)
        if got is not None and rule.id in budgets and got.amount_cents > budgets[rule.id]:
            got = _capped(got, budgets[rule.id])
            if got is None:
                reason = R.LIMIT_REACHED
        if got is not None and cap_left is not None and got.lines_cents > cap_left:
            parts = cap_parts(list(got.line_discounts), cap_left)
            got = AppliedPromotion(
                got.promotion_id,
                got.name,
                got.applies_to,
                tuple(parts),
                got.shipping_discount_cents,
                got.free_shipping,
                got.gift_sku,
            )
            if (
                not parts
                and not got.shipping_discount_cents
                and not got.free_shipping
                and not got.gift_sku
            ):
                got, reason = None, R.ORDER_CAP_REACHED
        if got is None:
            not_applied.append(_miss(rule, ctx, reason or R.NOTHING_TO_DISCOUNT))
            continue
        for key, cents in got.line_discounts:
            remaining[key] -= cents
        if cap_left is not None:
            cap_left -= got.lines_cents
        applied.append(got)
    not_applied.sort(key=lambda m: m.promotion_id)
    return PromotionResult(applied=tuple(applied), not_applied=tuple(not_applied))


def _capped(got: AppliedPromotion, left: int) -> AppliedPromotion | None:
    """The promotion's discount cut down to what its budget has left (lines first)."""
    if left <= 0:
        return None
    parts = cap_parts(list(got.line_discounts), left)
    lines = sum(c for _, c in parts)
    shipping = min(got.shipping_discount_cents, left - lines)
    return AppliedPromotion(
        got.promotion_id,
        got.name,
        got.applies_to,
        tuple(parts),
        shipping,
        got.free_shipping and shipping == got.shipping_discount_cents and lines < left,
        got.gift_sku,
    )


def _miss(rule: Rule, ctx: CartContext, reason: str, needed=None, qty=None) -> NotApplied:
    return NotApplied(
        promotion_id=rule.id,
        name=rule.name,
        reason=reason,
        offer=offer_text(rule, ctx.currency) if reason in R.ACTIONABLE else "",
        amount_needed_cents=needed,
        quantity_needed=qty,
    )
