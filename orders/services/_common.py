"""Helpers the orders services share: named lock querysets and input checks.

Lock order everywhere (STYLE.md section 3): cart -> order -> stock rows (by pk, inside
inventory's services). Nobody takes a cart lock while holding an order lock.
"""

from __future__ import annotations

import uuid

from orders.exceptions import CartNotFound, InvalidCartQuantity
from orders.models import MAX_LINE_QUANTITY, Cart, Order


def lock_cart(cart: Cart) -> Cart:
    """Re-read `cart` under FOR UPDATE (its row only), with market, channel, method joined."""
    try:
        return (
            Cart.objects.select_for_update(of=("self",))
            .select_related("market", "channel", "shipping_method")
            .get(pk=cart.pk)
        )
    except Cart.DoesNotExist:
        raise CartNotFound() from None


def lock_order(order: Order) -> Order:
    """Re-read `order` under FOR UPDATE (its row only)."""
    return Order.objects.select_for_update(of=("self",)).select_related("market").get(pk=order.pk)


def check_line_quantity(quantity, *, field: str = "quantity") -> int:
    """A cart quantity: an int from 1 to 999 (a bool or a string is refused)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidCartQuantity("Quantity must be a whole number.", fields={field: ["Invalid."]})
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise InvalidCartQuantity(
            f"Quantity must be between 1 and {MAX_LINE_QUANTITY}.",
            fields={field: [f"Between 1 and {MAX_LINE_QUANTITY}."]},
        )
    return quantity


def new_event_id(prefix: str) -> str:
    return f"{prefix}:{uuid.uuid4().hex}"
