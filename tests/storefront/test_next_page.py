"""A form sent by the shop's script (X-Next-Page: inline) is answered with the page its
redirect leads to, in one request, with that page's address in X-Page-URL; without the header
the same views answer with the redirect (storefront/next_page.py)."""

import pytest
from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from orders.models import Cart, CheckoutStep, CheckoutStepEvent, Order, OrderStatus
from storefront.next_page import PAGE_URL_HEADER, follow_inline
from tests.storefront.checkout_support import (
    SKU,
    add,
    address_form,
    card_form,
    messages_of,
    review_form,
    to_review,
)

pytestmark = pytest.mark.django_db

INLINE = {"headers": {"X-Next-Page": "inline"}}


def page_url(response) -> str:
    assert response.status_code == 200, response.content.decode()[-2000:]
    return response[PAGE_URL_HEADER]


def test_add_to_cart_answers_with_the_cart_page_and_its_message_once(client, tee):
    response = client.post("/cart/add/", {"sku": SKU, "quantity": "2"}, **INLINE)

    assert page_url(response) == "/cart/"
    assert "storefront/cart/detail.html" in [t.name for t in response.templates]
    assert messages_of(response) == ["Added Harbor Tee to your cart."]
    assert Cart.objects.get().lines.get().quantity == 2
    # The message was shown on that page: the next one does not repeat it.
    assert messages_of(client.get("/cart/")) == []


def test_each_step_answers_with_the_next_step_and_logs_entering_it(client, tee):
    add(client)

    steps = [
        ("/checkout/identify/", {"email": "buyer@example.com"}, "/checkout/address/"),
        ("/checkout/address/", address_form(), "/checkout/shipping/"),
        ("/checkout/shipping/", {"method": "standard"}, "/checkout/payment/"),
        ("/checkout/payment/", card_form(), "/checkout/review/"),
    ]
    for path, form, next_path in steps:
        response = client.post(path, form, **INLINE)
        assert page_url(response) == next_path
        assert response.context["step"] == next_path.strip("/").split("/")[-1]

    cart = Cart.objects.get()
    assert cart.checkout_step == CheckoutStep.REVIEW
    entered = list(
        CheckoutStepEvent.objects.filter(cart=cart, kind="enter").values_list("step", flat=True)
    )
    assert entered[-4:] == ["address", "shipping", "payment", "review"]
    assert "data-place-order data-next-page" in response.content.decode()


def test_place_order_answers_with_the_order_page_at_its_signed_address(client, tee):
    to_review(client)

    response = client.post("/checkout/place/", review_form(client), **INLINE)

    order = Order.objects.get()
    assert order.status == OrderStatus.PLACED
    assert page_url(response).startswith(f"/orders/{order.public_id}/?token=")
    assert "Thank you for your order!" in response.content.decode()
    # The address it named opens the same page afterwards.
    assert client.get(response[PAGE_URL_HEADER]).status_code == 200


def test_a_refused_form_is_answered_with_its_errors_and_no_new_address(client, tee):
    add(client)

    response = client.post("/checkout/identify/", {"email": "nope"}, **INLINE)

    assert response.status_code == 200
    assert PAGE_URL_HEADER not in response
    assert response.context["form"].errors == {"email": ["Enter a valid e-mail address."]}
    assert Cart.objects.get().email == ""


def test_without_the_header_the_steps_redirect_as_before(client, tee):
    add(client)

    response = client.post("/checkout/identify/", {"email": "buyer@example.com"})

    assert (response.status_code, response["Location"]) == (302, "/checkout/address/")
    assert PAGE_URL_HEADER not in response


def test_a_step_that_sends_elsewhere_answers_with_that_page(client, tee):
    # Shipping before the address: the view redirects to the first step still needed.
    add(client)

    response = client.post("/checkout/shipping/", {"method": "standard"}, **INLINE)

    assert page_url(response) == "/checkout/identify/"
    assert response.context["step"] == "identify"


def test_a_refused_add_to_cart_goes_back_to_the_product_page_in_place(client, tee):
    response = client.post(
        "/cart/add/",
        {"sku": SKU, "quantity": "0", "next": "/p/harbor-tee/?sku=TEE-RED-M"},
        **INLINE,
    )

    assert page_url(response) == "/p/harbor-tee/?sku=TEE-RED-M"
    assert "Harbor Tee" in response.content.decode()
    assert not Cart.objects.exists()


def test_a_next_the_middleware_would_refuse_is_left_to_the_browser(client, tee):
    response = client.post(
        "/cart/add/", {"sku": SKU, "quantity": "0", "next": "/p/harbor-tee/?sku=%00"}, **INLINE
    )

    assert (response.status_code, response["Location"]) == (302, "/p/harbor-tee/?sku=%00")
    assert client.get(response["Location"]).status_code == 400


def test_views_without_the_decorator_ignore_the_header(client, tee):
    add(client)
    line = Cart.objects.get().lines.get()

    response = client.post(f"/cart/lines/{line.public_id}/", {"quantity": "3"}, **INLINE)

    assert (response.status_code, response["Location"]) == (302, "/cart/")


@pytest.mark.parametrize(
    "location",
    [
        "https://elsewhere.example/",
        "//elsewhere.example/cart/",
        "/no-such-page/",
        "cart/",
        # Pages of this site that no decorated form leads to: asked for on their own, through
        # every middleware (the metrics' address check, the admin's login).
        "/metrics",
        "/admin/",
        "/accounts/login/?next=/orders/ord_x/",
        # The middleware's text check would refuse it: so does this.
        "/p/harbor-tee/?sku=%00",
        "/cart/?x=%ED%A0%80",
    ],
)
def test_only_a_redirect_to_a_page_the_forms_lead_to_is_followed(location):
    request = RequestFactory().post("/cart/add/")
    redirect = HttpResponseRedirect(location)

    assert follow_inline(request, redirect) is redirect


def test_cookies_the_redirect_set_reach_the_page(monkeypatch):
    request = RequestFactory().post("/cart/add/")
    redirect = HttpResponseRedirect("/cart/")
    redirect.set_cookie("cart_count", "2")

    def page(request):
        assert request.method == "GET" and not request.POST
        return HttpResponse("the cart")

    monkeypatch.setattr("storefront.next_page.resolve", lambda path: _Match(page))

    response = follow_inline(request, redirect)

    assert (response.content, response[PAGE_URL_HEADER]) == (b"the cart", "/cart/")
    assert response.cookies["cart_count"].value == "2"


class _Match:
    def __init__(self, func):
        self.func, self.args, self.kwargs, self.url_name = func, (), {}, "cart"


def test_the_cart_page_links_to_the_step_the_cart_needs_next(client, tee):
    add(client)
    assert 'href="/checkout/identify/" data-checkout-link' in client.get("/cart/").content.decode()

    to_review(client)  # a second tee, and every step done: the link goes to the review

    assert 'href="/checkout/review/" data-checkout-link' in client.get("/cart/").content.decode()


def test_the_next_step_drawn_inline_reuses_the_cart_the_step_saved(client, tee):
    # One read of the cart and its lines for the step; the page of the next step starts from
    # the cart the service saved instead of reading both again.
    add(client)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/checkout/identify/", {"email": "buyer@example.com"}, **INLINE)

    assert page_url(response) == "/checkout/address/"
    statements = [query["sql"] for query in queries.captured_queries]
    reads = [sql for sql in statements if sql.startswith("SELECT") and "FOR UPDATE" not in sql]
    assert len([sql for sql in reads if sql.startswith('SELECT "orders_cart".')]) == 1
    assert len([sql for sql in reads if sql.startswith('SELECT "orders_cartline".')]) == 1
    assert response.context["cart"].email == "buyer@example.com"
    assert "Harbor Tee" in response.content.decode()


@pytest.mark.parametrize("first", [True, False])
def test_the_cart_page_drawn_after_adding_starts_from_the_cart_just_saved(client, tee, first):
    """Adding (to a new cart or to one) and the cart page that answers it read the cart's
    row once: the page starts from the cart the service saved, and reads its lines."""
    if not first:
        add(client)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/cart/add/", {"sku": SKU, "quantity": "1"}, **INLINE)

    assert page_url(response) == "/cart/"
    statements = [query["sql"] for query in queries.captured_queries]
    cart_reads = [sql for sql in statements if sql.startswith('SELECT "orders_cart".')]
    assert len(cart_reads) == (0 if first else 2)  # an existing cart: found, then locked
    assert response.context["page"].rows[0].quantity == (1 if first else 2)
    assert 'data-cart-count aria-label="' in response.content.decode()


def test_the_order_page_after_placing_counts_no_cart_without_asking(client, tee):
    to_review(client)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/checkout/place/", review_form(client), **INLINE)

    assert page_url(response).startswith("/orders/ord_")
    units = 'SUM("orders_cartline"."quantity")'  # the header's count (carts.item_count)
    assert not [q for q in queries.captured_queries if units in q["sql"]]
    assert "data-cart-count" not in response.content.decode()
