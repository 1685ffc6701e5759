"""The admin's "simulate" page: a cart made up of SKUs and quantities in a market, evaluated
against the promotions now (or at a chosen moment), with every reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from catalog.models import Product, Variant, VariantPrice
from promotions.engine import CartContext, ContextLine, PromotionResult, evaluate, parse_rule
from promotions.models import Coupon, Promotion
from promotions.selectors import switched_off_promotions


@dataclass(frozen=True)
class Simulation:
    context: CartContext
    result: PromotionResult
    unknown_skus: list[str]
    unpriced_skus: list[str]


def parse_lines(text: str) -> list[tuple[str, int]]:
    """'SKU-1 x2' / 'SKU-1, 2' / 'SKU-1' lines -> [(sku, quantity)]. Raises ValueError."""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        raw = raw.strip()
        if not raw:
            continue
        parts = raw.replace(",", " ").replace(" x", " ").replace("\t", " ").split()
        qty = 1
        if len(parts) == 2:
            try:
                qty = int(parts[1].lstrip("x"))
            except ValueError:
                raise ValueError(
                    f"line {number}: the quantity {parts[1]!r} is not a number"
                ) from None
        elif len(parts) != 1:
            raise ValueError(f"line {number}: write a SKU and a quantity, like 'TEE-RED-M 2'")
        if not 1 <= qty <= 999:
            raise ValueError(f"line {number}: the quantity must be 1 to 999")
        out.append((parts[0], qty))
    if len(out) > 200:
        raise ValueError("at most 200 lines")
    return out


def simulate(
    *,
    market,
    channel: str,
    lines: list[tuple[str, int]],
    segments: set[str],
    is_first_order: bool,
    codes: list[str],
    now: datetime,
    include_drafts: bool = False,
    shipping_method: str = "",
    shipping_cents: int | None = None,
) -> Simulation:
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=[s for s, _ in lines])}
    prices = dict(
        VariantPrice.objects.filter(
            variant__in=variants.values(), currency=market.currency
        ).values_list("variant_id", "amount_cents")
    )
    compare_at = dict(
        VariantPrice.objects.filter(
            variant__in=variants.values(), currency=market.currency
        ).values_list("variant_id", "compare_at_cents")
    )
    product_ids = {v.product_id for v in variants.values()}
    handles = dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "handle"))
    categories: dict[int, set[str]] = {}
    for pid, path in Product.categories.through.objects.filter(
        product_id__in=product_ids
    ).values_list("product_id", "category__path"):
        categories.setdefault(pid, set()).update(path.split("/"))
    context_lines, unknown, unpriced = [], [], []
    for i, (sku, qty) in enumerate(lines):
        variant = variants.get(sku)
        if variant is None:
            unknown.append(sku)
            continue
        if variant.pk not in prices:
            unpriced.append(sku)
            continue
        context_lines.append(
            ContextLine(
                key=f"line-{i + 1}",
                sku=sku,
                quantity=qty,
                unit_price_cents=prices[variant.pk],
                product=handles.get(variant.product_id, ""),
                categories=frozenset(categories.get(variant.product_id, ())),
                compare_at_cents=compare_at.get(variant.pk),
            )
        )
    statuses = ["active", "draft"] if include_drafts else ["active"]
    promotions = list(Promotion.objects.filter(status__in=statuses))
    rules = [parse_rule({**p.rule, "status": "active"}) for p in promotions]
    exhausted = frozenset(p.pk for p in promotions if p.exhausted)
    coupon_promotions = frozenset(
        Coupon.objects.filter(
            code__in=[c.strip().upper() for c in codes if c.strip()]
        ).values_list("promotion_id", flat=True)
    )
    context = CartContext(
        lines=tuple(context_lines),
        market=market.code,
        currency=market.currency,
        channel=channel,
        now=now,
        segments=frozenset(segments | {"new" if is_first_order else "returning"}),
        is_first_order=is_first_order,
        coupon_promotions=coupon_promotions,
        limit_reached=exhausted,
        switched_off=switched_off_promotions(),
        shipping_method=shipping_method,
        shipping_cents=shipping_cents,
    )
    return Simulation(context, evaluate(context, rules), unknown, unpriced)
