"""Promotions in the cart and at checkout: the quote's promotions hook, coupons, redemption.

`CartPromotions(cart)` is the PromotionsHook orders.pricing passes to build_quote: it turns
the QuoteInput into the engine's CartContext (product slugs, category slugs with their
ancestors, compare-at prices, the customer's segments, the codes on the cart, limits and
kill switches), evaluates the live promotions (promotions.selectors, cached) and hands the
quote its Adjustments. It reads nothing when no promotion is live, and only what the live
rules look at (categories, products, sale prices, segments) otherwise.

The engine's answer is kept on the cart instance (`cart.promotion_result`) for the cart
shape's `promotions_not_applied` hints in the same request.

Free gifts: the engine only says a `free_gift` promotion is earned; this hook adds its gift
line (one unit of `gift_sku`, zero price, `Adjustment(applies_to="gift")`) while the market
has a unit left beyond what the cart buys of that SKU. Otherwise, or when placement could not
reserve it (`cart.gifts_withheld`), the promotion is listed as `gift_out_of_stock`.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Value, When
from django.utils import timezone

from catalog.models import Product, ProductStatus, Variant, VariantPrice, VariantStatus
from inventory import selectors as stock_selectors
from orders.models import Cart, Order, OrderStatus
from orders.quote import Adjustment, Quote, QuoteInput, gift_key
from promotions.engine import CartContext, ContextLine, NotApplied, PromotionResult
from promotions.engine import results as R
from promotions.exceptions import CouponExhausted
from promotions.selectors import (
    LiveSet,
    buyer_facts,
    cart_coupons,
    coupons_of,
    customer_segments,
    evaluate_live,
    limit_reached_for,
    live_promotions,
    switched_off_promotions,
)
from promotions.services.redemptions import Granted, redeem_promotions, return_redemptions
from shop.compiled import CompiledQuery

# Free shipping takes the whole shipping price, whatever the quote finds it to be; the quote
# caps a shipping adjustment at the price and reports what it actually took.
WHOLE_SHIPPING = 10**12
NOT_PLACED = [OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED]
# Reasons worth showing a shopper for a promotion they did not put a code in for.
SHOWN = R.ACTIONABLE


class CartPromotions:
    """The quote's promotions hook for one cart."""

    def __init__(self, cart: Cart, *, now=None):
        self.cart = cart
        self.now = now
        self.context: CartContext | None = None
        self.result: PromotionResult | None = None
        self.gift_variants: dict[str, Variant] = {}  # {gift line key: variant}
        self.gift_misses: list[NotApplied] = []

    def __call__(self, quote_input: QuoteInput) -> list[Adjustment]:
        live = live_promotions()
        wants_codes = any(r.conditions.coupon_required for r in live.rules)
        codes = []
        read_with_cart = self.cart.__dict__.get("coupon_rows")
        if wants_codes and read_with_cart is not None:
            codes = coupons_of(
                (row["code"], row["pid"], row["active"], row["allowed"], row["used"])
                for row in read_with_cart
            )
        elif wants_codes and self.cart.pk:
            codes = self._read(("codes", self.cart.public_id), cart_coupons, self.cart.public_id)
        self.context = self.build_context(quote_input, live, codes)
        if not live.rules:
            self.result = PromotionResult((), ())
        else:
            self.result = evaluate_live(self.context, live)
        gifts = self.gift_adjustments(quote_input)
        self.cart.promotion_result = self.result
        self.cart.promotion_codes = codes
        self.cart.promotion_gift_misses = self.gift_misses
        return adjustments_of(self.result, budget_left=dict(self.context.budget_left)) + gifts

    def _read(self, key: tuple, read, *args):
        """What `read(*args)` answers about this cart's buyer, read once per cart instance.

        A cart instance lives one request (services and views read the cart afresh, and
        placement prices the cart it locked), yet a request prices it up to three times
        (a checkout step's shipping options, then its answer): the codes on the cart, the
        buyer's order history and promotion uses do not change in between."""
        reads = self.cart.__dict__.setdefault("_promotion_reads", {})
        if key not in reads:
            reads[key] = read(*args)
        return reads[key]

    @staticmethod
    def forget_reads(cart: Cart) -> None:
        """Drop what _read kept on `cart`, and the facts read with it (a service just changed
        the codes on it)."""
        cart.__dict__.pop("_promotion_reads", None)
        for name in CART_FACTS:
            cart.__dict__.pop(name, None)

    def _buyer_read_with_cart(self, qi: QuoteInput) -> bool:
        """Whether the buyer facts read with the cart (cart_facts) are this buyer's: the cart
        was read with them and its e-mail and customer are still the ones read."""
        cart = self.cart.__dict__
        return (
            "facts_email" in cart
            and cart["facts_email"] == qi.email
            and cart["facts_customer_id"] == qi.customer_id
        )

    def gift_adjustments(self, qi: QuoteInput) -> list[Adjustment]:
        """A gift line per earned free_gift promotion whose gift the market still has."""
        earned = [p for p in self.result.applied if p.gift_sku]
        if not earned:
            return []
        withheld = getattr(self.cart, "gifts_withheld", frozenset())
        variants = {
            v.sku: v
            for v in Variant.objects.select_related("product").filter(
                sku__in={p.gift_sku for p in earned},
                status=VariantStatus.ACTIVE,
                product__status=ProductStatus.ACTIVE,
            )
        }
        available = stock_selectors.available_quantities(
            variant_ids=[v.pk for v in variants.values()], market=self.cart.market
        )
        bought = {}
        for ln in qi.lines:
            bought[ln.sku] = bought.get(ln.sku, 0) + ln.quantity
        out = []
        for promo in earned:
            variant = variants.get(promo.gift_sku)
            need = bought.get(promo.gift_sku, 0) + 1
            if (
                variant is None
                or promo.promotion_id in withheld
                or available.get(variant.pk, 0) < need
            ):
                self.gift_misses.append(
                    NotApplied(promo.promotion_id, promo.name, R.GIFT_OUT_OF_STOCK)
                )
                continue
            bought[promo.gift_sku] = need  # two promotions giving one SKU need two units
            self.gift_variants[gift_key(promo.promotion_id)] = variant
            out.append(
                Adjustment(
                    promotion_id=promo.promotion_id,
                    name=promo.name,
                    amount_cents=0,
                    applies_to="gift",
                    sku=variant.sku,
                    quantity=1,
                    weight_grams=variant.weight_grams or 0,
                    product_id=variant.product_id,
                )
            )
        return out

    def build_context(self, qi: QuoteInput, live: LiveSet, codes) -> CartContext:
        now = self.now or timezone.now()
        switched = switched_off_promotions() if live.rules else frozenset()
        # Read only what the promotions that can still apply here look at: the engine checks
        # status, switch, window, market and channel before anything it would need reading.
        rules = [r for r in live.rules if _may_apply(r, qi, now, switched)]
        uses = _uses(rules)
        product_ids = {ln.product_id for ln in qi.lines if ln.product_id}
        slugs, categories, compare_at = {}, {}, {}
        if all(ln.facts_loaded for ln in qi.lines):
            # orders.pricing read them with the lines: nothing more to read.
            for ln in qi.lines:
                slugs[ln.product_id] = ln.product_handle
                categories[ln.product_id] = ln.categories
                compare_at[ln.sku] = ln.compare_at_cents
        else:
            if rules and product_ids and uses["products"]:
                slugs = dict(
                    Product.objects.filter(pk__in=product_ids).values_list("pk", "handle")
                )
            if rules and product_ids and uses["categories"]:
                for pid, path in Product.categories.through.objects.filter(
                    product_id__in=product_ids
                ).values_list("product_id", "category__path"):
                    categories.setdefault(pid, set()).update(path.split("/"))
            if rules and qi.lines and uses["sale"]:
                compare_at = dict(
                    VariantPrice.objects.filter(
                        variant__sku__in=[ln.sku for ln in qi.lines], currency=qi.currency
                    ).values_list("variant__sku", "compare_at_cents")
                )
        segments = set()
        first_order = True
        buyer_read = self._buyer_read_with_cart(qi)
        if rules and uses["history"]:
            if buyer_read:
                first_order = not self.cart.placed_before
            else:
                first_order = not self._read(
                    ("placed", qi.customer_id, qi.email),
                    _has_placed_order,
                    qi.customer_id,
                    qi.email,
                )
            segments.add("new" if first_order else "returning")
        if rules and uses["named_segments"]:
            segments |= self._read(("segments", qi.customer_id), customer_segments, qi.customer_id)
        return CartContext(
            lines=tuple(
                ContextLine(
                    key=ln.key,
                    sku=ln.sku,
                    quantity=ln.quantity,
                    unit_price_cents=ln.unit_price_cents,
                    product=slugs.get(ln.product_id, ""),
                    categories=frozenset(categories.get(ln.product_id, ())),
                    compare_at_cents=compare_at.get(ln.sku, ln.compare_at_cents),
                )
                for ln in qi.lines
            ),
            market=qi.market,
            currency=qi.currency,
            channel=qi.channel,
            now=now,
            segments=frozenset(segments),
            is_first_order=first_order,
            coupon_promotions=frozenset(pid for _code, pid, _used_up in codes),
            limit_reached=frozenset(
                live.exhausted
                | _used_up_promotions(codes)
                | (
                    self._read(
                        (
                            "limits",
                            frozenset(live.per_customer_ids),
                            frozenset(live.exhausted),
                            qi.customer_id,
                            qi.email,
                        ),
                        partial(
                            limit_reached_for,
                            used=_uses_read_with(self.cart) if buyer_read else None,
                        ),
                        live,
                        qi.customer_id,
                        qi.email,
                    )
                    if any(r.limits.per_customer for r in rules)
                    else frozenset()
                )
            ),
            switched_off=switched,
            budget_left=live.budget_left,
            max_combined_discount_cents=_combined_cap(qi),
            shipping_method=qi.shipping_method,
        )


def _combined_cap(qi: QuoteInput) -> int | None:
    """settings.PROMOTIONS_MAX_COMBINED_DISCOUNT_PERCENT of the cart (None: no cap)."""
    percent = getattr(settings, "PROMOTIONS_MAX_COMBINED_DISCOUNT_PERCENT", None)
    if percent is None:
        return None
    return sum(ln.amount_cents for ln in qi.lines) * int(percent) // 100


def _used_up_promotions(codes) -> set[str]:
    """Promotions every code of which on the cart is used up (another code may still work)."""
    return {pid for _c, pid, used_up in codes if used_up} - {
        pid for _c, pid, used_up in codes if not used_up
    }


def _may_apply(rule, qi: QuoteInput, now, switched) -> bool:
    cond = rule.conditions
    return (
        rule.status == "active"
        and rule.id not in switched
        and rule.live_at(now)
        and (not cond.markets or qi.market in cond.markets)
        and (not cond.channels or qi.channel in cond.channels)
    )


def _uses(rules) -> dict[str, bool]:
    conds = [r.conditions for r in rules]
    exclusions = [r.exclusions for r in rules]
    contains = [c.cart_contains for c in conds]
    return {
        "products": any(c.any_of_products or c.all_of_products for c in contains)
        or any(e.products for e in exclusions),
        "categories": any(c.any_of_categories or c.all_of_categories for c in contains)
        or any(e.categories for e in exclusions),
        "sale": any(e.sale_items for e in exclusions),
        "history": any(
            c.first_order_only or {"new", "returning"} & set(c.customer_segment) for c in conds
        ),
        "named_segments": any(set(c.customer_segment) - {"new", "returning"} for c in conds),
    }


def _placed(orders):
    return orders.exclude(status__in=NOT_PLACED).values_list("pk")[:1]


# Pricing asks this of every buyer it knows (shop.compiled: compiled once per connection).
_PLACED_BY_CUSTOMER = CompiledQuery(
    lambda customer_id: _placed(Order.objects.filter(customer_id=customer_id)), customer_id=int
)
_PLACED_BY_EMAIL = CompiledQuery(
    lambda email: _placed(Order.objects.filter(email__iexact=email)), email=str
)


# What cart_facts annotates a cart with (CartPromotions.forget_reads drops them).
CART_FACTS = (
    "coupon_rows",
    "counted_uses",
    "placed_before",
    "facts_email",
    "facts_customer_id",
)


def cart_facts() -> dict:
    """Annotations for a query of carts, on PostgreSQL: what CartPromotions reads about the
    cart and its buyer at every pricing (the codes on it, whether the buyer has placed an
    order, their counted promotion uses), with the e-mail and customer they were read for.
    Read with the cart, they cost no round trip: a storefront checkout read them in 21
    statements of their own. Elsewhere nothing (CartPromotions reads them apart)."""
    if connection.vendor != "postgresql":
        return {}
    placed = Order.objects.exclude(status__in=NOT_PLACED)
    return {
        **buyer_facts(
            cart_ref=OuterRef("public_id"),
            customer_id=OuterRef("customer_id"),
            email=OuterRef("email"),
        ),
        # As _has_placed_order asks: by customer when there is one, else by e-mail.
        "placed_before": Case(
            When(
                customer_id__isnull=False,
                then=Exists(placed.filter(customer_id=OuterRef("customer_id"))),
            ),
            When(email__gt="", then=Exists(placed.filter(email__iexact=OuterRef("email")))),
            default=Value(False),
            output_field=BooleanField(),
        ),
        "facts_email": F("email"),
        "facts_customer_id": F("customer_id"),
    }


def _uses_read_with(cart: Cart) -> list[tuple[str, int]]:
    return [(row["pid"], row["n"]) for row in cart.counted_uses]


def _has_placed_order(customer_id, email: str) -> bool:
    if customer_id:
        return bool(_PLACED_BY_CUSTOMER.rows(customer_id=customer_id))
    if email:
        return bool(_PLACED_BY_EMAIL.rows(email=email))
    return False


def adjustments_of(
    result: PromotionResult, *, budget_left: dict[str, int] | None = None
) -> list[Adjustment]:
    """The quote's adjustments for the engine's result.

    Free shipping asks for the whole shipping price (the quote knows it, the engine does
    not), but never for more than the promotion's budget has left: the engine could not cap
    an amount it did not know. Placement counts what the quote really took, under the
    promotion's row lock (promotions.services.redemptions), so the budget holds even when
    `budget_left` (read from the cached live set) is stale."""
    budget_left = budget_left or {}
    out = []
    for promo in result.applied:
        if promo.line_discounts:
            out.append(
                Adjustment(
                    promotion_id=promo.promotion_id,
                    name=promo.name,
                    amount_cents=promo.lines_cents,
                    applies_to="lines",
                    line_keys=tuple(key for key, _ in promo.line_discounts),
                )
            )
        if promo.free_shipping or promo.shipping_discount_cents:
            out.append(
                Adjustment(
                    promotion_id=promo.promotion_id,
                    name=promo.name,
                    amount_cents=min(
                        WHOLE_SHIPPING, budget_left.get(promo.promotion_id, WHOLE_SHIPPING)
                    )
                    if promo.free_shipping
                    else promo.shipping_discount_cents,
                    applies_to="shipping",
                )
            )
    return out


def promotions_not_applied(cart: Cart) -> list[dict]:
    """The cart shape's "why not" list: promotions a shopper can still get by adding more,
    those stacking kept out, and every promotion a code on the cart names."""
    result: PromotionResult | None = getattr(cart, "promotion_result", None)
    if result is None:
        return []
    on_cart = {pid for _code, pid, _used_up in getattr(cart, "promotion_codes", [])}
    return [
        miss.as_dict(cart.currency)
        for miss in result.not_applied
        if miss.reason in SHOWN
        or miss.reason.startswith(R.NOT_STACKABLE_PREFIX)
        or miss.promotion_id in on_cart
    ] + [miss.as_dict(cart.currency) for miss in getattr(cart, "promotion_gift_misses", [])]


def promotion_hints(cart: Cart) -> list[str]:
    """Sentences for the cart page: "Add $12.00 more to get 15% off hoodies and tees"."""
    result: PromotionResult | None = getattr(cart, "promotion_result", None)
    if result is None:
        return []
    misses = [*result.not_applied, *getattr(cart, "promotion_gift_misses", [])]
    return [h for h in (m.hint(cart.currency) for m in misses) if h]


def redeem_for_order(*, order: Order, cart: Cart, quote: Quote) -> None:
    """Count the promotions the order got (placement, under row locks; CouponExhausted rolls
    the placement back) and record which gave how much to which line."""
    used_up = [code for code, _pid, gone in getattr(cart, "promotion_codes", []) if gone]
    if used_up:
        # The shopper saw the cart without it: refuse rather than charge what was not shown.
        raise CouponExhausted(
            f"The code {used_up[0]} has been used up; remove it to continue.", code_used=used_up[0]
        )
    granted: dict[str, dict] = {}
    for line in quote.lines:
        for pid, cents in line.discounts:
            entry = granted.setdefault(pid, {"lines": {}, "shipping": 0})
            entry["lines"][line.sku] = entry["lines"].get(line.sku, 0) + cents
    gifts = {line.gift_of: line.sku for line in quote.lines if line.gift_of}
    for pid in gifts:
        granted.setdefault(pid, {"lines": {}, "shipping": 0})
    for adj in quote.adjustments:
        if adj.applies_to == "shipping" and adj.amount_cents > 0:
            granted.setdefault(adj.promotion_id, {"lines": {}, "shipping": 0})["shipping"] += (
                adj.amount_cents
            )
    redeem_promotions(
        order_ref=order.public_id,
        cart_ref=cart.public_id,
        currency=order.currency,
        customer_id=order.customer_id,
        email=order.email,
        granted=[
            Granted(pid, sum(g["lines"].values()), g["shipping"], g["lines"], gifts.get(pid, ""))
            for pid, g in sorted(granted.items())
        ],
    )


def return_for_order(order: Order) -> None:
    """Give the order's promotion uses back (it was cancelled)."""
    return_redemptions(order_ref=order.public_id)
