"""The account page lists the customer's own orders; an order's page shows its timeline to
its customer only (another customer, staff included, gets a 404 on the shop's pages)."""

import pytest

from orders import services as order_services
from orders.models import Order
from tests.factories.orders import checkout_ready_cart, place
from tests.factories.shop import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def placed_order(customer, variant, quantity=1, token="tok_visa") -> Order:
    cart = checkout_ready_cart(
        lines=[(variant, quantity)], customer=customer, email=customer.email
    )
    return place(cart, token, customer=customer)


def test_the_account_lists_only_the_customers_own_orders(client, tee, customer):
    first = placed_order(customer, tee, 2)
    second = placed_order(customer, tee, 1)
    placed_order(UserFactory(), tee, 1)
    client.force_login(customer)

    response = client.get("/account/")

    rows = [(o.reference, o.item_count, o.total_cents) for o in response.context["orders"]]
    assert rows == [
        (second.reference, 1, second.total_cents),
        (first.reference, 2, first.total_cents),
    ]
    html = response.content.decode()
    assert f'href="/orders/{first.public_id}/"' in html
    assert "Signed in as customer@example.com" in html


def test_an_order_page_shows_the_status_timeline(client, tee, customer):
    order = placed_order(customer, tee, token="tok_declined")
    order_services.retry_payment(order=order, payment_token="tok_visa", actor=customer)
    client.force_login(customer)

    response = client.get(f"/orders/{order.public_id}/")

    assert response.status_code == 200
    assert [(e.label, e.status) for e in response.context["timeline"]] == [
        ("Order received", "Awaiting payment"),
        ("Payment declined", "Payment failed"),
        ("Payment tried again", "Awaiting payment"),
        ("Payment approved — order confirmed", "Placed"),
    ]
    assert response.context["refresh_seconds"] is None
    html = response.content.decode()
    assert "Payment declined" in html and "data-timeline" in html


def test_a_cancelled_order_says_so(client, tee, customer):
    order = placed_order(customer, tee)
    order_services.cancel_order(order=order, actor=customer, reason="changed my mind")
    client.force_login(customer)

    response = client.get(f"/orders/{order.public_id}/")

    assert response.context["status_message"] == "This order was cancelled."
    assert [e.label for e in response.context["timeline"]][-2:] == [
        "Order cancelled",
        "Payment released",
    ]


def test_another_customers_order_is_not_found(client, tee, customer):
    order = placed_order(customer, tee)

    client.force_login(UserFactory())
    as_stranger = client.get(f"/orders/{order.public_id}/")
    client.force_login(StaffFactory(is_superuser=True))
    as_staff = client.get(f"/orders/{order.public_id}/")
    unknown = client.get("/orders/ord_doesnotexist/")

    assert (as_stranger.status_code, as_staff.status_code, unknown.status_code) == (404, 404, 404)


def test_a_customer_order_link_asks_a_visitor_to_sign_in(client, tee, customer):
    order = placed_order(customer, tee)

    response = client.get(f"/orders/{order.public_id}/")

    assert response["Location"] == f"/accounts/login/?next=/orders/{order.public_id}/"


def test_the_account_needs_a_login(client):
    assert client.get("/account/")["Location"] == "/accounts/login/?next=/account/"
