"""The cart pages: add to cart, quantities, remove, totals, price changes, unbuyable lines,
the header's count and the guest cart joining the customer's on login."""

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from catalog.models import VariantStatus
from inventory import services as inventory
from inventory.models import Location, Reservation, ReservationPolicy
from orders import services as order_services
from orders.models import Cart, CartLine, CartStatus
from storefront import carts
from tests.factories.catalog import MediaFactory
from tests.factories.inventory import market
from tests.factories.orders import channel
from tests.storefront.checkout_support import SKU, add, messages_of, set_price

pytestmark = pytest.mark.django_db


def the_cart() -> Cart:
    return Cart.objects.get()


def test_add_to_cart_opens_a_cart_and_shows_it(client, tee):
    response = add(client, quantity="2")

    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    cart = the_cart()
    line = cart.lines.get()
    assert (cart.market.code, cart.currency, cart.customer, cart.status) == (
        "US",
        "USD",
        None,
        CartStatus.OPEN,
    )
    assert (line.variant, line.quantity, line.unit_price_cents) == (tee, 2, 2500)
    assert client.session[carts.SESSION_CARTS] == {"US": cart.public_id}

    page = client.get("/cart/")
    html = page.content.decode()
    assert messages_of(page) == ["Added Harbor Tee to your cart."]
    assert [(row.sku, row.quantity, str(row.amount)) for row in page.context["page"].rows] == [
        (SKU, 2, "$50.00")
    ]
    assert [(row.label, row.text) for row in page.context["page"].summary] == [
        ("Subtotal", "$50.00"),
        ("Shipping", "Calculated at checkout"),
        ("Tax", "Calculated at checkout"),
        ("Estimated total", "$50.00"),
    ]
    assert '<span class="cart-count" data-cart-count' in html
    assert 'href="/checkout/identify/" data-checkout-link' in html


def test_adding_again_adds_to_the_line(client, tee):
    add(client, quantity="2")
    add(client, quantity="3")

    assert the_cart().lines.get().quantity == 5


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "Quantity must be between 1 and 999."),
        ("-1", "Quantity must be between 1 and 999."),
        ("1000000000", "Quantity must be between 1 and 999."),
        ("two", "Enter a whole number."),
        ("", "Enter a quantity."),
    ],
)
def test_a_bad_quantity_is_refused_and_nothing_is_created(client, tee, quantity, message):
    response = add(client, quantity=quantity)

    assert response["Location"] == "/p/harbor-tee/"
    assert messages_of(client.get("/p/harbor-tee/")) == [message]
    assert (Cart.objects.count(), CartLine.objects.count()) == (0, 0)


def test_an_unknown_sku_leaves_no_empty_cart_behind(client, tee):
    response = add(client, sku="NOPE-1")

    assert messages_of(client.get(response["Location"])) == ["Unknown SKU: NOPE-1."]
    assert Cart.objects.count() == 0
    assert carts.SESSION_CARTS not in client.session


def test_a_shut_web_channel_takes_no_orders_and_opens_no_cart(client, tee):
    from shop.models import Channel

    Channel.objects.filter(code="web").update(is_active=False)

    response = add(client, quantity="1")

    assert response.status_code == 302
    assert messages_of(client.get(response["Location"])) == [
        "The shop is not taking orders right now."
    ]
    assert Cart.objects.count() == 0


def test_more_than_the_stock_is_refused(client, tee):
    response = add(client, quantity="11")

    assert messages_of(client.get(response["Location"])) == ["Only 10 of TEE-RED-M left."]
    assert CartLine.objects.count() == 0


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        # Not paths: Django's redirect() would look them up as URL names (a 500 for "%00").
        "%00",
        "home",
        "cart",
    ],
)
def test_a_next_that_is_not_a_path_here_is_ignored(client, tee, next_url):
    response = client.post("/cart/add/", {"sku": SKU, "quantity": "0", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/cart/"


def test_a_local_next_is_followed(client, tee):
    response = client.post("/cart/add/", {"sku": SKU, "quantity": "0", "next": "/p/harbor-tee/"})

    assert response["Location"] == "/p/harbor-tee/"


def test_change_quantity_and_remove(client, tee):
    add(client)
    line = CartLine.objects.get()

    changed = client.post(f"/cart/lines/{line.public_id}/", {"quantity": "3"})
    removed = client.post(f"/cart/lines/{line.public_id}/remove/")

    assert changed["Location"] == removed["Location"] == "/cart/"
    assert CartLine.objects.count() == 0
    page = client.get("/cart/")
    assert "Your cart is empty." in page.content.decode()
    assert messages_of(page) == [
        "Added Harbor Tee to your cart.",
        "Cart updated.",
        "Item removed.",
    ]


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "Quantity must be between 1 and 999."),
        ("abc", "Enter a whole number."),
        ("1000", "Quantity must be between 1 and 999."),
        ("11", "Only 10 of TEE-RED-M left."),
    ],
)
def test_a_bad_quantity_change_is_shown_on_its_line(client, tee, quantity, message):
    add(client, quantity="2")
    line = CartLine.objects.get()

    response = client.post(f"/cart/lines/{line.public_id}/", {"quantity": quantity})

    assert response.status_code == 200
    assert list(response.context["error_form"].errors["quantity"]) == [message]
    assert f'id="qty-{line.public_id}-error"' in response.content.decode()
    assert CartLine.objects.get().quantity == 2


def test_another_carts_line_is_not_found(client, tee):
    other = order_services.create_cart(market=market("US"), channel=channel())
    theirs = order_services.add_cart_line(cart=other, sku=SKU, quantity=1)
    add(client)

    client.post(f"/cart/lines/{theirs.public_id}/", {"quantity": "5"})
    client.post(f"/cart/lines/{theirs.public_id}/remove/")

    assert CartLine.objects.get(pk=theirs.pk).quantity == 1


def test_a_changed_price_is_shown_once_and_taken_into_the_cart(client, tee):
    add(client)
    set_price(tee, 2700)

    first = client.get("/cart/")
    second = client.get("/cart/")

    assert first.context["page"].price_changes == [
        "Harbor Tee: price changed from $25.00 to $27.00"
    ]
    assert "price changed from $25.00 to $27.00" in first.content.decode()
    assert second.context["page"].price_changes == []
    assert CartLine.objects.get().unit_price_cents == 2700


def test_an_archived_variant_is_named_and_blocks_checkout(client, tee):
    add(client)
    tee.status = VariantStatus.ARCHIVED
    tee.save(update_fields=["status"])

    page = client.get("/cart/").context["page"]

    assert [(row.sku, row.problem) for row in page.rows] == [
        (SKU, "No longer available. Remove it to continue.")
    ]
    assert page.can_check_out is False


def test_an_out_of_stock_line_is_named_and_blocks_checkout(client, tee):
    add(client, quantity="2")
    inventory.set_stock_count(
        variant=tee, location=Location.objects.get(), on_hand=1, source="test"
    )

    response = client.get("/cart/")

    assert [row.problem for row in response.context["page"].rows] == [
        "Only 1 left. Lower the quantity to continue."
    ]
    assert "data-checkout-link" not in response.content.decode()


def test_a_held_line_is_not_short_of_its_own_hold(client, tee):
    ReservationPolicy.objects.create(variant=tee, mode="at_add_to_cart", ttl_seconds=300)
    add(client, quantity="10")

    page = client.get("/cart/").context["page"]

    assert Reservation.objects.get().quantity == 10
    assert page.problems == []


def _request(session_data: dict, user=None):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.session.update(session_data)
    request.user = user or AnonymousUser()
    request.market = market("US")
    return request


def test_the_header_count_costs_one_query_and_none_without_a_cart(tee, customer):
    cart = order_services.create_cart(market=market("US"), channel=channel())
    order_services.add_cart_line(cart=cart, sku=SKU, quantity=3)
    theirs = order_services.create_cart(market=market("US"), channel=channel(), customer=customer)
    order_services.add_cart_line(cart=theirs, sku=SKU, quantity=2)

    requests = [
        _request({carts.SESSION_CARTS: {"US": cart.public_id}}),
        _request({}, customer),
        _request({}),
    ]

    with CaptureQueriesContext(connection) as guest_with_cart:
        guest = carts.item_count(requests[0])
    with CaptureQueriesContext(connection) as signed_in:
        signed = carts.item_count(requests[1])
    with CaptureQueriesContext(connection) as guest_without_cart:
        nobody = carts.item_count(requests[2])

    assert (guest, signed, nobody) == (3, 2, 0)
    assert (len(guest_with_cart), len(signed_in), len(guest_without_cart)) == (1, 1, 0)


def test_login_merges_the_guest_cart_into_the_customers(client, tee, customer, password):
    theirs = order_services.create_cart(market=market("US"), channel=channel(), customer=customer)
    order_services.add_cart_line(cart=theirs, sku=SKU, quantity=1)
    add(client, quantity="2")
    guest = Cart.objects.get(customer=None)

    client.post("/accounts/login/", {"username": customer.email, "password": password})

    guest.refresh_from_db()
    assert guest.status == CartStatus.ABANDONED
    assert theirs.lines.get().quantity == 3
    assert client.session[carts.SESSION_CARTS] == {"US": theirs.public_id}
    assert [row.quantity for row in client.get("/cart/").context["page"].rows] == [3]


def test_login_without_a_customer_cart_adopts_the_guest_cart(client, tee, customer, password):
    add(client, quantity="2")

    client.post("/accounts/login/", {"username": customer.email, "password": password})

    cart = the_cart()
    assert (cart.customer, cart.status, cart.lines.get().quantity) == (
        customer,
        CartStatus.OPEN,
        2,
    )


def test_a_signed_in_customer_finds_their_cart_in_a_new_browser(client, tee, customer):
    theirs = order_services.create_cart(market=market("US"), channel=channel(), customer=customer)
    order_services.add_cart_line(cart=theirs, sku=SKU, quantity=4)
    client.force_login(customer)

    response = client.get("/cart/")

    assert [row.quantity for row in response.context["page"].rows] == [4]


def _queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_cart_page_costs_the_same_queries_for_one_line_or_four(client, tee):
    from tests.factories.catalog import VariantFactory
    from tests.factories.inventory import stock

    add(client)
    client.get("/cart/")  # shows (and so uses up) the "added" message
    one_line = _queries_for(client, "/cart/")
    for n in range(3):
        variant = VariantFactory(sku=f"MUG-{n}", prices={"USD": 1200 + n})
        stock(variant, Location.objects.get(), 5)
        add(client, sku=variant.sku)
    client.get("/cart/")  # as before one line was counted: the message used up, stock kept

    four_lines = _queries_for(client, "/cart/")

    assert CartLine.objects.count() == 4
    assert four_lines == one_line


def test_a_message_is_shown_once_and_requests_without_one_build_no_storage(
    client, tee, monkeypatch
):
    from shop import middleware

    built = []
    real = middleware.default_storage
    monkeypatch.setattr(middleware, "default_storage", lambda r: built.append(r.path) or real(r))

    client.get("/api/v1/products")
    assert built == []  # nothing read or added a message: no storage, no cookie touched

    response = add(client, quantity="0")
    assert messages_of(client.get(response["Location"])) == ["Quantity must be between 1 and 999."]
    assert messages_of(client.get("/p/harbor-tee/")) == []  # shown once, then gone
    assert "/cart/add/" in built


def test_a_line_shows_its_variants_picture_else_its_products(client, tee):
    MediaFactory(product=tee.product, position=0, external_url="https://img.test/tee.jpg")
    add(client)

    html = client.get("/cart/").content.decode()
    assert '<img src="https://img.test/tee.jpg" alt="A product photo"' in html

    MediaFactory(
        product=tee.product,
        variant=tee,
        position=3,
        external_url="https://img.test/red.jpg",
        alt_text="Red tee",
    )
    html = client.get("/cart/").content.decode()
    assert '<img src="https://img.test/red.jpg" alt="Red tee"' in html
