"""Coupon codes: generating them, and putting them on and off carts."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from promotions.engine import CartContext, evaluate, parse_rule
from promotions.engine import results as R
from promotions.engine.rules import CODE_RE, MAX_GENERATE, PATTERN_RE
from promotions.exceptions import (
    CouponExhausted,
    CouponExpired,
    CouponInvalid,
    CouponNotEligible,
    PromotionImportFailed,
)
from promotions.models import CartCoupon, Coupon, Promotion, PromotionStatus
from promotions.selectors import customer_uses
from shop.cache_versions import PROMOTIONS, bump_versions

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
NOT_ELIGIBLE = {
    R.MARKET_NOT_ELIGIBLE,
    R.CHANNEL_NOT_ELIGIBLE,
    R.SEGMENT_NOT_ELIGIBLE,
    R.FIRST_ORDER_ONLY,
    R.CURRENCY_NOT_OFFERED,
}


def normalize_code(code: str) -> str:
    return code.strip().upper()


def create_generated_codes(
    promotion, count: int, pattern: str, uses_allowed: int | None
) -> list[Coupon]:
    if not 1 <= count <= MAX_GENERATE:
        raise PromotionImportFailed([f"count: 1 to {MAX_GENERATE} codes at once"])
    pattern = normalize_code(pattern or "")
    if not PATTERN_RE.match(pattern) or pattern.count("?") < 4:
        raise PromotionImportFailed(
            ["pattern: letters, digits, - and at least four ? (random characters)"]
        )
    codes: set[str] = set()
    for _attempt in range(5):
        while len(codes) < count:
            codes.add("".join(secrets.choice(ALPHABET) if ch == "?" else ch for ch in pattern))
        clash = set(Coupon.objects.filter(code__in=codes).values_list("code", flat=True))
        if not clash:
            break
        codes -= clash
    else:
        raise PromotionImportFailed([f"pattern {pattern}: too few free codes left; add more ?"])
    return Coupon.objects.bulk_create(
        Coupon(promotion=promotion, code=code, uses_allowed=uses_allowed) for code in sorted(codes)
    )


@transaction.atomic
def generate_coupons(
    *, promotion: Promotion, count: int, pattern: str, uses_allowed: int | None = 1, actor=None
) -> list[Coupon]:
    """Create `count` new unique codes for `promotion` from `pattern` (each ? a random
    character), all or none. Raises PromotionImportFailed for a bad count or pattern."""
    created = create_generated_codes(promotion, count, pattern, uses_allowed)
    bump_versions([PROMOTIONS])
    return created


def find_coupon(code: str) -> Coupon:
    code = normalize_code(code or "")
    if not CODE_RE.match(code):
        raise CouponInvalid("That is not a coupon code.")
    coupon = Coupon.objects.select_related("promotion").filter(code=code).first()
    if coupon is None:
        raise CouponInvalid(f"No promotion uses the code {code!r}.")
    return coupon


def check_coupon(
    coupon: Coupon, *, context: CartContext, customer_id=None, email: str = ""
) -> None:
    """Raise the 422 the code deserves on this cart now, or return (the code may go on)."""
    promotion = coupon.promotion
    now = context.now
    if (
        not coupon.is_active
        or promotion.status != PromotionStatus.ACTIVE
        or (promotion.starts_at and now < promotion.starts_at)
        or (promotion.ends_at and now > promotion.ends_at)
    ):
        raise CouponExpired(f"The code {coupon.code} is not valid now.")
    if coupon.exhausted or promotion.exhausted:
        raise CouponExhausted(f"The code {coupon.code} has been used up.")
    if (
        promotion.per_customer
        and customer_uses(promotion.pk, customer_id, email) >= promotion.per_customer
    ):
        raise CouponExhausted(f"You have already used the code {coupon.code}.")
    rule = parse_rule(promotion.rule)
    ctx = CartContext(**{**context.__dict__, "coupon_promotions": frozenset({rule.id})})
    reason = evaluate(ctx, [rule]).reason_of(rule.id)
    if reason == R.SWITCHED_OFF:
        raise CouponExpired(f"The code {coupon.code} is not valid at the moment.")
    if reason in NOT_ELIGIBLE:
        raise CouponNotEligible(
            f"The code {coupon.code} does not apply to this cart ({reason.replace('_', ' ')}).",
            reason=reason,
        )


@transaction.atomic
def attach_coupon(
    *, cart_ref: str, code: str, context: CartContext, customer_id=None, email: str = ""
) -> Coupon:
    """Put `code` on the cart `cart_ref` (again: no change). Raises CouponInvalid,
    CouponExpired, CouponExhausted, CouponNotEligible (API.md)."""
    coupon = find_coupon(code)
    check_coupon(coupon, context=context, customer_id=customer_id, email=email)
    CartCoupon.objects.get_or_create(
        cart_ref=cart_ref, coupon=coupon, defaults={"added_at": timezone.now()}
    )
    return coupon


@transaction.atomic
def detach_coupon(*, cart_ref: str, code: str) -> None:
    """Take `code` off the cart; a code not on it changes nothing."""
    code = normalize_code(code or "")
    if not CODE_RE.match(code):
        return  # no coupon has it (and a NUL in the lookup would be a database error)
    CartCoupon.objects.filter(cart_ref=cart_ref, coupon__code=code).delete()
