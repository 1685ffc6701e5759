"""The customer's "Cancel order" on their order page: shown while nothing has shipped, a
confirm page, then cancelled, voided and released; refused clearly once it ships."""

import pytest
from django.test import Client

from inventory.models import StockLevel
from orders import services as order_services
from orders.links import order_url
from orders.models import Order
from shop.money import Money, allocate
from tests.factories.orders import checkout_ready_cart, place
from tests.factories.shop import UserFactory
from tests.storefront.checkout_support import messages_of

pytestmark = pytest.mark.django_db


def placed_order(customer, variant, quantity=1) -> Order:
    cart = checkout_ready_cart(
        lines=[(variant, quantity)], customer=customer, email="c@example.com"
    )
    return place(cart, customer=customer)


def test_the_customer_cancels_from_their_order_page(client, tee, customer):
    order = placed_order(customer, tee, 2)
    client.force_login(customer)

    page = client.get(f"/orders/{order.public_id}/").content.decode()
    confirm = client.get(f"/orders/{order.public_id}/cancel/")
    done = client.post(f"/orders/{order.public_id}/cancel/", follow=True)

    assert "data-cancel-order" in page
    assert "Yes, cancel my order" in confirm.content.decode()
    assert done.redirect_chain[-1][0] == f"/orders/{order.public_id}/"
    assert "Your order is cancelled" in " ".join(messages_of(done))
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("cancelled", "voided")
    assert StockLevel.objects.get(variant=tee).reserved == 0
    assert "data-cancel-order" not in done.content.decode()


def test_a_guest_cancels_through_the_signed_link(tee):
    guest = Client()
    order = place(checkout_ready_cart(lines=[(tee, 1)]))
    link = order_url(order, signed=True).split("/orders/", 1)[1]
    token = link.split("token=", 1)[1]

    page = guest.get(f"/orders/{order.public_id}/?token={token}").content.decode()
    done = guest.post(f"/orders/{order.public_id}/cancel/", {"token": token})

    assert "data-cancel-order" in page
    assert done.status_code == 302 and "token=" in done["Location"]
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_nobody_else_can_cancel(client, tee, customer):
    order = placed_order(customer, tee)
    client.force_login(UserFactory())

    assert client.post(f"/orders/{order.public_id}/cancel/").status_code == 404
    assert (
        Client().post(f"/orders/{order.public_id}/cancel/", {"token": "forged"}).status_code == 404
    )
    assert Order.objects.get(pk=order.pk).status == "placed"


def test_once_it_shipped_the_button_is_gone_and_a_post_is_refused(client, tee, customer):
    order = placed_order(customer, tee, 2)
    line = order.lines.get()
    order_services.ship_order_lines(
        order=order, lines=[{"line_id": line.public_id, "quantity": 1}]
    )
    client.force_login(customer)

    page = client.get(f"/orders/{order.public_id}/").content.decode()
    refused = client.post(f"/orders/{order.public_id}/cancel/", follow=True)

    assert "data-cancel-order" not in page
    assert "can no longer be cancelled" in " ".join(messages_of(refused))
    assert Order.objects.get(pk=order.pk).status == "partially_fulfilled"


def test_cancelling_needs_the_csrf_token(tee, customer):
    order = placed_order(customer, tee)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer)

    assert browser.post(f"/orders/{order.public_id}/cancel/").status_code == 403
    assert Order.objects.get(pk=order.pk).status == "placed"


def test_the_order_page_shows_items_cancelled_by_operations(client, tee, customer):
    order = placed_order(customer, tee, 3)
    line = order.lines.get()
    order_services.cancel_order_lines(
        order=order, lines=[{"line_id": line.public_id, "quantity": 1}], reason="damaged"
    )
    client.force_login(customer)

    response = client.get(f"/orders/{order.public_id}/")

    assert "1 cancelled" in response.content.decode()
    assert [e.label for e in response.context["timeline"]][-1] == "Some items cancelled"


def test_the_order_total_takes_off_what_the_cancelled_items_were_worth(client, tee, customer):
    cart = checkout_ready_cart(
        lines=[(tee, 3)], customer=customer, email="c@example.com", method="express"
    )
    order = place(cart, customer=customer)
    line = order.lines.get()
    order_services.cancel_order_lines(
        order=order, lines=[{"line_id": line.public_id, "quantity": 1}], reason="damaged"
    )
    client.force_login(customer)

    response = client.get(f"/orders/{order.public_id}/")

    # One line: it carries all the shipping and tax; the last unit goes first.
    worth = allocate(order.total_cents, [1, 1, 1])[2]
    rows = {str(row.label): row.text for row in response.context["summary"]}
    assert rows["Cancelled items"] == f"−{Money(worth, 'USD')}"
    assert rows["New total"] == str(Money(order.total_cents - worth, "USD"))
    assert "New total" in response.content.decode()


def test_a_cancelled_order_keeps_its_plain_total(client, tee, customer):
    order = placed_order(customer, tee, 2)
    order_services.cancel_order(order=order, actor=customer, by_customer=True)
    client.force_login(customer)

    labels = [
        str(row.label) for row in client.get(f"/orders/{order.public_id}/").context["summary"]
    ]

    assert "Cancelled items" not in labels and labels[-1] == "Total"
