"""The kill switches as checkout sees them (shop.kill_switches holds the state).

- checkout as a whole, or a market: nothing is placed or paid (503 `checkout_disabled`), and
  the storefront's checkout says it is closed;
- a shipping method: it is no longer offered (the rate provider's options are filtered), and
  choosing it or placing a cart that chose it is a 422 `shipping_method_unavailable`;
- a payment method ("card"): placing or paying with it is a 422 `payment_method_unavailable`.
Promotions read theirs with `promotion_switched_off`.
"""

from __future__ import annotations

from orders.exceptions import (
    CheckoutDisabled,
    PaymentMethodUnavailable,
    ShippingMethodUnavailable,
)
from orders.providers.shipping.base import ShippingRequest
from shop import kill_switches
from shop.models import KillSwitchKind

K = KillSwitchKind
PAYMENT_METHODS = [("card", "Card")]


def checkout_open(market=None) -> bool:
    """Checkout is not switched off, as a whole or for `market` (a Market or its code)."""
    code = getattr(market, "code", market)
    return not kill_switches.checkout_off(code)


def refuse_closed_checkout(market=None) -> None:
    """Raise CheckoutDisabled if checkout (or the market's) is switched off."""
    if not checkout_open(market):
        raise CheckoutDisabled()


def refuse_switched_off_shipping(code) -> None:
    if code and kill_switches.is_off(K.SHIPPING_METHOD, str(code)):
        raise ShippingMethodUnavailable(str(code)[:40])


def refuse_switched_off_payment(method: str = "card") -> None:
    if kill_switches.is_off(K.PAYMENT_METHOD, method):
        raise PaymentMethodUnavailable(method[:40])


def payment_method_open(method: str = "card") -> bool:
    return not kill_switches.is_off(K.PAYMENT_METHOD, method)


def refuse_switched_off_checkout(cart, payment_method: str = "card") -> None:
    """Everything placing `cart` needs is switched on (place_order's first step).

    One cache read when nothing is switched off; the cart's market and shipping method are
    looked up only when a switch of their kind is off.
    """
    off = kill_switches.switched_off()
    if not off:
        return
    if (K.CHECKOUT, "") in off:
        raise CheckoutDisabled()
    kinds = {kind for kind, _target in off}
    if K.MARKET in kinds and (K.MARKET, cart.market.code) in off:
        raise CheckoutDisabled()
    if K.SHIPPING_METHOD in kinds and cart.shipping_method_id:
        refuse_switched_off_shipping(cart.shipping_method.code)
    refuse_switched_off_payment(payment_method)


def promotion_switched_off(promotion_id: str) -> bool:
    return kill_switches.is_off(K.PROMOTION, promotion_id)


class SwitchableShippingProvider:
    """Any shipping-rate provider, minus the methods Operations switched off."""

    def __init__(self, inner):
        self.inner = inner
        self.name = getattr(inner, "name", "shipping")

    def rates(self, request: ShippingRequest):
        off = kill_switches.off_targets(K.SHIPPING_METHOD)
        options = self.inner.rates(request)
        return [option for option in options if option.code not in off] if off else options


def shipping_method_targets() -> list[tuple[str, str]]:
    from orders.models import ShippingMethod

    return [(m.code, m.name) for m in ShippingMethod.objects.order_by("position", "code")]
