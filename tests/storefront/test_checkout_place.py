"""Placing the order from the review page: one order per page key, declined cards paid again,
refusals that leave nothing behind (no order, no reservation, no charge)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services as inventory
from inventory.models import OPEN_STATUSES, Location, Reservation, StockLevel
from orders import providers
from orders.links import order_link_token
from orders.models import Cart, CartStatus, Order, OrderStatus, PaymentTransaction
from orders.providers.tax.base import TaxUnavailable
from shop.services import set_kill_switch
from tests.factories.shop import UserFactory
from tests.storefront.checkout_support import (
    DECLINED_CARD,
    GOOD_CARD,
    TIMEOUT_CARD,
    card_form,
    messages_of,
    review_form,
    set_price,
    to_review,
)

pytestmark = pytest.mark.django_db


def signed_url(order: Order) -> str:
    return f"/orders/{order.public_id}/?token={order_link_token(order)}"


def nothing_left_behind():
    assert Order.objects.count() == 0
    assert PaymentTransaction.objects.count() == 0
    assert not Reservation.objects.filter(status__in=OPEN_STATUSES).exists()
    assert Cart.objects.get().status == CartStatus.OPEN
    assert StockLevel.objects.get().reserved == 0


def test_placing_writes_no_session_row(client, tee):
    to_review(client)
    form = review_form(client)

    with CaptureQueriesContext(connection) as queries:
        client.post("/checkout/place/", form)

    assert Order.objects.get().status == OrderStatus.PLACED
    assert not [q["sql"] for q in queries if "django_session" in q["sql"]]


def test_a_card_entered_in_another_browser_is_not_on_file_here(client, tee):
    to_review(client)
    form = review_form(client)
    Cart.objects.update(card_session_key="another-browser")

    response = client.post("/checkout/place/", form)

    assert response["Location"] == "/checkout/payment/"
    assert not Order.objects.exists()


def test_a_guest_places_the_order_and_sees_it_through_the_signed_link(
    client, tee, django_capture_on_commit_callbacks, mailoutbox
):
    to_review(client)
    form = review_form(client)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/checkout/place/", form)

    order = Order.objects.get()
    assert response["Location"] == signed_url(order)
    assert (order.status, order.payment_status, order.email, order.customer) == (
        OrderStatus.PLACED,
        "authorized",
        "buyer@example.com",
        None,
    )
    assert order.placement_key == f"storefront:{form['cart']}:{form['checkout_key']}"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Thank you for your order!" in html and f"Order {order.reference}" in html
    assert [entry.label for entry in page.context["timeline"]] == [
        "Order received",
        "Payment approved — order confirmed",
    ]
    # The card on file went with the cart: cleared when it became the order.
    assert Order.objects.get().cart.card_token == ""
    assert [m.to for m in mailoutbox] == [["buyer@example.com"]]
    assert signed_url(order) in mailoutbox[0].body


def test_a_guest_order_is_not_shown_without_its_signed_link(client, tee, customer):
    to_review(client)
    client.post("/checkout/place/", review_form(client))
    order = Order.objects.get()
    stranger = client_class_client()

    without = stranger.get(f"/orders/{order.public_id}/")
    forged = stranger.get(f"/orders/{order.public_id}/?token=forged")
    stranger.force_login(customer)
    signed_in = stranger.get(f"/orders/{order.public_id}/")

    assert without.status_code == 302
    assert without["Location"] == f"/accounts/login/?next=/orders/{order.public_id}/"
    assert (forged.status_code, signed_in.status_code) == (404, 404)


def client_class_client():
    from django.test import Client

    return Client()


def test_a_double_submit_places_one_order_and_shows_it_twice(client, tee):
    to_review(client)
    form = review_form(client)

    first = client.post("/checkout/place/", form)
    second = client.post("/checkout/place/", form)

    order = Order.objects.get()
    assert first["Location"] == second["Location"] == signed_url(order)
    assert PaymentTransaction.objects.filter(order=order).count() == 1


def test_back_and_submit_again_shows_the_same_order(client, tee):
    to_review(client)
    form = review_form(client)
    client.post("/checkout/place/", form)
    order = Order.objects.get()

    back_to_review = client.get("/checkout/review/")
    resubmitted = client.post("/checkout/place/", form)
    other_tab = client.post("/checkout/place/", {**form, "checkout_key": "x" * 32})

    assert back_to_review["Location"] == signed_url(order)
    assert resubmitted["Location"] == other_tab["Location"] == signed_url(order)
    assert Order.objects.count() == 1


def test_a_forged_form_places_nothing(client, tee):
    to_review(client)
    form = review_form(client)

    wrong_cart = client.post("/checkout/place/", {**form, "cart": "cart_someone_else"})
    bad_key = client.post("/checkout/place/", {**form, "checkout_key": "short"})

    assert wrong_cart["Location"] == bad_key["Location"] == "/checkout/review/"
    nothing_left_behind()


def test_a_declined_card_comes_back_to_payment_and_another_card_pays(client, tee):
    to_review(client, card=DECLINED_CARD)

    declined = client.post("/checkout/place/", review_form(client))

    order = Order.objects.get()
    assert declined["Location"] == "/checkout/payment/"
    assert order.status == OrderStatus.PAYMENT_FAILED
    assert not Reservation.objects.filter(status__in=OPEN_STATUSES).exists()
    page = client.get("/checkout/payment/")
    assert page.templates[0].name == "storefront/checkout/retry.html"
    assert messages_of(page) == [
        "Your card was declined and nothing was charged. "
        "Please try another card or contact your bank."
    ]
    assert f"Your order {order.reference} is saved." in page.content.decode()

    again = client.post("/checkout/payment/", card_form(DECLINED_CARD))
    assert again["Location"] == "/checkout/payment/"
    paid = client.post("/checkout/payment/", card_form(GOOD_CARD))

    order.refresh_from_db()
    assert paid["Location"] == signed_url(order)
    assert (order.status, order.payment_status, order.payment_attempts) == (
        OrderStatus.PLACED,
        "authorized",
        3,
    )
    assert Order.objects.count() == 1
    assert StockLevel.objects.get().reserved == 1


def test_paying_again_refuses_a_bad_card_number_on_the_form(client, tee):
    to_review(client, card=DECLINED_CARD)
    client.post("/checkout/place/", review_form(client))

    response = client.post("/checkout/payment/", card_form("1234 5678 9012 3456"))

    assert list(response.context["form"].errors["card_number"]) == [
        "This card is not accepted here. In test mode use 4242 4242 4242 4242."
    ]
    assert Order.objects.get().payment_attempts == 1


def test_a_timed_out_payment_leaves_the_order_waiting_on_a_page_that_reloads(client, tee):
    to_review(client, card=TIMEOUT_CARD)

    response = client.post("/checkout/place/", review_form(client))

    order = Order.objects.get()
    assert order.status == OrderStatus.PENDING_PAYMENT
    page = client.get(response["Location"])
    assert page.context["refresh_seconds"] == 3
    assert '<meta http-equiv="refresh" content="3">' in page.content.decode()


def test_a_price_changed_after_the_review_is_shown_and_nothing_is_placed(client, tee):
    to_review(client)
    form = review_form(client)
    set_price(tee, 2700)

    refused = client.post("/checkout/place/", form)

    assert refused["Location"] == "/checkout/review/"
    nothing_left_behind()
    review = client.get("/checkout/review/")
    assert messages_of(review) == [
        "Prices changed. Please check the new total and place the order again."
    ]
    assert review.context["page"].price_changes == [
        "Harbor Tee: price changed from $25.00 to $27.00"
    ]
    client.post("/checkout/place/", review_form(client))
    assert Order.objects.get().lines.get().unit_price_cents == 2700


def test_stock_gone_after_the_review_places_nothing(client, tee):
    to_review(client)
    form = review_form(client)
    inventory.set_stock_count(
        variant=tee, location=Location.objects.get(), on_hand=0, source="test"
    )

    refused = client.post("/checkout/place/", form)

    assert refused["Location"] == "/cart/"
    assert messages_of(client.get("/cart/"))[0] == "TEE-RED-M is out of stock."
    nothing_left_behind()


class _TaxDown:
    name = "down"

    def quote(self, request):
        raise TaxUnavailable("The tax service is down.")


def test_a_failing_tax_provider_refuses_clearly_and_charges_nothing(client, tee):
    to_review(client)
    form = review_form(client)

    with providers.override(tax=_TaxDown()):
        review = client.get("/checkout/review/")
        refused = client.post("/checkout/place/", form)

    assert review.context["page"].tax_error == (
        "We cannot calculate the tax for your address right now; please try again."
    )
    assert ">Place order</button>" not in review.content.decode()
    assert refused["Location"] == "/checkout/review/"
    nothing_left_behind()


def test_checkout_switched_off_places_nothing(client, tee):
    to_review(client)
    form = review_form(client)

    set_kill_switch(kind="checkout", is_off=True, reason="incident")
    review = client.get("/checkout/review/")
    refused = client.post("/checkout/place/", form)

    assert ">Place order</button>" not in review.content.decode()
    assert refused["Location"] == "/checkout/review/"
    nothing_left_behind()


def test_a_signed_in_customer_places_their_own_order(client, tee, customer):
    client.force_login(customer)
    to_review(client, email="customer@example.com")

    response = client.post("/checkout/place/", review_form(client))

    order = Order.objects.get()
    assert order.customer == customer
    assert response["Location"] == f"/orders/{order.public_id}/"
    assert client.get(response["Location"]).status_code == 200
    other = UserFactory()
    client.force_login(other)
    assert client.get(response["Location"]).status_code == 404


def test_the_review_page_costs_the_same_queries_for_one_line_or_three(client, tee):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories.catalog import VariantFactory
    from tests.factories.inventory import stock
    from tests.storefront.checkout_support import add

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/checkout/review/").status_code == 200
        return len(captured)

    to_review(client)
    client.get("/checkout/review/")  # entering the step logs it once
    one_line = queries()
    for n in range(2):
        variant = VariantFactory(sku=f"MUG-{n}", prices={"USD": 1200 + n})
        stock(variant, Location.objects.get(), 5)
        add(client, sku=variant.sku)

    # Warm again: config cached for a second (kill switches) may lapse during the adds.
    client.get("/checkout/review/")
    assert queries() == one_line


def test_placing_needs_the_csrf_token(tee):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.get("/")
    form = {"cart": "cart_x", "checkout_key": "k" * 32}

    assert browser.post("/checkout/place/", form).status_code == 403


def test_the_review_page_reads_the_carts_lines_once(client, tee):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    to_review(client)
    client.get("/checkout/review/")  # entering the step logs it once
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/checkout/review/").status_code == 200
    line_reads = [q for q in captured if q["sql"].startswith('SELECT "orders_cartline"."id"')]
    assert len(line_reads) == 1
