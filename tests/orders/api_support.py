"""Helpers for the cart and order API tests: clients, a checked-out cart, the counts that
must not move when a request is refused."""

from __future__ import annotations

import itertools

from rest_framework.test import APIClient

from inventory.models import OPEN_STATUSES, Reservation, StockLevel
from orders.models import Cart, DummyCharge, Order, OrderEvent, PaymentTransaction
from shop.models import IdempotencyKey
from tests.factories.orders import ADDRESSES, channel

_keys = itertools.count(1)


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def usd(amount: int) -> dict:
    return {"amount": amount, "currency": "USD"}


def new_key() -> str:
    return f"api-key-{next(_keys)}"


def new_cart(client, market: str = "US") -> dict:
    channel()  # the web channel (a transactional test may have flushed the seeded one)
    response = client.post("/api/v1/carts", {"market": market, "channel": "web"}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def add_line(client, cart_id: str, sku: str, quantity: int = 1):
    return client.post(
        f"/api/v1/carts/{cart_id}/lines", {"sku": sku, "quantity": quantity}, format="json"
    )


def checkout(client, cart_id: str, *, market: str = "US", method: str | None = "standard", **kw):
    body = {"email": "buyer@example.com", "shipping_address": ADDRESSES[market], **kw}
    if method is not None:
        body["shipping_method"] = method
    return client.put(f"/api/v1/carts/{cart_id}/checkout", body, format="json")


def ready_cart(client, lines, *, market: str = "US") -> str:
    """A cart id with `lines` [(sku, qty)], e-mail, address and standard shipping."""
    cart_id = new_cart(client, market)["id"]
    for sku, quantity in lines:
        assert add_line(client, cart_id, sku, quantity).status_code == 201
    assert checkout(client, cart_id, market=market).status_code == 200
    return cart_id


def place(client, cart_id: str, token: str = "tok_visa", *, key: str | None = None):
    return client.post(
        "/api/v1/orders",
        {"cart": cart_id, "payment": {"method": "card", "token": token}},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or new_key(),
    )


def footprint() -> dict:
    """What a refused request must leave as it was."""
    return {
        "orders": Order.objects.count(),
        "events": OrderEvent.objects.count(),
        "charges": DummyCharge.objects.count(),
        "transactions": PaymentTransaction.objects.count(),
        "reserved": sum(StockLevel.objects.values_list("reserved", flat=True)),
        "open_reservations": Reservation.objects.filter(status__in=OPEN_STATUSES).count(),
        "idempotency_keys": IdempotencyKey.objects.count(),
        "open_carts": Cart.objects.filter(status="open").count(),
    }
