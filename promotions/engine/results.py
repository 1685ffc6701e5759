"""What evaluate answers: the promotions applied (with the cents per line and on shipping) and,
for every other promotion, a machine-readable reason."""

from __future__ import annotations

from dataclasses import dataclass

from shop.money import Money

# Reasons, in the order the engine checks them (the first that fails is reported).
NOT_ACTIVE = "not_active"
SWITCHED_OFF = "switched_off"
OUTSIDE_WINDOW = "outside_window"
MARKET_NOT_ELIGIBLE = "market_not_eligible"
CHANNEL_NOT_ELIGIBLE = "channel_not_eligible"
SEGMENT_NOT_ELIGIBLE = "segment_not_eligible"
FIRST_ORDER_ONLY = "first_order_only"
COUPON_REQUIRED = "coupon_required"
LIMIT_REACHED = "limit_reached"
CURRENCY_NOT_OFFERED = "currency_not_offered"
SHIPPING_METHOD_NOT_ELIGIBLE = "shipping_method_not_eligible"
CART_CONTAINS_NOT_MET = "cart_contains_not_met"
EXCLUDED = "excluded"
MIN_QUANTITY_NOT_MET = "min_quantity_not_met"
MIN_SUBTOTAL_NOT_MET = "min_subtotal_not_met"
NOTHING_TO_DISCOUNT = "nothing_to_discount"
ORDER_CAP_REACHED = "order_cap_reached"
# Set by the cart (orders.promotions), not the engine: the gift earned is out of stock.
GIFT_OUT_OF_STOCK = "gift_out_of_stock"
NOT_STACKABLE_PREFIX = "not_stackable_with:"

# Reasons a shopper can act on (shown in the cart as "why not" hints).
ACTIONABLE = {MIN_SUBTOTAL_NOT_MET, MIN_QUANTITY_NOT_MET}


@dataclass(frozen=True)
class AppliedPromotion:
    promotion_id: str
    name: str
    applies_to: str  # matching_lines | order | shipping
    line_discounts: tuple[tuple[str, int], ...] = ()  # (line key, cents as listed)
    shipping_discount_cents: int = 0
    free_shipping: bool = False  # all of the shipping price, whatever it turns out to be
    gift_sku: str | None = None

    @property
    def lines_cents(self) -> int:
        return sum(cents for _, cents in self.line_discounts)

    @property
    def amount_cents(self) -> int:
        return self.lines_cents + self.shipping_discount_cents


@dataclass(frozen=True)
class NotApplied:
    promotion_id: str
    name: str
    reason: str
    offer: str = ""  # "15% off hoodies and tees"
    amount_needed_cents: int | None = None
    quantity_needed: int | None = None

    def hint(self, currency: str) -> str:
        """A sentence for the shopper, or "" when there is nothing they can do."""
        if self.reason == MIN_SUBTOTAL_NOT_MET and self.amount_needed_cents:
            return f"Add {Money(self.amount_needed_cents, currency)} more to get {self.offer}"
        if self.reason == GIFT_OUT_OF_STOCK:
            return f"{self.name}: gift out of stock"
        if self.reason == MIN_QUANTITY_NOT_MET and self.quantity_needed:
            item = "item" if self.quantity_needed == 1 else "items"
            return f"Add {self.quantity_needed} more {item} to get {self.offer}"
        return ""

    def as_dict(self, currency: str) -> dict:
        out = {"id": self.promotion_id, "name": self.name, "reason": self.reason}
        if self.amount_needed_cents is not None:
            out["amount_needed"] = Money(self.amount_needed_cents, currency).as_dict()
        if self.quantity_needed is not None:
            out["quantity_needed"] = self.quantity_needed
        hint = self.hint(currency)
        if hint:
            out["hint"] = hint
        return out


@dataclass(frozen=True)
class PromotionResult:
    applied: tuple[AppliedPromotion, ...]
    not_applied: tuple[NotApplied, ...]

    def line_discounts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for promo in self.applied:
            for key, cents in promo.line_discounts:
                out[key] = out.get(key, 0) + cents
        return out

    @property
    def lines_discount_cents(self) -> int:
        return sum(p.lines_cents for p in self.applied)

    @property
    def free_shipping(self) -> bool:
        return any(p.free_shipping for p in self.applied)

    @property
    def applied_ids(self) -> tuple[str, ...]:
        return tuple(p.promotion_id for p in self.applied)

    def reason_of(self, promotion_id: str) -> str | None:
        for item in self.not_applied:
            if item.promotion_id == promotion_id:
                return item.reason
        return None
