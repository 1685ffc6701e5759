"""Counting promotion uses at order placement, and giving them back on cancellation.

Both lock the promotion rows (by primary key order), then the coupon rows, so concurrent
checkouts queue on the rows they share and a limit can never be exceeded: the 6th checkout
for a code limited to 5 waits, then reads 5 uses and is refused with coupon_exhausted.
Lock order with the rest of checkout: order -> promotion -> stock (STYLE.md); placement
reserves stock before it redeems, so callers hold stock, then promotion — the same order
cancellation takes (it releases stock first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from promotions.exceptions import CouponExhausted
from promotions.models import (
    CartCoupon,
    Coupon,
    Promotion,
    PromotionStatus,
    Redemption,
    RedemptionStatus,
)
from shop.cache_versions import PROMOTIONS, bump_versions


@dataclass(frozen=True)
class Granted:
    """What one promotion gave one order, as listed."""

    promotion_id: str
    lines_cents: int
    shipping_cents: int = 0
    lines: dict = field(default_factory=dict)  # {sku: cents}
    gift_sku: str = ""  # free_gift: the gift line the order got (at zero price)

    @property
    def amount_cents(self) -> int:
        return self.lines_cents + self.shipping_cents


def redeem_promotions(
    *,
    order_ref: str,
    cart_ref: str,
    granted: list[Granted],
    currency: str,
    customer_id=None,
    email: str = "",
) -> list[Redemption]:
    """Count each granted promotion (and the cart's code for it) against its limits, under
    row locks, inside the caller's transaction. Raises CouponExhausted when a limit or budget
    is spent by now: the caller rolls back the whole placement."""
    if not granted:
        return []
    with transaction.atomic():
        ids = sorted({g.promotion_id for g in granted})
        promotions = {
            p.pk: p
            for p in Promotion.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        on_cart = {
            cc.coupon.promotion_id: cc.coupon_id
            for cc in CartCoupon.objects.filter(
                cart_ref=cart_ref, coupon__promotion_id__in=ids
            ).select_related("coupon")
        }
        coupons = {
            c.pk: c
            for c in Coupon.objects.select_for_update()
            .filter(pk__in=on_cart.values())
            .order_by("pk")
        }
        redemptions, exhausted_now = [], False
        for g in sorted(granted, key=lambda g: g.promotion_id):
            promotion = promotions.get(g.promotion_id)
            if promotion is None or promotion.status != PromotionStatus.ACTIVE:
                raise CouponExhausted(
                    f"The promotion {g.promotion_id} has ended; review your cart."
                )
            coupon = coupons.get(on_cart.get(g.promotion_id))
            _check_limits(promotion, coupon, g, customer_id, email)
            promotion.uses_count += 1
            promotion.discount_given_cents += g.amount_cents
            promotion.save(update_fields=["uses_count", "discount_given_cents", "updated_at"])
            if coupon is not None:
                coupon.uses_count += 1
                coupon.save(update_fields=["uses_count"])
                exhausted_now |= coupon.exhausted
            # A budget is read by every cart (it caps the discount): show them what is left.
            exhausted_now |= promotion.exhausted or promotion.budget_cents is not None
            redemptions.append(
                Redemption(
                    promotion=promotion,
                    coupon=coupon,
                    order_ref=order_ref,
                    customer_id=customer_id,
                    email=email or "",
                    currency=currency,
                    amount_cents=g.amount_cents,
                    lines=g.lines,
                    shipping_cents=g.shipping_cents,
                    gift_sku=g.gift_sku,
                )
            )
        Redemption.objects.bulk_create(redemptions)
        if exhausted_now:
            bump_versions([PROMOTIONS])
    return redemptions


def _check_limits(promotion, coupon, g: Granted, customer_id, email) -> None:
    name = f"the code {coupon.code}" if coupon else f"the promotion {promotion.name}"
    if coupon is not None and (coupon.exhausted or not coupon.is_active):
        raise CouponExhausted(f"{name.capitalize()} has been used up.", promotion=promotion.pk)
    if promotion.total_uses is not None and promotion.uses_count >= promotion.total_uses:
        raise CouponExhausted(f"{name.capitalize()} has been used up.", promotion=promotion.pk)
    if (
        promotion.budget_cents is not None
        and promotion.discount_given_cents + g.amount_cents > promotion.budget_cents
    ):
        # Another checkout spent some of the budget since this cart was priced: refuse (the
        # bump below on the other's commit already shows this cart what is left).
        left = max(0, promotion.budget_cents - promotion.discount_given_cents)
        raise CouponExhausted(
            f"The budget of {name} is spent."
            if left == 0
            else f"The budget of {name} has changed; review your cart and place the order again.",
            promotion=promotion.pk,
        )
    if promotion.per_customer and (customer_id or email):
        who = Q(customer_id=customer_id) if customer_id else Q()
        if email:
            who |= Q(email__iexact=email)
        used = Redemption.objects.filter(
            who, promotion=promotion, status=RedemptionStatus.COUNTED
        ).count()
        if used >= promotion.per_customer:
            raise CouponExhausted(f"You have already used {name}.", promotion=promotion.pk)


def return_redemptions(*, order_ref: str) -> int:
    """Give back the uses (and budget) an order counted, when it is cancelled. Idempotent:
    returns how many redemptions were given back now."""
    with transaction.atomic():
        ids = list(
            Redemption.objects.filter(
                order_ref=order_ref, status=RedemptionStatus.COUNTED
            ).values_list("promotion_id", flat=True)
        )
        if not ids:
            return 0
        promotions = {
            p.pk: p
            for p in Promotion.objects.select_for_update()
            .filter(pk__in=sorted(ids))
            .order_by("pk")
        }
        rows = list(
            Redemption.objects.select_for_update()
            .filter(order_ref=order_ref, status=RedemptionStatus.COUNTED)
            .order_by("pk")
        )
        coupon_ids = sorted({r.coupon_id for r in rows if r.coupon_id})
        coupons = {
            c.pk: c
            for c in Coupon.objects.select_for_update().filter(pk__in=coupon_ids).order_by("pk")
        }
        was_exhausted = any(
            p.exhausted or p.budget_cents is not None for p in promotions.values()
        ) or any(c.exhausted for c in coupons.values())
        for r in rows:
            p = promotions[r.promotion_id]
            p.uses_count = max(0, p.uses_count - 1)
            p.discount_given_cents = max(0, p.discount_given_cents - r.amount_cents)
            p.save(update_fields=["uses_count", "discount_given_cents", "updated_at"])
            if r.coupon_id:
                c = coupons[r.coupon_id]
                c.uses_count = max(0, c.uses_count - 1)
                c.save(update_fields=["uses_count"])
            r.status, r.returned_at = RedemptionStatus.RETURNED, timezone.now()
            r.save(update_fields=["status", "returned_at"])
        if was_exhausted:
            bump_versions([PROMOTIONS])
        return len(rows)
