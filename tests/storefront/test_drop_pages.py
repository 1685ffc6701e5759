"""Drop mode on the storefront: add-to-cart refused for load goes to the waiting room (a place
in line, retried by the page), refused for stock to the sold-out page."""

import pytest
from django.test import Client

from inventory import drop_gate
from inventory.models import StockLevel
from orders.models import CartLine
from tests.drop_support import clean_gate, start_drop  # noqa: F401 - fixture
from tests.storefront.checkout_support import SKU, add, stocked_tee

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_gate")]


@pytest.fixture
def tee():
    variant = stocked_tee(on_hand=5)
    start_drop(variant=variant)
    return variant


def test_add_to_cart_in_a_drop_adds_and_holds(tee, client):
    response = add(client)

    assert response.status_code == 302 and response["Location"] == "/cart/"
    assert CartLine.objects.get().quantity == 1
    assert StockLevel.objects.get(variant=tee).reserved == 1


def test_busy_drop_sends_the_buyer_to_the_waiting_room_with_a_place(tee, client, settings):
    settings.DROP_MAX_IN_FLIGHT = 1
    drop_gate.admit(drop_gate.drop_rule_for(SKU), quantity=1, member="cart_other")

    response = add(client)
    page = client.get("/drop/wait/")

    assert response["Location"] == "/drop/wait/"
    html = page.content.decode()
    assert page.status_code == 200
    assert "You are in line" in html and "data-position>1<" in html
    assert 'name="sku" value="TEE-RED-M"' in html and "waiting-room.js" in html
    assert page["Cache-Control"].startswith("max-age=0")
    assert not CartLine.objects.exists()


def test_the_waiting_room_keeps_the_place_across_retries(tee, client, settings):
    settings.DROP_MAX_IN_FLIGHT = 1
    rule = drop_gate.drop_rule_for(SKU)
    inside = drop_gate.admit(rule, quantity=1, member="cart_other")
    add(client)  # in line, first
    other = Client()
    add(other)  # second

    add(client)  # a retry: still first
    place_after_retry = client.session["_drop_wait"]["position"]
    inside.leave(give_back=False)
    blocked = add(other)  # the first in line goes first
    admitted = add(client)

    assert (place_after_retry, other.session["_drop_wait"]["position"]) == (1, 2)
    assert blocked["Location"] == "/drop/wait/"
    assert admitted["Location"] == "/cart/"
    assert CartLine.objects.count() == 1


def test_sold_out_drop_shows_the_sold_out_page(tee, client):
    add(Client(), quantity="5")

    response = add(client)
    page = client.get(response["Location"])

    assert response["Location"] == "/drop/sold-out/?sku=TEE-RED-M"
    assert page.status_code == 200
    assert "Sold out" in page.content.decode() and "Harbor Tee" in page.content.decode()


def test_pages_take_bad_input_calmly(tee, client):
    assert client.get("/drop/wait/")["Location"] == "/cart/"  # not waiting: the cart
    assert client.get("/drop/sold-out/?sku=NOPE" + "x" * 500).status_code == 200
    assert client.get("/drop/sold-out/?sku=%00NOPE").status_code == 400  # the site's NUL guard
