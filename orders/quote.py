"""Pricing a cart, purely: reprice, promotions seam, shipping, tax, allocation, totals.

No database here. Callers load the current prices and pass providers in; tests pass
in-memory providers. Every amount is integer minor units of one currency.

Totals always reconcile (API.md):
    total = subtotal - discount_total + shipping_total + tax_total
    sum(line.total) + shipping_total - shipping_discount + shipping_tax == total
Where prices include tax (EU VAT), subtotal, discounts and shipping are net of the tax they
contain (the tax provider splits them), so the same formulas hold and `total` equals what
the customer was shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from orders.exceptions import InvalidShippingMethod
from orders.providers.shipping.base import ShippingOption, ShippingRateProvider, ShippingRequest
from orders.providers.tax.base import (
    ItemTax,
    TaxableItem,
    TaxProvider,
    TaxQuote,
    TaxRequest,
    TaxUnavailable,
)
from shop.money import Money, allocate


@dataclass(frozen=True)
class QuoteLine:
    key: str
    sku: str
    quantity: int
    unit_price_cents: int  # the current price, as listed
    weight_grams: int = 0
    product_id: int | None = None
    # What promotions look at, when the caller read it with the line (orders.pricing does):
    # the product's handle, its categories' slugs with their ancestors, the compare-at price.
    # `facts_loaded` False: the promotions hook reads them itself.
    product_handle: str = ""
    categories: frozenset[str] = frozenset()
    compare_at_cents: int | None = None
    facts_loaded: bool = False
    gift_of: str = ""  # a free gift line: the promotion that gave it (unit price 0)

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class Destination:
    country: str
    region: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class QuoteInput:
    currency: str
    market: str
    channel: str
    lines: tuple[QuoteLine, ...]
    destination: Destination | None = None
    shipping_method: str = ""
    customer_id: int | None = None
    email: str = ""
    coupon_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Adjustment:
    """A discount a promotion grants, as listed (tax included where prices include it).

    `applies_to` "lines": spread over `line_keys` (empty: every line) by largest remainder,
    weighted by what is left of each line; "shipping": taken off the shipping price;
    "gift": a line of `quantity` × `sku` at zero price is added (its weight ships), keyed
    `gift_key(promotion_id)`. Never more than what it applies to.
    """

    promotion_id: str
    name: str
    amount_cents: int
    applies_to: str = "lines"
    line_keys: tuple[str, ...] = ()
    sku: str = ""  # gift
    quantity: int = 0  # gift
    weight_grams: int = 0  # gift, per unit
    product_id: int | None = None  # gift


GIFT_KEY_PREFIX = "gift_"


def gift_key(promotion_id: str) -> str:
    """The key (and the cart shape's line id) of the gift line `promotion_id` adds."""
    return GIFT_KEY_PREFIX + promotion_id


def gift_lines(adjustments: Sequence[Adjustment]) -> tuple[QuoteLine, ...]:
    return tuple(
        QuoteLine(
            key=gift_key(a.promotion_id),
            sku=a.sku,
            quantity=a.quantity,
            unit_price_cents=0,
            weight_grams=a.weight_grams,
            product_id=a.product_id,
            gift_of=a.promotion_id,
        )
        for a in adjustments
        if a.applies_to == "gift" and a.quantity > 0
    )


PromotionsHook = Callable[[QuoteInput], Sequence[Adjustment]]


def apply_promotions(quote_input: QuoteInput) -> list[Adjustment]:
    """No promotions: the default hook for callers that price without them.

    orders.pricing passes orders.promotions.CartPromotions (the rule engine) instead; the
    quote allocates whatever a hook returns.
    """
    return []


@dataclass(frozen=True)
class PriceChange:
    key: str
    sku: str
    old_cents: int
    new_cents: int
    currency: str

    @property
    def message(self) -> str:
        old, new = Money(self.old_cents, self.currency), Money(self.new_cents, self.currency)
        return f"{self.sku}: price changed from {old} to {new}"

    def as_dict(self) -> dict:
        return {
            "sku": self.sku,
            "old_price": Money(self.old_cents, self.currency).as_dict(),
            "new_price": Money(self.new_cents, self.currency).as_dict(),
            "message": self.message,
        }


def find_price_changes(
    *, captured: Mapping[str, int], lines: Sequence[QuoteLine], currency: str
) -> list[PriceChange]:
    """Lines whose current price differs from the one captured when they were added."""
    return [
        PriceChange(line.key, line.sku, captured[line.key], line.unit_price_cents, currency)
        for line in lines
        if line.key in captured and captured[line.key] != line.unit_price_cents
    ]


@dataclass(frozen=True)
class QuotedLine:
    key: str
    sku: str
    quantity: int
    unit_price_cents: int  # as listed
    amount_cents: int  # quantity × unit price, as listed
    discount_cents: int  # as listed
    discounts: tuple[tuple[str, int], ...]  # (promotion id, as listed)
    subtotal_cents: int  # net of included tax
    net_discount_cents: int
    tax_cents: int
    tax_rate_ppm: int
    total_cents: int
    gift_of: str = ""  # a free gift line: the promotion that gave it


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: tuple[QuotedLine, ...]
    subtotal_cents: int
    discount_total_cents: int
    shipping_total_cents: int
    shipping_discount_cents: int
    shipping_tax_cents: int
    tax_total_cents: int
    total_cents: int
    prices_include_tax: bool
    weight_grams: int
    shipping_option: ShippingOption | None = None
    shipping_options: tuple[ShippingOption, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    tax: TaxQuote | None = field(default=None, compare=False)

    @property
    def line_discount_cents(self) -> int:
        return sum(line.net_discount_cents for line in self.lines)

    def money(self, cents: int) -> Money:
        return Money(cents, self.currency)


def _allocate_line_discounts(
    lines: Sequence[QuoteLine], adjustments: Sequence[Adjustment]
) -> dict[str, list[tuple[str, int]]]:
    remaining = {line.key: line.amount_cents for line in lines}
    granted: dict[str, list[tuple[str, int]]] = {line.key: [] for line in lines}
    for adj in adjustments:
        if adj.applies_to != "lines" or adj.amount_cents <= 0:
            continue
        keys = [k for k in (adj.line_keys or remaining) if remaining.get(k, 0) > 0]
        if not keys:
            continue
        amount = min(adj.amount_cents, sum(remaining[k] for k in keys))
        for key, part in zip(keys, allocate(amount, [remaining[k] for k in keys]), strict=True):
            if part:
                granted[key].append((adj.promotion_id, part))
                remaining[key] -= part
    return granted


def _take_shipping(adjustments: tuple[Adjustment, ...], price: int) -> tuple[Adjustment, ...]:
    """Shipping adjustments as taken: in order, none above what is left of `price` (a free
    shipping promotion asks for everything and gets the price)."""
    left, out = price, []
    for adj in adjustments:
        if adj.applies_to == "shipping":
            adj = replace(adj, amount_cents=min(max(adj.amount_cents, 0), left))
            left -= adj.amount_cents
        out.append(adj)
    return tuple(out)


def _choose_shipping(
    quote_input: QuoteInput, provider: ShippingRateProvider | None, goods_cents: int, weight: int
) -> tuple[ShippingOption | None, tuple[ShippingOption, ...]]:
    dest = quote_input.destination
    if dest is None or provider is None:
        return None, ()
    request = ShippingRequest(
        currency=quote_input.currency,
        country=dest.country,
        region=dest.region,
        postal_code=dest.postal_code,
        weight_grams=weight,
        goods_cents=goods_cents,
    )
    options = tuple(provider.rates(request))
    if not quote_input.shipping_method:
        return None, options
    for option in options:
        if option.code == quote_input.shipping_method:
            return option, options
    raise InvalidShippingMethod(
        f"'{quote_input.shipping_method}' does not ship to {dest.country}.",
        fields={"shipping_method": [f"Choose one of: {', '.join(o.code for o in options)}."]},
    )


def _untaxed(item: TaxableItem) -> ItemTax:
    return ItemTax(item.key, item.amount_cents, item.discount_cents, 0, 0)


def _consistent(item: TaxableItem, got: ItemTax | None, inclusive: bool) -> bool:
    """Does the provider's split add back up to what it was asked about?"""
    if got is None or got.tax_cents < 0 or got.net_discount_cents > got.net_amount_cents:
        return False
    if inclusive:
        paid = got.net_amount_cents - got.net_discount_cents + got.tax_cents
        return paid == item.amount_cents - item.discount_cents
    return (got.net_amount_cents, got.net_discount_cents) == (
        item.amount_cents,
        item.discount_cents,
    )


def _tax(
    quote_input: QuoteInput,
    provider: TaxProvider | None,
    items: list[TaxableItem],
    shipping: TaxableItem | None,
) -> TaxQuote | None:
    dest = quote_input.destination
    if dest is None or provider is None:
        return None
    request = TaxRequest(
        currency=quote_input.currency,
        country=dest.country,
        region=dest.region,
        postal_code=dest.postal_code,
        items=items,
        shipping=shipping,
    )
    quote = provider.quote(request)
    answers = [(item, quote.items.get(item.key)) for item in items]
    if shipping is not None:
        answers.append((shipping, quote.shipping))
    if not all(_consistent(item, got, quote.prices_include_tax) for item, got in answers):
        raise TaxUnavailable("The tax provider returned an incomplete answer.")
    return quote


def build_quote(
    quote_input: QuoteInput,
    *,
    tax_provider: TaxProvider | None = None,
    shipping_provider: ShippingRateProvider | None = None,
    promotions: PromotionsHook = apply_promotions,
) -> Quote:
    """Price `quote_input`: promotions, then shipping, then tax, then reconciled totals.

    Without a destination there is no shipping or tax yet. Raises InvalidShippingMethod
    when the chosen method does not ship there, TaxUnavailable when tax cannot be quoted.
    """
    adjustments = tuple(promotions(quote_input))
    # Free gifts join after the promotions were evaluated on the paid lines (a gift never
    # earns a promotion); at zero price they take no discount, and their weight ships.
    lines = quote_input.lines + gift_lines(adjustments)
    granted = _allocate_line_discounts(lines, adjustments)
    discount = {key: sum(part for _, part in parts) for key, parts in granted.items()}
    goods = sum(line.amount_cents - discount[line.key] for line in lines)
    weight = sum(line.weight_grams * line.quantity for line in lines)
    option, options = _choose_shipping(quote_input, shipping_provider, goods, weight)

    shipping_price = option.price_cents if option else 0
    adjustments = _take_shipping(adjustments, shipping_price)
    shipping_off = sum(a.amount_cents for a in adjustments if a.applies_to == "shipping")
    items = [TaxableItem(ln.key, ln.amount_cents, discount[ln.key], ln.quantity) for ln in lines]
    shipping_item = TaxableItem("shipping", shipping_price, shipping_off) if option else None
    tax = _tax(quote_input, tax_provider, items, shipping_item)
    taxed = tax.items if tax else {item.key: _untaxed(item) for item in items}
    shipping_tax = (tax.shipping if tax else None) or (
        _untaxed(shipping_item) if shipping_item else ItemTax("shipping", 0, 0, 0, 0)
    )

    quoted = tuple(
        QuotedLine(
            key=ln.key,
            sku=ln.sku,
            quantity=ln.quantity,
            unit_price_cents=ln.unit_price_cents,
            amount_cents=ln.amount_cents,
            discount_cents=discount[ln.key],
            discounts=tuple(granted[ln.key]),
            subtotal_cents=taxed[ln.key].net_amount_cents,
            net_discount_cents=taxed[ln.key].net_discount_cents,
            tax_cents=taxed[ln.key].tax_cents,
            tax_rate_ppm=taxed[ln.key].rate_ppm,
            total_cents=taxed[ln.key].net_amount_cents
            - taxed[ln.key].net_discount_cents
            + taxed[ln.key].tax_cents,
            gift_of=ln.gift_of,
        )
        for ln in lines
    )
    subtotal = sum(q.subtotal_cents for q in quoted)
    discount_total = sum(q.net_discount_cents for q in quoted) + shipping_tax.net_discount_cents
    tax_total = sum(q.tax_cents for q in quoted) + shipping_tax.tax_cents
    shipping_total = shipping_tax.net_amount_cents
    return Quote(
        currency=quote_input.currency,
        lines=quoted,
        subtotal_cents=subtotal,
        discount_total_cents=discount_total,
        shipping_total_cents=shipping_total,
        shipping_discount_cents=shipping_tax.net_discount_cents,
        shipping_tax_cents=shipping_tax.tax_cents,
        tax_total_cents=tax_total,
        total_cents=subtotal - discount_total + shipping_total + tax_total,
        prices_include_tax=bool(tax and tax.prices_include_tax),
        weight_grams=weight,
        shipping_option=option,
        shipping_options=options,
        adjustments=adjustments,
        tax=tax,
    )
