"""Reading a cart's current prices and pricing it through orders.quote (reads only).

Shared by the cart page, the API's cart shape, checkout and placement, so they all price the
same way: lines with their variants in one query, current prices in one, tax rates in one,
shipping rates in one. What the promotions look at (handle, categories, compare-at price)
comes with the lines, so pricing a cart reads no more for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Case, Exists, JSONField, OuterRef, Subquery, Value, When
from django.db.models.functions import JSONObject

from catalog.models import Media, OptionValue, Product, VariantPrice
from inventory.models import OPEN_STATUSES, Reservation
from orders import providers
from orders.models import Cart, CartLine
from orders.promotions import CartPromotions
from orders.quote import (
    Destination,
    PriceChange,
    PromotionsHook,
    Quote,
    QuoteInput,
    QuoteLine,
    build_quote,
    find_price_changes,
)
from shop.compiled import CompiledQuery


@dataclass(frozen=True)
class CartPricing:
    """A cart priced now: the quote on current prices, what changed, what cannot be bought."""

    cart: Cart
    lines: list[CartLine]
    quote: Quote
    price_changes: list[PriceChange]
    unavailable_skus: list[str]
    gifts: dict = field(default_factory=dict)  # {gift line key: Variant} (free_gift lines)

    @property
    def line_by_key(self) -> dict[str, CartLine]:
        return {line.public_id: line for line in self.lines}


def _cart_lines(cart_id: int, currency: str, owner: str):
    price = VariantPrice.objects.filter(variant_id=OuterRef("variant_id"), currency=currency)
    held = Reservation.objects.filter(
        owner=owner, variant_id=OuterRef("variant_id"), status__in=OPEN_STATUSES
    )
    facts = {}
    if connection.vendor == "postgresql":  # an array in a subquery; elsewhere read apart
        # The variant's option names and values, in the options' order: two arrays in step.
        option_values = OptionValue.objects.filter(variants=OuterRef("variant_id")).order_by(
            "option__position", "position", "pk"
        )
        facts["option_names"] = ArraySubquery(option_values.values("option__name"))
        facts["option_values"] = ArraySubquery(option_values.values("value"))
        facts["category_paths"] = ArraySubquery(
            Product.categories.through.objects.filter(
                product_id=OuterRef("variant__product_id")
            ).values("category__path")
        )
        # The line's picture, as the cart and checkout pages show it: the variant's own first
        # image, else the product's first.
        pictures = (
            Media.objects.filter(product_id=OuterRef("variant__product_id"))
            .annotate(
                not_own=Case(When(variant_id=OuterRef("variant_id"), then=Value(0)), default=1)
            )
            .order_by("not_own", "position", "pk")
        )
        facts["picture"] = Subquery(
            pictures.values(
                json=JSONObject(image="image", external_url="external_url", alt="alt_text")
            )[:1],
            output_field=JSONField(),
        )
    return (
        CartLine.objects.filter(cart_id=cart_id)
        .select_related("variant__product")
        .annotate(
            current_price_cents=Subquery(price.values("amount_cents")[:1]),
            compare_at_cents=Subquery(price.values("compare_at_cents")[:1]),
            is_held=Exists(held),
            **facts,
        )
        .order_by("pk")
    )


# Every cart answer and checkout step runs these two: compiled once (shop.compiled).
_CART_LINES = CompiledQuery(_cart_lines, cart_id=int, currency=str, owner=str)
_CART_LINE_OPTIONS = CompiledQuery(
    lambda cart_id: (
        OptionValue.objects.filter(
            variants__in=CartLine.objects.filter(cart_id=cart_id).values("variant_id")
        )
        .order_by("option__position", "position", "pk")
        .values_list("variants", "option__name", "value")
    ),
    cart_id=int,
)


def load_cart_lines(cart: Cart) -> list[CartLine]:
    """The cart's lines with variant and product, each annotated with `current_price_cents`
    (None: no price in the cart's currency), `compare_at_cents`, `is_held` (a soft stock
    hold of the cart), `options`, the variant's [(option name, value)] in the options' order,
    and on PostgreSQL `category_paths` (the product's categories) and `picture` ({image,
    external_url, alt} of the line's first image, or None): one query on PostgreSQL,
    where the options come as two arrays in the lines' rows; elsewhere a second, flat query
    reads the options.

    Every cart answer and page reads this, so it is kept cheap: the options come from one
    values_list over the variants' option values, not through prefetch_related's machinery
    (which cost a third of this function); what promotions look at comes in the same row,
    not in three queries of their own on every pricing. Both queries are compiled once per
    connection (shop.compiled): building and compiling them was most of their cost.
    """
    lines = list(
        _CART_LINES.objects(cart_id=cart.pk, currency=cart.currency, owner=cart.public_id)
    )
    if not lines:
        return lines
    if hasattr(lines[0], "option_names"):  # PostgreSQL: read with the lines
        for line in lines:
            line.options = list(zip(line.option_names, line.option_values, strict=True))
        return lines
    options: dict[int, list[tuple[str, str]]] = {}
    for variant_id, name, value in _CART_LINE_OPTIONS.rows(cart_id=cart.pk):
        options.setdefault(variant_id, []).append((name, value))
    for line in lines:
        line.options = options.get(line.variant_id, [])
    return lines


def current_prices(lines: list[CartLine], currency: str) -> dict[int, int]:
    """{variant_id: current unit price} of lines from load_cart_lines (no query)."""
    return {
        line.variant_id: line.current_price_cents
        for line in lines
        if line.current_price_cents is not None
    }


def is_buyable(line: CartLine, prices: dict[int, int]) -> bool:
    variant = line.variant
    return variant.is_active and variant.product.is_active and variant.pk in prices


def _promotion_facts(line: CartLine) -> dict:
    """The QuoteLine fields promotions look at, when load_cart_lines read them all."""
    paths = getattr(line, "category_paths", None)
    if paths is None or not hasattr(line, "compare_at_cents"):
        return {}
    return {
        "product_handle": line.variant.product.handle,
        "categories": frozenset(slug for path in paths for slug in path.split("/")),
        "compare_at_cents": line.compare_at_cents,
        "facts_loaded": True,
    }


def destination_of(cart: Cart) -> Destination | None:
    address = cart.shipping_address or {}
    if not address.get("country"):
        return None
    return Destination(
        country=address["country"],
        region=address.get("region", ""),
        postal_code=address.get("postal_code", ""),
    )


def price_cart(
    *,
    cart: Cart,
    lines: list[CartLine] | None = None,
    prices: dict[int, int] | None = None,
    with_tax: bool = True,
    promotions: PromotionsHook | None = None,
) -> CartPricing:
    """Price `cart` on current prices with its address and shipping method, if any.

    Lines that cannot be bought (inactive, archived, no price in the cart's currency) are
    listed in `unavailable_skus` and left out of the quote. Raises TaxUnavailable when
    `with_tax` and the tax provider cannot answer, InvalidShippingMethod when the chosen
    method no longer ships to the address.
    """
    lines = load_cart_lines(cart) if lines is None else lines
    prices = current_prices(lines, cart.currency) if prices is None else prices
    buyable = [line for line in lines if is_buyable(line, prices)]
    quote_lines = tuple(
        QuoteLine(
            key=line.public_id,
            sku=line.variant.sku,
            quantity=line.quantity,
            unit_price_cents=prices[line.variant_id],
            weight_grams=line.variant.weight_grams or 0,
            product_id=line.variant.product_id,
            **_promotion_facts(line),
        )
        for line in buyable
    )
    method = cart.shipping_method
    quote_input = QuoteInput(
        currency=cart.currency,
        market=cart.market.code,
        channel=cart.channel.code,
        lines=quote_lines,
        destination=destination_of(cart),
        shipping_method=method.code if method and method.is_active else "",
        customer_id=cart.customer_id,
        email=cart.email,
    )
    hook = promotions or CartPromotions(cart)
    quote = build_quote(
        quote_input,
        tax_provider=providers.tax_provider() if with_tax else None,
        shipping_provider=providers.shipping_provider(),
        promotions=hook,
    )
    captured = {line.public_id: line.unit_price_cents for line in buyable}
    return CartPricing(
        cart=cart,
        lines=lines,
        quote=quote,
        price_changes=find_price_changes(
            captured=captured, lines=quote_lines, currency=cart.currency
        ),
        unavailable_skus=[line.variant.sku for line in lines if line not in buyable],
        gifts=dict(getattr(hook, "gift_variants", {})),
    )
