"""Cart services: create, add/change/remove lines, merge a guest cart, reprice.

Lock order: the cart row first, then (inside inventory's services) stock rows by pk.
Lines of products reserved `at_add_to_cart` hold stock softly for the policy's TTL under the
cart's public id; changing such a line swaps its hold for a new one in the same
transaction, while the stock rows stay locked, so no other buyer can take the units between.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery

from catalog.models import Variant, VariantPrice
from inventory import drop_gate
from inventory import selectors as stock_selectors
from inventory import services as inventory
from inventory.exceptions import InsufficientStock
from inventory.models import OPEN_STATUSES, Reservation, ReservationKind
from orders.exceptions import (
    CartLineNotFound,
    CartNotOpen,
    GiftLineNotEditable,
    VariantUnavailable,
)
from orders.models import MAX_LINE_QUANTITY, Cart, CartLine, CartStatus
from orders.pricing import current_prices, is_buyable, load_cart_lines
from orders.quote import GIFT_KEY_PREFIX, PriceChange, find_price_changes
from orders.quote import QuoteLine as _QuoteLine
from orders.services import drops
from orders.services._common import check_line_quantity, lock_cart
from shop.compiled import CompiledQuery


def create_cart(*, market, channel, customer=None, session_key: str = "", email: str = "") -> Cart:
    """Open an empty cart in `market` (its currency) for a customer or a guest session."""
    cart = _new_cart(market, channel, customer, session_key, email)
    cart.save()
    cart.lines_read = []  # a new cart: its answer needs no read of its (no) lines
    return cart


def _new_cart(market, channel, customer, session_key: str, email: str) -> Cart:
    return Cart(
        market=market,
        channel=channel,
        currency=market.currency,
        customer=customer if customer is not None and customer.is_authenticated else None,
        session_key=session_key or "",
        email=email or (getattr(customer, "email", "") if customer else ""),
    )


def _open(cart: Cart) -> Cart:
    cart = lock_cart(cart)
    if not cart.is_open:
        order = getattr(cart, "order", None)
        raise CartNotOpen(order_id=order.public_id if order else None)
    return cart


def _variant_with_price(sku: str, currency: str):
    price_in_currency = VariantPrice.objects.filter(
        variant_id=OuterRef("pk"), currency=currency
    ).values("amount_cents")[:1]
    return (
        Variant.objects.select_related("product")
        .annotate(price_cents=Subquery(price_in_currency))
        .filter(sku=sku)[:1]
    )


# Every add to cart looks its SKU up this way: compiled once per connection (shop.compiled).
_VARIANT_WITH_PRICE = CompiledQuery(_variant_with_price, sku=str, currency=str)


def _buyable_variant(cart: Cart, sku) -> tuple[Variant, int]:
    """The active variant with `sku` and its price in the cart's currency, or refuse."""
    variant = next(_VARIANT_WITH_PRICE.objects(sku=str(sku), currency=cart.currency), None)
    if variant is None:
        raise VariantUnavailable(f"Unknown SKU: {sku}.", skus=[str(sku)])
    price = variant.price_cents
    if not (variant.is_active and variant.product.is_active) or price is None:
        raise VariantUnavailable(
            f"{variant.sku} is not for sale in {cart.market.code}.", skus=[variant.sku]
        )
    return variant, price


def _hold_or_check(cart: Cart, variant: Variant, quantity: int, *, drop=None) -> None:
    """Reserve `quantity` softly (at_add_to_cart, and always in drop mode) or check it is
    available (at_checkout). The old hold of the line moves into the new one (no refill of
    the drop's gate tokens: its units never became free)."""
    policy = stock_selectors.get_reservation_policy(variant=variant, market=cart.market)
    if policy.reserves_at_add_to_cart or drop is not None:
        ttl = (
            policy.ttl_seconds
            if policy.reserves_at_add_to_cart
            else settings.INVENTORY_CART_RESERVATION_TTL_SECONDS
        )
        with drop_gate.moving_holds():
            _release_holds(cart, variant)
        inventory.reserve_stock(
            lines={variant: quantity},
            market=cart.market,
            owner=cart.public_id,
            ttl=ttl,
            kind=ReservationKind.SOFT,
        )
        return
    available = stock_selectors.available_quantities(variant_ids=[variant.pk], market=cart.market)
    if available.get(variant.pk, 0) < quantity:
        raise InsufficientStock(
            [
                {
                    "sku": variant.sku,
                    "requested": quantity,
                    "available": available.get(variant.pk, 0),
                }
            ]
        )


def _release_holds(cart: Cart, variant: Variant) -> None:
    holds = list(
        Reservation.objects.filter(
            owner=cart.public_id, variant_id=variant.pk, status__in=OPEN_STATUSES
        )
    )
    if holds:
        inventory.release_stock(reservation=holds)


def add_cart_line(*, cart: Cart, sku: str, quantity: int, queue_ticket: str = "") -> CartLine:
    """Add `quantity` of `sku` (to its line if there is one), capturing today's unit price.

    Locks the cart, then stock rows. Raises CartNotOpen, VariantUnavailable,
    InvalidCartQuantity (also when the line would pass 999), InsufficientStock (with
    `lines[{sku, requested, available}]`); nothing changes on a refusal.

    A SKU in drop mode first passes the admission gate, before any database work (see
    orders.services.drops): DropNotStarted, SoldOut, DropBusy (a place in the waiting line,
    kept across retries by `queue_ticket`, default the cart's id), PurchaseLimitExceeded.
    """
    return _through_drop_gate(
        sku,
        quantity,
        queue_ticket or cart.public_id,
        lambda rule: _add_cart_line(cart, sku, quantity, rule),
    )


def _through_drop_gate(sku, quantity, member: str, add):
    """`add(rule)` once the quantity is one a line may have and, for a SKU in drop mode
    (`rule`; None otherwise), once its admission gate lets `member` through."""
    check_line_quantity(quantity)
    rule = drop_gate.drop_rule_for(str(sku))
    if rule is None:
        return add(None)
    with drops.drop_admission(rule=rule, quantity=quantity, member=member):
        return add(rule)


@transaction.atomic
def _add_cart_line(cart: Cart, sku: str, quantity: int, rule) -> CartLine:
    cart = _open(cart)
    variant, price = _buyable_variant(cart, sku)
    line = CartLine.objects.filter(cart=cart, variant=variant).first()
    if line is not None:
        line.cart = cart  # the locked one: callers read line.cart
    line = _put_line(cart, variant, price, line, quantity, rule)
    cart.save(update_fields=["updated_at"])
    return line


def _put_line(cart: Cart, variant: Variant, price: int, line, quantity: int, rule) -> CartLine:
    """Add `quantity` of `variant` to the locked cart: to `line`, or as a new line at
    `price` (`line` None). Holds or checks the stock for the line's new total."""
    total = quantity + (line.quantity if line else 0)
    check_line_quantity(total if total <= MAX_LINE_QUANTITY else MAX_LINE_QUANTITY + 1)
    if rule is not None:
        drops.enforce_purchase_limits(cart=cart, rule=rule, quantity=total)
    _hold_or_check(cart, variant, total, drop=rule)
    if line is None:
        line = CartLine.objects.create(
            cart=cart,
            variant=variant,
            quantity=total,
            unit_price_cents=price,
            currency=cart.currency,
        )
    else:
        line.quantity = total
        line.save(update_fields=["quantity", "updated_at"])
    return line


def open_cart_with_line(
    *,
    market,
    channel,
    sku: str,
    quantity: int,
    customer=None,
    session_key: str = "",
    queue_ticket: str = "",
) -> CartLine:
    """Open a cart (as create_cart) with its first line (as add_cart_line), all or nothing:
    a refused line leaves no empty cart. Returns the line; `line.cart` is the new cart.

    The cart is this transaction's own new row, which nobody else sees until it commits:
    it is not locked and read again, and no line of the SKU is looked for (add_cart_line on
    a cart opened a moment before spent five round trips on that). Raises what
    add_cart_line raises.
    """
    cart = _new_cart(market, channel, customer, session_key, "")
    return _through_drop_gate(
        sku,
        quantity,
        queue_ticket or cart.public_id,
        lambda rule: _open_with_line(cart, sku, quantity, rule),
    )


@transaction.atomic
def _open_with_line(cart: Cart, sku: str, quantity: int, rule) -> CartLine:
    cart.save()
    variant, price = _buyable_variant(cart, sku)
    line = _put_line(cart, variant, price, None, quantity, rule)
    cart.coupon_rows = []  # a new cart has no codes (what orders.promotions reads of it)
    return line


def _locked_line(cart: Cart, line_id: str) -> CartLine:
    if str(line_id).startswith(GIFT_KEY_PREFIX):  # promotions' free gift (orders.quote)
        raise GiftLineNotEditable()
    line = (
        CartLine.objects.select_related("variant__product")
        .filter(cart=cart, public_id=str(line_id))
        .first()
    )
    if line is None:
        raise CartLineNotFound()
    return line


def change_cart_line_quantity(*, cart: Cart, line_id: str, quantity: int) -> CartLine:
    """Set a line's quantity (1–999); its captured price stays. Soft holds follow the change.

    Locks the cart, then stock rows. Raises CartNotOpen, CartLineNotFound,
    GiftLineNotEditable, InvalidCartQuantity, InsufficientStock; nothing changes on a refusal.
    A drop SKU's increase passes the admission gate first (add_cart_line); a decrease gives
    its tokens back after commit.
    """
    check_line_quantity(quantity)
    seen = CartLine.objects.filter(cart=cart, public_id=str(line_id)).values_list(
        "variant__sku", "quantity"
    )
    sku, before = seen.first() or ("", 0)
    rule = drop_gate.drop_rule_for(sku) if sku else None
    if rule is None or quantity <= before:
        return _change_cart_line_quantity(cart, line_id, quantity, rule)
    with drops.drop_admission(rule=rule, quantity=quantity - before, member=cart.public_id):
        return _change_cart_line_quantity(cart, line_id, quantity, rule)


@transaction.atomic
def _change_cart_line_quantity(cart: Cart, line_id: str, quantity: int, rule) -> CartLine:
    cart = _open(cart)
    line = _locked_line(cart, line_id)
    if quantity != line.quantity:
        if rule is not None and quantity > line.quantity:
            drops.enforce_purchase_limits(cart=cart, rule=rule, quantity=quantity)
        elif rule is not None:
            drop_gate.note_released([(line.variant_id, line.quantity - quantity)])
        _hold_or_check(cart, line.variant, quantity, drop=rule)
        line.quantity = quantity
        line.save(update_fields=["quantity", "updated_at"])
        cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def remove_cart_line(*, cart: Cart, line_id: str) -> None:
    """Remove a line and release its soft hold. Raises CartNotOpen, CartLineNotFound,
    GiftLineNotEditable."""
    cart = _open(cart)
    line = _locked_line(cart, line_id)
    _release_holds(cart, line.variant)
    line.delete()
    cart.save(update_fields=["updated_at"])


@transaction.atomic
def merge_guest_cart(*, guest_cart: Cart, customer) -> Cart:
    """On login: move a guest cart's lines into the customer's open cart in that market.

    Without such a cart the guest cart simply becomes the customer's. Otherwise quantities
    add up (capped at 999; an existing line keeps its captured price), the guest cart's
    soft holds move to the customer's cart and the guest cart is marked abandoned.
    Locks both carts in pk order. Returns the customer's cart.
    """
    target = (
        Cart.objects.filter(
            customer=customer, market_id=guest_cart.market_id, status=CartStatus.OPEN
        )
        .exclude(pk=guest_cart.pk)
        .order_by("-updated_at", "-pk")
        .first()
    )
    if target is None:
        guest = _open(guest_cart)
        guest.customer, guest.session_key = customer, ""
        guest.email = guest.email or customer.email
        guest.save(update_fields=["customer", "session_key", "email", "updated_at"])
        return guest
    first, second = sorted([guest_cart, target], key=lambda c: c.pk)
    locked = {c.pk: lock_cart(c) for c in (first, second)}
    guest, target = locked[guest_cart.pk], locked[target.pk]
    if not guest.is_open:
        return target
    existing = {line.variant_id: line for line in target.lines.all()}
    for line in guest.lines.all():
        mine = existing.get(line.variant_id)
        if mine is None:
            line.cart = target
            line.save(update_fields=["cart", "updated_at"])
        else:
            mine.quantity = min(MAX_LINE_QUANTITY, mine.quantity + line.quantity)
            mine.save(update_fields=["quantity", "updated_at"])
            line.delete()
    inventory.reassign_reservations(owner=guest.public_id, new_owner=target.public_id)
    for field in ("email", "shipping_address", "shipping_method_id"):
        if not getattr(target, field) and getattr(guest, field):
            setattr(target, field, getattr(guest, field))
    target.save(update_fields=["email", "shipping_address", "shipping_method", "updated_at"])
    guest.status = CartStatus.ABANDONED
    guest.save(update_fields=["status", "updated_at"])
    return target


@transaction.atomic
def reprice_cart(*, cart: Cart) -> list[PriceChange]:
    """Take today's prices into the cart and say what changed ("price changed from $X to $Y").

    The storefront calls this on the cart and review pages and shows the changes; placement
    refuses (PriceChanged) while a captured price differs, so nothing is applied silently.
    Lines that cannot be bought any more are left for the buyer to remove. Locks the cart.
    """
    cart = _open(cart)
    lines = load_cart_lines(cart)
    prices = current_prices(lines, cart.currency)
    buyable = [line for line in lines if is_buyable(line, prices)]
    changes = find_price_changes(
        captured={line.public_id: line.unit_price_cents for line in buyable},
        lines=[
            _QuoteLine(line.public_id, line.variant.sku, line.quantity, prices[line.variant_id])
            for line in buyable
        ],
        currency=cart.currency,
    )
    changed = {change.key for change in changes}
    updated = [line for line in buyable if line.public_id in changed]
    for line in updated:
        line.unit_price_cents = prices[line.variant_id]
    CartLine.objects.bulk_update(updated, ["unit_price_cents"])
    return changes
