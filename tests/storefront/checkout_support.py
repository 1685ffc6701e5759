"""Shared steps of the storefront buying tests: a stocked product and a shopper's clicks.

Each helper posts what a browser would post and checks only that the step was accepted,
so the tests read as the buyer's path and assert what matters to them.
"""

from __future__ import annotations

import re

from catalog.models import VariantPrice
from tests.factories.catalog import ProductFactory, VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.orders import ADDRESSES, ensure_order_config

SKU = "TEE-RED-M"
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
TIMEOUT_CARD = "4000 0000 0000 0119"


def stocked_tee(on_hand: int = 10):
    """Harbor Tee (TEE-RED-M) at $25.00 / CA$32.00 / €23.99, `on_hand` units in a warehouse
    serving every market."""
    ensure_order_config()
    market("US")
    product = ProductFactory(title="Harbor Tee", handle="harbor-tee")
    variant = VariantFactory(
        product=product, sku=SKU, prices={"USD": 2500, "CAD": 3200, "EUR": 2399}
    )
    warehouse = LocationFactory(code="us-east", country="US", markets=["US", "CA", "EU"])
    stock(variant, warehouse, on_hand)
    return variant


def set_price(variant, cents: int, currency: str = "USD") -> None:
    VariantPrice.objects.filter(variant=variant, currency=currency).update(amount_cents=cents)


def add(client, sku: str = SKU, quantity="1"):
    return client.post("/cart/add/", {"sku": sku, "quantity": quantity, "next": "/p/harbor-tee/"})


def address_form(code: str = "US", **changes) -> dict:
    return {"line2": "", "region": "", "phone": "", **ADDRESSES[code], **changes}


def card_form(number: str = GOOD_CARD, expiry: str = "12 / 34", cvc: str = "123") -> dict:
    return {"card_number": number, "expiry": expiry, "cvc": cvc}


def _accepted(response, where: str):
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert response["Location"] == where
    return response


def to_review(client, *, email="buyer@example.com", card=GOOD_CARD, method="standard"):
    """A cart with one tee taken through every step up to the review page."""
    _accepted(add(client), "/cart/")
    _accepted(client.post("/checkout/identify/", {"email": email}), "/checkout/address/")
    _accepted(client.post("/checkout/address/", address_form()), "/checkout/shipping/")
    _accepted(client.post("/checkout/shipping/", {"method": method}), "/checkout/payment/")
    _accepted(client.post("/checkout/payment/", card_form(card)), "/checkout/review/")


def review_form(client) -> dict:
    """The place-order form as the review page draws it (cart id and the page's key)."""
    response = client.get("/checkout/review/")
    assert response.status_code == 200
    html = response.content.decode()
    return {
        "cart": re.search(r'name="cart" value="([^"]+)"', html)[1],
        "checkout_key": re.search(r'name="checkout_key" value="([^"]+)"', html)[1],
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
