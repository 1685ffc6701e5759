"""What a cart looks like to the engine: plain values, loaded by the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ContextLine:
    key: str
    sku: str
    quantity: int
    unit_price_cents: int  # as listed
    product: str = ""  # product handle
    categories: frozenset[str] = frozenset()  # slugs of its categories and their ancestors
    compare_at_cents: int | None = None  # set: the line is on sale

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_price_cents

    @property
    def on_sale(self) -> bool:
        return self.compare_at_cents is not None and self.compare_at_cents > self.unit_price_cents


@dataclass(frozen=True)
class CartContext:
    """A cart at one instant.

    `segments`: "new" (no prior placed order) or "returning", plus named profile segments.
    `coupon_promotions`: ids of promotions a valid code on the cart unlocks.
    `limit_reached`: ids of promotions whose uses, per-customer uses or budget are spent.
    `switched_off`: ids of promotions Operations switched off (shop.kill_switches).
    `shipping_cents`: the chosen shipping price when known (None: not chosen yet).
    `budget_left`: what each budgeted promotion may still give; its discount is capped to it.
    """

    lines: tuple[ContextLine, ...]
    market: str
    currency: str
    channel: str
    now: datetime
    segments: frozenset[str] = frozenset({"new"})
    is_first_order: bool = True
    coupon_promotions: frozenset[str] = frozenset()
    limit_reached: frozenset[str] = frozenset()
    switched_off: frozenset[str] = frozenset()
    shipping_method: str = ""
    shipping_cents: int | None = None
    max_combined_discount_cents: int | None = None
    budget_left: tuple[tuple[str, int], ...] = ()  # (promotion id, cents its budget has left)
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def subtotal_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    def fingerprint(self) -> tuple:
        """Everything evaluate reads except `now` (callers key caches on it)."""
        return (
            tuple(
                (
                    ln.key,
                    ln.sku,
                    ln.quantity,
                    ln.unit_price_cents,
                    ln.product,
                    tuple(sorted(ln.categories)),
                    ln.compare_at_cents,
                )
                for ln in self.lines
            ),
            self.market,
            self.currency,
            self.channel,
            tuple(sorted(self.segments)),
            self.is_first_order,
            tuple(sorted(self.coupon_promotions)),
            tuple(sorted(self.limit_reached)),
            tuple(sorted(self.switched_off)),
            self.shipping_method,
            self.shipping_cents,
            self.max_combined_discount_cents,
            self.budget_left,
        )
