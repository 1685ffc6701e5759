"""The cart and order shapes of API.md, built from a priced cart and from an order.

Money is `{"amount", "currency"}`. The cart's amounts come from orders.quote on today's
prices, so they reconcile the way the quote guarantees:
    total = subtotal - discount_total + shipping_total + tax_total
    line.total = line.subtotal - line.discount + line.tax
and a line's `discounts` sum to its `discount` (net of included tax, like `subtotal`).
"""

from __future__ import annotations

from orders.exceptions import InvalidShippingMethod
from orders.links import order_url
from orders.models import Cart, Order, OrderEvent
from orders.pricing import CartPricing, price_cart
from orders.promotions import promotions_not_applied
from orders.quote import QuotedLine
from shop.money import allocate

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")


def money(cents: int, currency: str) -> dict:
    return {"amount": cents, "currency": currency}


def _address(stored: dict) -> dict | None:
    if not stored:
        return None
    return {field: stored.get(field) or "" for field in ADDRESS_FIELDS}


def price_for_display(cart: Cart) -> CartPricing:
    """Price the cart as it stands. A chosen method that stopped shipping to the address
    (the rate tables changed since) is shown as not chosen rather than refusing the read.
    Raises TaxUnavailable (503) when tax cannot be quoted for the address.

    Lines a checkout service read under the cart's lock in this request (`cart.lines_read`)
    are priced as they are, not read a second time."""
    lines = cart.lines_read
    try:
        return price_cart(cart=cart, lines=lines)
    except InvalidShippingMethod:
        chosen, cart.shipping_method = cart.shipping_method, None
        try:
            return price_cart(cart=cart, lines=lines)
        finally:
            cart.shipping_method = chosen


def _net_discounts(quoted: QuotedLine, currency: str) -> list[dict]:
    # Promotions grant amounts as listed; where prices include tax the line's discount is
    # stored net, so the parts are re-split to sum exactly to it.
    parts = [amount for _promotion, amount in quoted.discounts]
    if not parts:
        return []
    net = allocate(quoted.net_discount_cents, parts)
    return [
        {"promotion": promotion, "amount": money(cents, currency)}
        for (promotion, _listed), cents in zip(quoted.discounts, net, strict=True)
    ]


def cart_data(cart: Cart, pricing: CartPricing | None = None) -> dict:
    """The API's cart shape; prices the cart unless `pricing` is given."""
    pricing = pricing or price_for_display(cart)
    quote, currency = pricing.quote, cart.currency
    by_key = pricing.line_by_key
    lines = []
    for q in quote.lines:
        gift = pricing.gifts.get(q.key) if q.gift_of else None
        line = by_key[q.key] if gift is None else None
        lines.append(
            {
                "id": q.key,
                "sku": q.sku,
                "title": (gift or line.variant).product.title,
                "variant_title": line.variant_title if gift is None else gift.title or "",
                "gift": bool(q.gift_of),
                "gift_promotion": q.gift_of or None,
                "quantity": q.quantity,
                "unit_price": money(q.unit_price_cents, currency),
                "subtotal": money(q.subtotal_cents, currency),
                "discounts": _net_discounts(q, currency),
                "discount": money(q.net_discount_cents, currency),
                "tax": money(q.tax_cents, currency),
                "total": money(q.total_cents, currency),
            }
        )
    unavailable = set(pricing.unavailable_skus)
    chosen = quote.shipping_option
    # An open cart has no order (placing one converts the cart): no need to ask the database.
    order = None if cart.is_open else getattr(cart, "order", None)
    return {
        "id": cart.public_id,
        "status": cart.status,
        "order": order.public_id if order else None,
        "market": cart.market.code,
        "channel": cart.channel.code,
        "currency": currency,
        "email": cart.email,
        "lines": lines,
        "unavailable_lines": [
            {
                "id": line.public_id,
                "sku": line.variant.sku,
                "title": line.variant.product.title,
                "quantity": line.quantity,
            }
            for line in pricing.lines
            if line.variant.sku in unavailable
        ],
        "promotions": [
            {"id": a.promotion_id, "name": a.name, "amount": money(a.amount_cents, currency)}
            for a in quote.adjustments
        ],
        "promotions_not_applied": promotions_not_applied(pricing.cart),
        "price_changes": [
            {"line_id": change.key, **change.as_dict()} for change in pricing.price_changes
        ],
        "subtotal": money(quote.subtotal_cents, currency),
        "discount_total": money(quote.discount_total_cents, currency),
        "shipping_total": money(quote.shipping_total_cents, currency),
        "tax_total": money(quote.tax_total_cents, currency),
        "total": money(quote.total_cents, currency),
        "prices_include_tax": quote.prices_include_tax,
        "shipping_address": _address(cart.shipping_address),
        "shipping_method": chosen.code if chosen else None,
        "shipping_rates": [
            {
                "code": option.code,
                "name": option.name,
                "price": money(option.price_cents, option.currency),
                "min_days": option.min_days,
                "max_days": option.max_days,
            }
            for option in quote.shipping_options
        ],
    }


def _actor(event: OrderEvent, order: Order) -> str:
    if event.actor_id is not None:
        return "customer" if event.actor_id == order.customer_id else "staff"
    return event.actor_label or "system"


def shipment_data(shipment) -> dict:
    """The API's shipment shape. Reads `shipment.lines` with their order lines and
    `shipment.location` (orders.selectors prefetches them)."""
    return {
        "id": shipment.public_id,
        "order": shipment.order.public_id,
        "status": shipment.status,
        "location": shipment.location.code,
        "carrier": shipment.carrier or None,
        "carrier_name": shipment.carrier_name or None,
        "tracking_number": shipment.tracking_number or None,
        "tracking_url": shipment.tracking_url or None,
        "lines": [
            {
                "line_id": sl.order_line.public_id,
                "sku": sl.order_line.sku,
                "title": sl.order_line.title,
                "quantity": sl.quantity,
            }
            for sl in shipment.lines.all()
        ],
        "captured": money(shipment.captured_cents, shipment.order.currency),
        "created_at": shipment.created_at,
        "shipped_at": shipment.shipped_at,
        "delivered_at": shipment.delivered_at,
        "cancelled_at": shipment.cancelled_at,
    }


def order_data(order: Order) -> dict:
    """The API's order shape. Reads `order.lines`, `order.events` and `order.shipments`
    (prefetch them)."""
    currency = order.currency
    return {
        "id": order.public_id,
        "reference": order.reference,
        "status": order.status,
        "payment_status": order.payment_status,
        "email": order.email,
        "market": order.market.code,
        "currency": currency,
        "lines": [
            {
                "id": line.public_id,
                "sku": line.sku,
                "title": line.title,
                "variant_title": line.variant_title,
                "quantity": line.quantity,
                "gift": bool(line.gift_promotion),
                "gift_promotion": line.gift_promotion or None,
                "unit_price": money(line.unit_price_cents, currency),
                "subtotal": money(line.subtotal_cents, currency),
                "discount": money(line.discount_cents, currency),
                "tax": money(line.tax_cents, currency),
                "total": money(line.total_cents, currency),
                "quantity_fulfilled": line.quantity_fulfilled,
                "quantity_cancelled": line.quantity_cancelled,
                "quantity_returned": line.quantity_returned,
            }
            for line in order.lines.all()
        ],
        "subtotal": money(order.subtotal_cents, currency),
        "discount_total": money(order.discount_total_cents, currency),
        "shipping_total": money(order.shipping_total_cents, currency),
        "tax_total": money(order.tax_total_cents, currency),
        "total": money(order.total_cents, currency),
        "refunded_total": money(order.refunded_total_cents, currency),
        "promotion_notes": order.promotion_notes,
        "prices_include_tax": order.prices_include_tax,
        "shipping_address": _address(order.shipping_address) or _address({"country": ""}),
        "shipping_method": {
            "code": order.shipping_method_code,
            "name": order.shipping_method_name,
        },
        "shipments": [shipment_data(shipment) for shipment in order.shipments.all()],
        "events": [
            {
                "type": event.type,
                "from": event.from_status,
                "to": event.to_status,
                "payment_from": event.from_payment_status,
                "payment_to": event.to_payment_status,
                "actor": _actor(event, order),
                "at": event.created_at,
            }
            for event in order.events.all()
        ],
        "order_url": order_url(order),
        "placed_at": order.placed_at,
        "cancelled_at": order.cancelled_at,
        "created_at": order.created_at,
    }
