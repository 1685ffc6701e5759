"""Placing an order, in the fixed order of ARCHITECTURE.md "Flows":

validate -> reprice every line -> promotions -> shipping rate -> tax quote -> reserve stock
(all or nothing) -> create the order pending_payment    [one durable transaction]
-> authorize, outside any lock                          [the gateway]
-> placed with hard holds | payment_failed with stock released | still pending (timeout)

(Tax is quoted after the shipping rate because shipping is taxed in most places.)
One cart makes at most one order (Order.cart is unique) and one idempotency key at most one
order (Order.placement_key is unique): a repeated call returns the first order as it is now.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory import drop_gate
from inventory import services as inventory
from inventory.models import ReservationKind
from orders import conf, providers, switches
from orders.exceptions import (
    CartNotFound,
    CartNotOpen,
    CheckoutIncomplete,
    EmptyCart,
    PriceChanged,
    VariantUnavailable,
)
from orders.models import (
    Cart,
    CartLine,
    CartStatus,
    CheckoutStep,
    Order,
    OrderEvent,
    OrderLine,
    new_order_id,
)
from orders.pricing import CartPricing, current_prices, is_buyable, load_cart_lines, price_cart
from orders.promotions import redeem_for_order
from orders.quote import QuoteLine, find_price_changes
from orders.services import drops, gifts, payments
from orders.services._common import lock_cart
from orders.services.checkout import CARD_FIELDS
from orders.services.events import EventType, actor_user
from shop.exceptions import ValidationFailed


def _check_key(value, field: str, limit: int) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise ValidationFailed(
            f"{field} must be 1 to {limit} characters.", fields={field: ["Required."]}
        )
    return value


def place_order(
    *,
    cart: Cart,
    payment_token: str,
    customer=None,
    idempotency_key: str,
    actor=None,
    client_ip: str | None = None,
) -> Order:
    """Turn `cart` into an order and authorize its payment.

    Returns the order: `placed` (authorized, stock committed), `payment_failed` (declined,
    stock released; the buyer may retry_payment) or `pending_payment` (the gateway did not
    answer; reconciliation settles it). A repeat with the same `idempotency_key` returns
    that order as it is now, without a second charge. Call outside any transaction.
    `client_ip` (the buyer's) feeds the fraud check, which may put the order on hold.

    Raises, with nothing written: CartNotFound (another customer's cart), CartNotOpen
    (already ordered, `order_id` names the order), EmptyCart, CheckoutIncomplete,
    VariantUnavailable, PriceChanged (lists the changes; reprice_cart takes them),
    InvalidShippingMethod, TaxUnavailable, InsufficientStock (`lines[{sku, requested,
    available}]`), ValidationFailed (missing token or key), CheckoutDisabled,
    ShippingMethodUnavailable, PaymentMethodUnavailable (kill switches, orders.switches).
    """
    _check_key(idempotency_key, "idempotency_key", 255)
    _check_key(payment_token, "payment.token", 64)
    switches.refuse_switched_off_checkout(cart)
    try:
        order, created = _create_pending_order(
            cart=cart, customer=customer, idempotency_key=idempotency_key, actor=actor
        )
    except IntegrityError:
        # Order.placement_key is unique: this key already placed another cart's order.
        other = Order.objects.filter(placement_key=idempotency_key).first()
        if other is None:
            raise
        raise CartNotOpen(
            "That idempotency key was used for another order.", order_id=other.public_id
        ) from None
    if not created:
        return order
    return payments.authorize_payment(
        order=order, payment_token=payment_token, client_ip=client_ip
    )


@transaction.atomic(durable=True)
def _create_pending_order(*, cart: Cart, customer, idempotency_key: str, actor):
    cart = lock_cart(cart)
    existing = getattr(cart, "order", None)
    if existing is None and not cart.is_open:
        # We waited for the lock while another request ordered this cart: the join above
        # read the order table as it was before the wait; a new statement sees the order.
        existing = Order.objects.filter(cart_id=cart.pk).first()
    if existing is not None:
        if existing.placement_key == idempotency_key:
            return existing, False
        raise CartNotOpen(order_id=existing.public_id)
    if not cart.is_open:
        raise CartNotOpen()
    customer = customer if customer is not None and customer.is_authenticated else None
    if cart.customer_id and (customer is None or customer.pk != cart.customer_id):
        raise CartNotFound()
    _check_checkout_details(cart)
    pricing = _price(cart)
    # Drop purchase limits again, under the (customer, variant) lock this transaction keeps
    # until the order exists: a second checkout of the same buyer waits and counts this one.
    drops.enforce_order_limits(
        cart=cart, lines=pricing.lines, customer_id=customer.pk if customer else None
    )
    order_id = new_order_id()
    _reserve(cart, pricing, order_id)
    # Free gifts (promotions): reserved after, and apart from, the bought lines.
    pricing = gifts.reserve_gifts(cart=cart, pricing=pricing, owner=order_id, reprice=_price)
    order = _create_order(cart, pricing, order_id, customer, idempotency_key, actor)
    redeem_for_order(order=order, cart=cart, quote=pricing.quote)
    cart.status, cart.checkout_step = CartStatus.CONVERTED, CheckoutStep.SUBMIT
    # The card on file has done its work: a declined one is replaced on the order (retry).
    cart.card_token = cart.card_last4 = cart.card_session_key = ""
    cart.save(update_fields=["status", "checkout_step", *CARD_FIELDS, "updated_at"])
    return order, True


def _check_checkout_details(cart: Cart) -> None:
    missing = {}
    if not cart.email:
        missing["email"] = ["Required."]
    if not cart.shipping_address:
        missing["shipping_address"] = ["Required."]
    if cart.shipping_method_id is None:
        missing["shipping_method"] = ["Required."]
    if missing:
        raise CheckoutIncomplete(
            f"Checkout needs: {', '.join(f.replace('_', ' ') for f in missing)}.", fields=missing
        )


def _price(cart: Cart) -> CartPricing:
    """Validate the lines, refuse changed prices, then price (promotions, shipping, tax)."""
    lines = load_cart_lines(cart)
    if not lines:
        raise EmptyCart()
    prices = current_prices(lines, cart.currency)
    unavailable = [line.variant.sku for line in lines if not is_buyable(line, prices)]
    if unavailable:
        raise VariantUnavailable(
            f"No longer for sale: {', '.join(unavailable)}. Remove them to continue.",
            skus=unavailable,
        )
    changes = find_price_changes(
        captured={line.public_id: line.unit_price_cents for line in lines},
        lines=[
            QuoteLine(line.public_id, line.variant.sku, line.quantity, prices[line.variant_id])
            for line in lines
        ],
        currency=cart.currency,
    )
    if changes:
        raise PriceChanged(changes)
    pricing = price_cart(cart=cart, lines=lines, prices=prices)
    if pricing.quote.shipping_option is None:
        raise CheckoutIncomplete(
            "Choose a shipping method.", fields={"shipping_method": ["Required."]}
        )
    return pricing


def _reserve(cart: Cart, pricing: CartPricing, order_id: str) -> None:
    """Hold every line for the order, all or nothing (InsufficientStock rolls back).

    The cart's soft holds are released and reserved again for the order in the same
    transaction: the stock rows stay locked in between, so nobody takes those units; a
    hold that lapsed is simply reserved anew if the units are still there.
    """
    if any(line.is_held for line in pricing.lines):
        with drop_gate.moving_holds():  # the units move to the order: no tokens come back
            inventory.release_stock(owner=cart.public_id)
    inventory.reserve_stock(
        lines=[(line.variant, line.quantity) for line in pricing.lines],
        market=cart.market,
        owner=order_id,
        ttl=conf.order_hold_ttl(cart.market),
        kind=ReservationKind.SOFT,
    )


def _snapshot(line: CartLine) -> dict:
    """What the order line keeps of the variant as it is now (load_cart_lines' line)."""
    return {
        "variant": line.variant,
        "sku": line.variant.sku,
        "title": line.variant.product.title,
        "variant_title": line.variant_title,
        "option_values": dict(line.options),
        "weight_grams": line.variant.weight_grams or 0,
    }


def _create_order(cart, pricing, order_id, customer, idempotency_key, actor) -> Order:
    quote, now = pricing.quote, timezone.now()
    option = quote.shipping_option
    order = Order.objects.create(
        public_id=order_id,
        cart=cart,
        placement_key=idempotency_key,
        customer_id=cart.customer_id or (customer.pk if customer else None),
        email=cart.email,
        market=cart.market,
        channel=cart.channel,
        currency=cart.currency,
        prices_include_tax=quote.prices_include_tax,
        subtotal_cents=quote.subtotal_cents,
        discount_total_cents=quote.discount_total_cents,
        shipping_total_cents=quote.shipping_total_cents,
        shipping_tax_cents=quote.shipping_tax_cents,
        tax_total_cents=quote.tax_total_cents,
        total_cents=quote.total_cents,
        shipping_address=cart.shipping_address,
        billing_address=cart.billing_address or cart.shipping_address,
        shipping_method=cart.shipping_method,
        shipping_method_code=option.code,
        shipping_method_name=option.name,
        tax_provider=quote.tax.provider if quote.tax else "",
        payment_gateway=providers.payment_gateway().name,
        payment_attempts=1,
        payment_attempted_at=now,
        payment_due_at=now + conf.unpaid_order_ttl(cart.market),
        promotion_notes=gifts.promotion_notes(cart),
    )
    by_key = pricing.line_by_key
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            quantity=q.quantity,
            unit_price_cents=q.unit_price_cents,
            subtotal_cents=q.subtotal_cents,
            discount_cents=q.net_discount_cents,
            tax_cents=q.tax_cents,
            tax_rate_ppm=q.tax_rate_ppm,
            total_cents=q.total_cents,
            **(gifts.gift_snapshot(pricing, q) if q.gift_of else _snapshot(by_key[q.key])),
        )
        for q in quote.lines
    )
    OrderEvent.objects.create(
        order=order,
        event_id=f"{order.public_id}:created",
        type=EventType.ORDER_CREATED,
        to_status=order.status,
        to_payment_status=order.payment_status,
        actor=actor_user(actor or customer),
        actor_label="customer" if customer else "guest",
        payload={"cart": cart.public_id, "total": quote.total_cents},
    )
    return order
