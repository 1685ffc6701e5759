"""Coupon codes on a cart: put on and taken off through the promotions app.

A cart may carry several codes; each one's promotion is then evaluated under the stacking
rules like any other (docs/promotions.md). Applying checks the code against the cart now:
unknown -> coupon_invalid; not running (not started, ended, paused, switched off) ->
coupon_expired; used up (code, promotion, budget, or this customer's uses) ->
coupon_exhausted; the cart's market, channel, segment or currency does not qualify ->
coupon_not_eligible. A code whose promotion wants more in the cart (a minimum subtotal)
goes on, and the cart says what is missing (`promotions_not_applied`).
"""

from __future__ import annotations

from django.db import transaction

from orders.models import Cart
from orders.pricing import price_cart
from orders.promotions import CartPromotions
from orders.services.cart import _open
from promotions import services as promotions


@transaction.atomic
def apply_cart_coupon(*, cart: Cart, code: str) -> Cart:
    """Apply the coupon `code` to the cart (again: no change). Locks the cart.

    Raises CartNotOpen, CouponInvalid, CouponExpired, CouponExhausted, CouponNotEligible.
    """
    cart = _open(cart)
    hook = CartPromotions(cart)
    price_cart(cart=cart, with_tax=False, promotions=hook)
    promotions.attach_coupon(
        cart_ref=cart.public_id,
        code=code,
        context=hook.context,
        customer_id=cart.customer_id,
        email=cart.email,
    )
    CartPromotions.forget_reads(cart)  # priced above without the code it now has
    return cart


@transaction.atomic
def remove_cart_coupon(*, cart: Cart, code: str) -> Cart:
    """Take the coupon `code` off the cart; a code that is not on it changes nothing.

    Locks the cart. Raises CartNotOpen.
    """
    cart = _open(cart)
    promotions.detach_coupon(cart_ref=cart.public_id, code=code)
    CartPromotions.forget_reads(cart)
    return cart
