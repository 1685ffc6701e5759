"""Helpers the orders services share: named lock querysets and input checks.

Lock order everywhere (STYLE.md section 3): cart -> order -> stock rows (by pk, inside
inventory's services). Nobody takes a cart lock while holding an order lock. Locks go
through shop.locks (lock_rows, lock_compiled), so a row held too long is a LockTimeout (409),
not a hang.
"""

from __future__ import annotations

import uuid

from orders.exceptions import CartNotFound, InvalidCartQuantity
from orders.models import MAX_LINE_QUANTITY, Cart, Order
from orders.promotions import cart_facts
from shop.compiled import CompiledQuery
from shop.locks import lock_compiled

# Every cart write takes this lock: compiled once per connection (shop.compiled).
_CART_FOR_UPDATE = CompiledQuery(
    lambda pk: (
        Cart.objects.select_for_update(of=("self",))
        .select_related("market", "channel", "shipping_method", "order")
        .annotate(**cart_facts())
        .filter(pk=pk)[:1]
    ),
    pk=int,
)


def lock_cart(cart: Cart) -> Cart:
    """Re-read `cart` under FOR UPDATE (its row only), with market, channel, method and its
    order (if any) joined in the same query.

    A plain FOR UPDATE, without lock_rows' deadline: only the cart's own buyer contends for
    it (a double submit waits for the first, a short transaction), and the stock locks that
    follow set the transaction's lock_timeout themselves.
    """
    cart = next(_CART_FOR_UPDATE.objects(pk=cart.pk), None)
    if cart is None:
        raise CartNotFound()
    return cart


# Every payment, transition and shipment takes this lock: compiled once (shop.compiled).
_ORDER_FOR_UPDATE = CompiledQuery(
    lambda pk: (
        Order.objects.filter(pk=pk).select_related("market").select_for_update(of=("self",))
    ),
    pk=int,
)


def lock_order(order: Order) -> Order:
    """Re-read `order` under FOR UPDATE (its row only, market joined), waiting at most
    DB_LOCK_TIMEOUT_MS (LockTimeout).

    Anything else about the order must be read by statements after this one: PostgreSQL
    re-reads the locked row after a wait, but not the rows of other tables in the query.
    """
    (locked,) = lock_compiled(_ORDER_FOR_UPDATE, pk=order.pk)
    return locked


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
