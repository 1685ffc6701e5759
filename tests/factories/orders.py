"""Orders test data: carts built through the real cart and checkout services.

Orders themselves come from `place_order` (STYLE.md: stateful objects from services), see
`place()` below.
"""

import itertools

import factory
from django.apps import apps as global_apps

from orders import services
from orders.migrations import _defaults as order_defaults
from orders.models import Cart, CartLine
from shop.models import Channel
from tests.factories.inventory import market

ADDRESSES = {
    "US": {
        "name": "Ada Lovelace",
        "line1": "350 Fifth Avenue",
        "city": "New York",
        "region": "NY",
        "postal_code": "10118",
        "country": "US",
    },
    "CA": {
        "name": "Ada Lovelace",
        "line1": "111 Wellington St",
        "city": "Ottawa",
        "region": "ON",
        "postal_code": "K1A 0A9",
        "country": "CA",
    },
    "EU": {
        "name": "Ada Lovelace",
        "line1": "Unter den Linden 1",
        "city": "Berlin",
        "postal_code": "10117",
        "country": "DE",
    },
}
_keys = itertools.count(1)


def channel(code: str = "web") -> Channel:
    found, _ = Channel.objects.get_or_create(code=code, defaults={"name": code})
    return found


def ensure_order_config() -> None:
    """The seeded shipping methods, zones, rates and tax rates (gone after a flush)."""
    order_defaults.seed(global_apps, None)


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart

    market = factory.LazyFunction(lambda: market("US"))
    channel = factory.LazyFunction(channel)
    currency = factory.LazyAttribute(lambda o: o.market.currency)


class CartLineFactory(factory.django.DjangoModelFactory):
    """A line at the variant's current price (pass unit_price_cents to fake an old price)."""

    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    variant = factory.SubFactory("tests.factories.catalog.VariantFactory")
    quantity = 1
    currency = factory.LazyAttribute(lambda o: o.cart.currency)
    unit_price_cents = factory.LazyAttribute(
        lambda o: o.variant.prices.get(currency=o.cart.currency).amount_cents
    )


def checkout_ready_cart(
    *,
    lines,
    market_code: str = "US",
    customer=None,
    email: str = "buyer@example.com",
    address: dict | None = None,
    method: str = "standard",
) -> Cart:
    """A cart with `lines` [(variant, qty)], e-mail, address and method, via the services."""
    cart = services.create_cart(market=market(market_code), channel=channel(), customer=customer)
    for variant, quantity in lines:
        services.add_cart_line(cart=cart, sku=variant.sku, quantity=quantity)
    return services.update_checkout(
        cart=cart,
        email=email,
        shipping_address=address or ADDRESSES[market_code],
        shipping_method=method,
    )


def new_key() -> str:
    return f"test-key-{next(_keys)}"


def place(cart: Cart, token: str = "tok_visa", *, customer=None, key: str | None = None):
    """Place `cart` through the real service."""
    return services.place_order(
        cart=cart, payment_token=token, customer=customer, idempotency_key=key or new_key()
    )
