"""The cart and order answers are the documented shapes, exactly.

The hot cart and order views hand orders.api.shapes' dicts to the renderer without running
them through CartSerializer / OrderSerializer (a tenth of each call's CPU). These tests run
each answer through its serializer, the one the OpenAPI document is built from, and demand
the same JSON back: no key the document lacks, none it promises missing, no value it would
render otherwise.
"""

import json

import pytest
from rest_framework.renderers import JSONRenderer

from catalog.models import VariantPrice
from orders.api import serializers as s
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import stock
from tests.orders.api_support import add_line, checkout, client_for, new_cart, new_key, place

pytestmark = pytest.mark.django_db


def _as_documented(serializer_class, body: dict) -> dict:
    return json.loads(JSONRenderer().render(serializer_class(body).data))


def test_every_cart_answer_is_the_documented_shape(us, stocked, warehouse):
    client = client_for()
    archived = VariantFactory(sku="MUG-OLD", prices={"USD": 900})
    stock(archived, warehouse, 5)
    answers = [new_cart(client)]
    cart_id = answers[0]["id"]
    answers.append(add_line(client, cart_id, "TEE-RED-M", 2).json())
    answers.append(add_line(client, cart_id, "MUG-OLD", 1).json())
    answers.append(checkout(client, cart_id, method=None).json())  # rates, no method yet
    answers.append(checkout(client, cart_id).json())
    VariantPrice.objects.filter(variant=stocked, currency="USD").update(amount_cents=2700)
    archived.product.status = "archived"
    archived.product.save(update_fields=["status"])
    answers.append(client.get(f"/api/v1/carts/{cart_id}").json())  # a price change, a line gone

    last = answers[-1]
    assert last["price_changes"] and last["unavailable_lines"] and last["shipping_rates"]
    for body in answers:
        assert _as_documented(s.CartSerializer, body) == body


def test_the_placed_order_answer_is_the_documented_shape(us, stocked):
    client = client_for()
    cart_id = new_cart(client)["id"]
    add_line(client, cart_id, "TEE-RED-M", 1)
    checkout(client, cart_id)

    response = place(client, cart_id, key=new_key())

    body = response.json()
    assert response.status_code == 201 and body["events"] and body["lines"]
    assert _as_documented(s.OrderSerializer, body) == body
