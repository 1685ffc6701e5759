"""Coupon codes on a cart: the seam the promotions issue fills.

Until promotions land no code is valid: applying one is refused with `coupon_invalid`
(API.md allows it) and removing one changes nothing. The promotions issue replaces these
bodies with its rule engine (apply_promotion, redeem_promotion) and keeps the signatures.
"""

from __future__ import annotations

from django.db import transaction

from orders.exceptions import CouponInvalid
from orders.models import Cart
from orders.services.cart import _open


@transaction.atomic
def apply_cart_coupon(*, cart: Cart, code: str) -> Cart:
    """Apply the coupon `code` to the cart. Locks the cart.

    Raises CartNotOpen, CouponInvalid (every code, until promotions land).
    """
    _open(cart)
    raise CouponInvalid(f"No promotion uses the code {code[:64]!r}.")


@transaction.atomic
def remove_cart_coupon(*, cart: Cart, code: str) -> Cart:
    """Take the coupon `code` off the cart; a code that is not on it changes nothing.

    Locks the cart. Raises CartNotOpen.
    """
    return _open(cart)
