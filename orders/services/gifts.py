"""Free gift lines at placement (promotions' `free_gift`, see orders.promotions).

A gift line is reserved for the order like any line, but on its own and after the bought
lines: those are all or nothing, the gift only "while stock lasts". When its unit is gone by
placement (another buyer took it since the cart was priced), the order is placed without it,
the cart is priced again without it (its weight may have changed the shipping rate) and the
order's `promotion_notes` say why ("gift out of stock").
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from inventory import services as inventory
from inventory.exceptions import InsufficientStock
from inventory.models import ReservationKind
from orders import conf
from orders.models import Cart
from orders.pricing import CartPricing
from orders.quote import QuotedLine
from promotions.engine import results as R

GIFT_OUT_OF_STOCK = "gift out of stock"


def reserve_gifts(
    *, cart: Cart, pricing: CartPricing, owner: str, reprice: Callable[[Cart], CartPricing]
) -> CartPricing:
    """Reserve each gift line for `owner`, each in its own savepoint; return the pricing the
    order is made from (priced again without the gifts that could not be reserved).

    Call inside the placement transaction, after the bought lines were reserved (the stock
    rows of the gift variant are locked by reserve_stock, in pk order, like any line's).
    """
    withheld = set()
    for q in pricing.quote.lines:
        if not q.gift_of:
            continue
        try:
            with transaction.atomic():
                inventory.reserve_stock(
                    lines=[(pricing.gifts[q.key], q.quantity)],
                    market=cart.market,
                    owner=owner,
                    ttl=conf.order_hold_ttl(cart.market),
                    kind=ReservationKind.SOFT,
                )
        except InsufficientStock:
            withheld.add(q.gift_of)
    if not withheld:
        return pricing
    cart.gifts_withheld = frozenset(withheld)
    return reprice(cart)


def gift_snapshot(pricing: CartPricing, q: QuotedLine) -> dict:
    """What the order line keeps of a gift's variant (orders.services.placement._snapshot)."""
    variant = pricing.gifts[q.key]
    return {
        "variant": variant,
        "sku": variant.sku,
        "title": variant.product.title,
        "variant_title": variant.title or "",
        "option_values": {},
        "weight_grams": variant.weight_grams or 0,
        "gift_promotion": q.gift_of,
    }


def promotion_notes(cart: Cart) -> list[dict]:
    """[{promotion, name, reason}] for the gifts the order does not get."""
    return [
        {"promotion": miss.promotion_id, "name": miss.name, "reason": GIFT_OUT_OF_STOCK}
        for miss in getattr(cart, "promotion_gift_misses", [])
        if miss.reason == R.GIFT_OUT_OF_STOCK
    ]
