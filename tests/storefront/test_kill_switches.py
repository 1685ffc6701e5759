"""Kill switches on the storefront: a switched-off method disappears, checkout closes."""

import pytest

from orders.models import Order
from shop.services import set_kill_switch
from tests.storefront.checkout_support import (
    _accepted,
    add,
    address_form,
    messages_of,
    review_form,
    to_review,
)

pytestmark = pytest.mark.django_db


def test_a_switched_off_shipping_method_disappears_from_the_shipping_step(client, tee):
    set_kill_switch(kind="shipping_method", target="express", is_off=True, reason="carrier down")
    _accepted(add(client), "/cart/")
    client.post("/checkout/identify/", {"email": "buyer@example.com"})
    client.post("/checkout/address/", address_form())

    page = client.get("/checkout/shipping/").content.decode()
    chosen = client.post("/checkout/shipping/", {"method": "express"})

    assert "Standard shipping" in page and "Express shipping" not in page
    assert chosen.status_code == 200  # the form refuses a method it does not offer


def test_a_method_switched_off_after_choosing_it_sends_the_buyer_back_to_shipping(client, tee):
    to_review(client, method="express")
    form = review_form(client)
    set_kill_switch(kind="shipping_method", target="express", is_off=True, reason="carrier down")

    refused = client.post("/checkout/place/", form, follow=True)

    assert refused.redirect_chain[0][0] == "/checkout/shipping/"
    assert "not available" in " ".join(messages_of(refused))
    assert Order.objects.count() == 0


def test_switched_off_card_payments_hide_the_card_form(client, tee):
    to_review(client)
    set_kill_switch(kind="payment_method", target="card", is_off=True, reason="gateway incident")

    page = client.get("/checkout/payment/").content.decode()

    assert "Card payments are switched off" in page
    assert 'name="card_number"' not in page


def test_a_switched_off_market_closes_its_checkout(client, tee):
    to_review(client)
    set_kill_switch(kind="market", target="US", is_off=True, reason="tax outage")

    review = client.get("/checkout/review/").content.decode()
    refused = client.post("/checkout/place/", review_form_or_none(client))

    assert ">Place order</button>" not in review
    assert refused.status_code == 302
    assert Order.objects.count() == 0


def review_form_or_none(client) -> dict:
    set_kill_switch(kind="market", target="US", is_off=False, reason="peek at the form")
    form = review_form(client)
    set_kill_switch(kind="market", target="US", is_off=True, reason="tax outage")
    return form


def test_the_review_page_after_the_chosen_method_was_switched_off_does_not_break(client, tee):
    to_review(client, method="express")
    set_kill_switch(kind="shipping_method", target="express", is_off=True, reason="carrier down")

    review = client.get("/checkout/review/", follow=True)

    assert review.status_code == 200
    assert Order.objects.count() == 0
