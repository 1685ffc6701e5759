"""The cart as its pages show it: lines with today's prices, what cannot be bought and why,
what changed in price, and the totals block (cart page, checkout summary, review).

Reads only: the cart is priced by orders.pricing (the same code that places the order), the
stock read is inventory's; prices are taken into the cart by the views through
orders.services.reprice_cart before this is built, so changes are shown, never applied
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.utils.translation import gettext as _

from catalog.models import Media
from inventory.availability_cache import kept_available_quantities
from orders import services as order_services
from orders.exceptions import CartNotOpen, InvalidShippingMethod
from orders.models import Cart, CartLine
from orders.pricing import CartPricing, load_cart_lines, price_cart
from orders.promotions import promotion_hints
from orders.providers.tax.base import TaxUnavailable
from orders.quote import PriceChange
from shop.cache_versions import hint_request_stock
from shop.compiled import CompiledQuery
from shop.money import Money
from storefront.order_display import SummaryRow, quote_summary


@dataclass(frozen=True)
class CartRow:
    id: str
    title: str
    variant_title: str
    sku: str
    quantity: int
    url: str
    image: dict | None
    unit_price: Money | None = None
    amount: Money | None = None
    problem: str = ""
    price_change: str = ""
    gift: bool = False  # a free gift a promotion added: no quantity form, no remove button
    discount: Money | None = None  # promotions' discount on this line, as listed
    discount_label: str = ""  # the names of the promotions that gave it


@dataclass(frozen=True)
class CartPage:
    cart: Cart
    rows: list[CartRow]
    summary: list[SummaryRow]
    pricing: CartPricing
    price_changes: list[str] = field(default_factory=list)
    tax_error: str = ""

    @property
    def problems(self) -> list[CartRow]:
        return [row for row in self.rows if row.problem]

    @property
    def promotion_hints(self) -> list[str]:
        """ "Add $12.00 more to get 15% off hoodies and tees" (orders.promotions)."""
        return promotion_hints(self.cart)

    @property
    def coupon_codes(self) -> list[str]:
        return [code for code, _pid, _used_up in getattr(self.cart, "promotion_codes", [])]

    @property
    def promotions_applied(self) -> list[str]:
        return list(dict.fromkeys(a.name for a in self.pricing.quote.adjustments))

    @property
    def can_check_out(self) -> bool:
        return bool(self.rows) and not self.problems and not self.tax_error

    @property
    def units(self) -> int:
        return sum(row.quantity for row in self.rows)


def describe_change(change: PriceChange, rows_by_id: dict[str, CartRow] | None = None) -> str:
    """ "Harbor Hoodie (Red / L): price changed from $25.00 to $27.00"."""
    old, new = Money(change.old_cents, change.currency), Money(change.new_cents, change.currency)
    row = (rows_by_id or {}).get(change.key)
    if row is None:
        name = change.sku
    elif row.variant_title:
        name = f"{row.title} ({row.variant_title})"
    else:
        name = row.title
    return _("%(name)s: price changed from %(old)s to %(new)s") % {
        "name": name,
        "old": old,
        "new": new,
    }


def _line_note(change: PriceChange) -> str:
    old, new = Money(change.old_cents, change.currency), Money(change.new_cents, change.currency)
    return _("Price changed from %(old)s to %(new)s") % {"old": old, "new": new}


def hint_cart_stock(cart: Cart) -> None:
    """The page will show the availability of the cart's lines it read (_short_lines): have
    the request's first cache read (pricing's, or a checkout service's before the page) fetch
    their stock versions along (shop.cache_versions.hint_request_stock)."""
    if cart.lines_read:
        hint_request_stock(line.variant_id for line in cart.lines_read if not line.is_held)


def _price(cart: Cart, with_tax: bool) -> CartPricing:
    # Lines the page already read (Cart.lines_read) are priced as they are.
    lines = cart.lines_read
    hint_cart_stock(cart)
    try:
        return price_cart(cart=cart, lines=lines, with_tax=with_tax)
    except InvalidShippingMethod:
        # The rate tables changed since the method was chosen: show it as not chosen (the
        # shipping step asks again; placement would refuse it).
        chosen, cart.shipping_method = cart.shipping_method, None
        try:
            return price_cart(cart=cart, lines=lines, with_tax=with_tax)
        finally:
            cart.shipping_method = chosen


def build_cart_page(cart: Cart, *, price_changes: list[PriceChange] = ()) -> CartPage:
    """Price `cart` now (with tax once it has an address) for a page."""
    with_tax, tax_error = bool(cart.shipping_address), ""
    try:
        pricing = _price(cart, with_tax)
    except TaxUnavailable:
        with_tax = False
        tax_error = _("We cannot calculate the tax for your address right now; please try again.")
        pricing = _price(cart, with_tax)
    rows = _rows(cart, pricing)
    by_id = {row.id: row for row in rows}
    messages = [describe_change(change, by_id) for change in price_changes]
    changed = {change.key: _line_note(change) for change in price_changes}
    rows = [replace(row, price_change=changed.get(row.id, "")) for row in rows]
    return CartPage(
        cart=cart,
        rows=rows,
        summary=quote_summary(pricing.quote, with_tax=with_tax),
        pricing=pricing,
        price_changes=messages,
        tax_error=tax_error,
    )


def build_current_cart_page(cart: Cart) -> CartPage:
    """The cart page at today's prices, changed prices taken into the cart and said on the
    page (orders.services.reprice_cart), never applied silently.

    Most carts have no changed price: they are priced once, from lines read once, and
    nothing is locked. Raises CartNotOpen for a cart that was checked out meanwhile.
    """
    if not cart.is_open:
        raise CartNotOpen()
    if cart.lines_read is None:  # the checkout's pages read them already in this request
        cart.lines_read = load_cart_lines(cart)
    page = build_cart_page(cart)
    if not page.pricing.price_changes:
        return page
    changes = order_services.reprice_cart(cart=cart)
    cart.lines_read = None  # their captured prices changed: read them again
    return build_cart_page(cart, price_changes=changes)


def _rows(cart: Cart, pricing: CartPricing) -> list[CartRow]:
    quoted = {line.key: line for line in pricing.quote.lines}
    unavailable = set(pricing.unavailable_skus)
    short = _short_lines(cart, [line for line in pricing.lines if line.public_id in quoted])
    images = _images(pricing.lines, pricing.gifts.values())
    names = {a.promotion_id: a.name for a in pricing.quote.adjustments}
    rows = []
    for line in pricing.lines:
        variant = line.variant
        row = CartRow(
            id=line.public_id,
            title=variant.product.title,
            variant_title=line.variant_title,
            sku=variant.sku,
            quantity=line.quantity,
            url=f"{variant.product.get_absolute_url()}?sku={variant.sku}",
            image=images.get(variant.pk) or images.get(("product", variant.product_id)),
        )
        q = quoted.get(line.public_id)
        if variant.sku in unavailable or q is None:
            row = replace(row, problem=_("No longer available. Remove it to continue."))
        else:
            row = replace(
                row,
                unit_price=Money(q.unit_price_cents, cart.currency),
                amount=Money(q.amount_cents, cart.currency),
                problem=short.get(line.public_id, ""),
                **_line_discount(q, names, cart.currency),
            )
        rows.append(row)
    return rows + _gift_rows(cart, pricing, images)


def _line_discount(q, names: dict[str, str], currency: str) -> dict:
    """The per-line discount shown under the line ("−$9.00 · 15% off hoodies")."""
    if not q.discount_cents:
        return {}
    label = ", ".join(dict.fromkeys(names.get(pid, pid) for pid, _cents in q.discounts))
    return {"discount": Money(q.discount_cents, currency), "discount_label": label}


def _gift_rows(cart: Cart, pricing: CartPricing, images: dict) -> list[CartRow]:
    """Free gift lines (orders.promotions): at zero price, while the cart earns them."""
    rows = []
    for q in pricing.quote.lines:
        variant = pricing.gifts.get(q.key) if q.gift_of else None
        if variant is None:
            continue
        rows.append(
            CartRow(
                id=q.key,
                title=variant.product.title,
                variant_title=variant.title or "",
                sku=variant.sku,
                quantity=q.quantity,
                url=f"{variant.product.get_absolute_url()}?sku={variant.sku}",
                image=images.get(variant.pk) or images.get(("product", variant.product_id)),
                unit_price=Money(0, cart.currency),
                amount=Money(0, cart.currency),
                gift=True,
            )
        )
    return rows


def _short_lines(cart: Cart, lines: list[CartLine]) -> dict[str, str]:
    """{line id: message} for lines the market's stock cannot cover (availability as pages
    show it: kept, or one query). Lines with a soft hold of this cart (`at_add_to_cart`) are
    covered by it. Placing the order checks again under lock."""
    unheld = [line for line in lines if not line.is_held]
    if not unheld:
        return {}
    available = kept_available_quantities(
        variant_ids=[line.variant_id for line in unheld], market=cart.market
    )
    problems = {}
    for line in unheld:
        units = available.get(line.variant_id, 0)
        if units <= 0:
            problems[line.public_id] = _("Out of stock. Remove it to continue.")
        elif units < line.quantity:
            problems[line.public_id] = _(
                "Only %(count)d left. Lower the quantity to continue."
            ) % {"count": units}
    return problems


_CART_MEDIA = CompiledQuery(
    lambda cart_id: Media.objects.filter(
        product_id__in=CartLine.objects.filter(cart_id=cart_id).values("variant__product_id")
    ).order_by("position", "pk"),
    cart_id=int,
)


def _images(lines: list[CartLine], gifts=()) -> dict:
    """{variant id: image} and {("product", id): image}: each line's picture (one query, or
    none when load_cart_lines read the pictures with the lines, on PostgreSQL)."""
    gifts = list(gifts)
    if not lines and not gifts:
        return {}
    if not gifts and all(hasattr(line, "picture") for line in lines):
        return {
            line.variant_id: {"url": _picture_url(line.picture), "alt": line.picture["alt"]}
            for line in lines
            if line.picture
        }
    if gifts or len({line.cart_id for line in lines}) != 1:
        product_ids = {line.variant.product_id for line in lines} | {v.product_id for v in gifts}
        media = Media.objects.filter(product_id__in=product_ids).order_by("position", "pk")
    else:  # every page of a checkout asks this: one compiled statement (shop.compiled)
        media = _CART_MEDIA.objects(cart_id=lines[0].cart_id)
    found: dict = {}
    for item in media:
        image = {"url": item.url, "alt": item.alt_text or ""}
        if item.variant_id:
            found.setdefault(item.variant_id, image)
        found.setdefault(("product", item.product_id), image)
    return found


def _picture_url(picture: dict) -> str:
    """The URL of a picture load_cart_lines read (Media.url, without a Media row)."""
    return Media(image=picture["image"] or "", external_url=picture["external_url"] or "").url
