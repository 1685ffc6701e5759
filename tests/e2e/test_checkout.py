"""Buying in a real browser: a guest checkout end to end, a declined card then a good one,
a double click on "Place order", a customer's order and its timeline in the account, a price
changed before the review, and the cart and checkout at phone width (375 px)."""

import re

import pytest
from playwright.sync_api import expect

from orders.links import order_link_token
from orders.models import Order, OrderStatus
from tests.factories.orders import ADDRESSES
from tests.storefront.checkout_support import (
    DECLINED_CARD,
    GOOD_CARD,
    set_price,
    stocked_tee,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tee():
    return stocked_tee()


def add_to_cart(page, live_server, quantity: int = 1):
    page.goto(f"{live_server.url}/p/harbor-tee/")
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(f"{live_server.url}/cart/")
    expect(page.locator("[data-cart-count]")).to_have_text(str(quantity))


def fill_address(page, address=ADDRESSES["US"]):
    page.get_by_label("Full name").fill(address["name"])
    page.get_by_label("Address", exact=True).fill(address["line1"])
    page.get_by_label("City").fill(address["city"])
    page.get_by_label("State / province").fill(address.get("region", ""))
    page.get_by_label("Postal code").fill(address["postal_code"])
    page.get_by_role("button", name="Continue to shipping").click()


def fill_card(page, number: str, button: str = "Continue to review"):
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry date (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name=button).click()


def check_out_to_review(page, live_server, *, email="buyer@example.com", card=GOOD_CARD):
    """From the cart page through every step to the review page (`email` None: the cart
    has one already, so checkout starts at the address)."""
    page.get_by_role("link", name="Check out").click()
    if email is not None:
        expect(page).to_have_url(f"{live_server.url}/checkout/identify/")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_role("button", name="Continue to address").click()
    expect(page.get_by_role("heading", name="Shipping address")).to_be_visible()
    fill_address(page)
    expect(page.get_by_role("heading", name="Shipping method")).to_be_visible()
    page.get_by_role("radio", name=re.compile("Standard shipping")).check()
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Payment")).to_be_visible()
    fill_card(page, card)
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()


def place_the_order(page):
    """Click "Place order" and wait for the confirmation: the shop's script sends the form
    with fetch, so the click returns before the order exists."""
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()


def order_url(order: Order) -> str:
    return f"/orders/{order.public_id}/?token={order_link_token(order)}"


def expect_confirmation(page, order: Order):
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.reference}")
    expect(page.locator("[data-order-status]")).to_have_text("Placed")


def test_a_guest_buys_with_the_4242_card(page, live_server, tee, mailoutbox):
    # Chromium reports every load or inline use the Content-Security-Policy blocks here.
    refused = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and refused.append(message.text),
    )
    add_to_cart(page, live_server, quantity=2)
    expect(page.locator("[data-cart-line]")).to_contain_text("Harbor Tee")
    expect(page.locator(".summary-total")).to_contain_text("$50.00")

    check_out_to_review(page, live_server)
    expect(page.locator(".checkout-main .summary-total")).to_contain_text("$52.00")
    place_the_order(page)

    order = Order.objects.get()
    expect(page).to_have_url(re.compile(rf"/orders/{order.public_id}/\?token="))
    expect_confirmation(page, order)
    expect(page.locator("[data-timeline]")).to_contain_text("Payment approved")
    expect(page.locator("[data-cart-count]")).to_have_count(0)
    assert (order.status, order.total_cents, order.email) == (
        OrderStatus.PLACED,
        5200,
        "buyer@example.com",
    )
    assert refused == []
    # The confirmation e-mail carries the same signed link the page was opened with.
    assert page.url.removeprefix(live_server.url) in mailoutbox[0].body


def test_a_declined_card_then_a_good_one(page, live_server, tee):
    add_to_cart(page, live_server)
    check_out_to_review(page, live_server, card=DECLINED_CARD)
    page.get_by_role("button", name="Place order").click()

    expect(page).to_have_url(f"{live_server.url}/checkout/payment/")
    expect(page.locator(".messages")).to_contain_text("Your card was declined")
    assert Order.objects.get().status == OrderStatus.PAYMENT_FAILED

    fill_card(page, GOOD_CARD, button="Pay now")
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()

    order = Order.objects.get()
    expect_confirmation(page, order)
    assert (order.status, Order.objects.count()) == (OrderStatus.PLACED, 1)


def test_a_double_click_on_place_order_places_one_order(page, live_server, tee):
    add_to_cart(page, live_server)
    check_out_to_review(page, live_server)

    page.get_by_role("button", name="Place order").dblclick()

    expect(page.get_by_text("Thank you for your order!")).to_be_visible(timeout=15_000)
    order = Order.objects.get()
    expect_confirmation(page, order)
    assert Order.objects.count() == 1

    # Back to the review page and submit again: still that one order.
    page.go_back()
    place = page.get_by_role("button", name="Place order")
    if place.count():
        place.click()
    expect_confirmation(page, order)
    assert Order.objects.count() == 1


def test_two_submits_reaching_the_server_at_once_place_one_order(page, live_server, tee):
    # Chromium folds a double click into one request; a flaky network or a second tab can
    # still deliver the review page's form twice at the same moment.
    add_to_cart(page, live_server)
    check_out_to_review(page, live_server)

    final_urls = page.evaluate(
        """async () => {
          const form = document.querySelector("[data-place-order]");
          const send = () => fetch(form.action, {method: "POST", body: new FormData(form)});
          const answers = await Promise.all([send(), send()]);
          return answers.map((answer) => answer.url);
        }"""
    )

    order = Order.objects.get()
    assert final_urls == [f"{live_server.url}{order_url(order)}"] * 2
    assert order.payment_status == "authorized"
    page.goto(final_urls[0])
    expect_confirmation(page, order)


def test_a_customer_signs_in_at_checkout_and_finds_the_order_in_the_account(
    page, live_server, tee, customer, password
):
    add_to_cart(page, live_server)
    page.get_by_role("link", name="Check out").click()
    page.locator(".checkout-account-links").get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail address").fill(customer.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()

    # Back in checkout at the next step: the guest cart is now the customer's, with their
    # e-mail for the confirmation and their name on the address form.
    expect(page).to_have_url(f"{live_server.url}/checkout/address/")
    expect(page.get_by_label("Full name")).to_have_value("Ada Lovelace")
    expect(page.locator(".summary-line")).to_have_count(1)
    expect(page.locator(".summary-line")).to_contain_text("Harbor Tee")
    page.get_by_role("link", name="Edit cart").click()
    check_out_to_review(page, live_server, email=None)
    expect(page.locator(".checkout-recap").first).to_contain_text(customer.email)
    place_the_order(page)

    order = Order.objects.get()
    assert order.customer == customer
    expect(page).to_have_url(f"{live_server.url}/orders/{order.public_id}/")
    page.goto(f"{live_server.url}/account/")
    page.get_by_role("link", name=re.compile(f"Order {order.reference}")).click()
    timeline = page.locator("[data-timeline] .timeline-label")
    expect(timeline).to_have_text(["Order received", "Payment approved — order confirmed"])


def test_a_price_changed_after_adding_is_shown_on_the_review(page, live_server, tee):
    add_to_cart(page, live_server)
    set_price(tee, 2700)

    check_out_to_review(page, live_server)

    expect(page.locator("[data-price-changes]")).to_contain_text(
        "Harbor Tee: price changed from $25.00 to $27.00"
    )
    expect(page.locator(".checkout-main .summary-total")).to_contain_text("$34.31")
    place_the_order(page)
    assert Order.objects.get().total_cents == 3431


def test_each_step_is_one_request_and_back_and_reload_show_the_steps(page, live_server, tee):
    add_to_cart(page, live_server)
    page.get_by_role("link", name="Check out").click()
    expect(page).to_have_url(f"{live_server.url}/checkout/identify/")
    sent = []
    page.on("request", lambda request: sent.append((request.method, request.url)))

    page.get_by_label("E-mail address").fill("buyer@example.com")
    page.get_by_role("button", name="Continue to address").click()

    # The next step arrives in the answer to the POST: no second request for the page.
    expect(page.get_by_role("heading", name="Shipping address")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/checkout/address/")
    expect(page).to_have_title(re.compile("Shipping address"))
    assert sent == [("POST", f"{live_server.url}/checkout/identify/")]
    fill_address(page)
    expect(page.get_by_role("heading", name="Shipping method")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/checkout/shipping/")

    # Back shows the address step again (from the server, with what was entered), and forward
    # and reload behave as on pages reached by a redirect.
    page.go_back()
    expect(page.get_by_role("heading", name="Shipping address")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/checkout/address/")
    expect(page.get_by_label("City")).to_have_value(ADDRESSES["US"]["city"])
    page.go_forward()
    expect(page.get_by_role("heading", name="Shipping method")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Shipping method")).to_be_visible()
    expect(page.locator(".summary-line")).to_contain_text("× 1")


def test_the_form_says_it_is_busy_until_the_next_step_arrives(page, live_server, tee):
    add_to_cart(page, live_server)
    page.get_by_role("link", name="Check out").click()
    held = []
    page.route(
        "**/checkout/identify/",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.get_by_label("E-mail address").fill("buyer@example.com")
    page.get_by_role("button", name="Continue to address").click()

    # A slow network: no page load shows progress, so the form does.
    expect(page.locator('form[aria-busy="true"]')).to_have_count(1)
    page.get_by_role("button", name="Continue to address").click()  # a second click: not sent
    held[0].continue_()

    expect(page.get_by_role("heading", name="Shipping address")).to_be_visible()
    assert len(held) == 1


def test_a_refused_step_shows_its_errors_in_place(page, live_server, tee):
    add_to_cart(page, live_server)
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("E-mail address").fill("buyer@example.com")
    page.get_by_role("button", name="Continue to address").click()

    fill_address(page, {**ADDRESSES["US"], "postal_code": "ABC"})

    expect(page.get_by_text("is not a postal code of US")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/checkout/address/")
    # The form stays usable: corrected, it goes on.
    fill_address(page)
    expect(page.get_by_role("heading", name="Shipping method")).to_be_visible()


def _no_sideways_scroll(page) -> None:
    # Measured once the page's stylesheets are in: after a redirect the URL is there before
    # they are, and an unstyled header is wider than a phone.
    page.wait_for_load_state("load")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, location.pathname]"
    )
    assert widths[0] <= widths[1], widths


def test_cart_and_checkout_fit_a_phone(browser, live_server, tee):
    tee.product.title = "Harbor Heavyweight Organic Cotton Pocket Tee, Garment-Dyed"
    tee.product.save(update_fields=["title"])
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/p/harbor-tee/")
        _no_sideways_scroll(page)
        page.get_by_role("button", name="Add to cart").click()
        expect(page).to_have_url(f"{live_server.url}/cart/")
        _no_sideways_scroll(page)
        page.get_by_role("link", name="Check out").click()
        expect(page.get_by_role("heading", name="Contact")).to_be_visible()
        _no_sideways_scroll(page)
        page.get_by_role("button", name="Continue to address").click()  # empty: errors shown
        expect(page.get_by_text("Enter your e-mail address.")).to_be_visible()
        _no_sideways_scroll(page)
        page.get_by_label("E-mail address").fill("a.very.long.address.for.a.phone@example.com")
        page.get_by_role("button", name="Continue to address").click()
        expect(page.get_by_role("heading", name="Shipping address")).to_be_visible()
        _no_sideways_scroll(page)
        fill_address(page, {**ADDRESSES["US"], "postal_code": "ABC"})
        expect(page.get_by_text("is not a postal code of US")).to_be_visible()
        _no_sideways_scroll(page)
        fill_address(page)
        expect(page.get_by_role("heading", name="Shipping method")).to_be_visible()
        _no_sideways_scroll(page)
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.get_by_role("heading", name="Payment")).to_be_visible()
        _no_sideways_scroll(page)
        fill_card(page, GOOD_CARD)
        expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
        _no_sideways_scroll(page)
        place_the_order(page)
        _no_sideways_scroll(page)
    finally:
        context.close()


def test_the_checkout_keeps_to_the_purchase_with_only_the_way_back_to_the_cart(
    page, live_server, tee
):
    """As shops' checkouts do: no search, category menu or market switch on the steps (a
    market change would swap the cart mid-checkout); the logo and "Back to cart" remain."""
    add_to_cart(page, live_server)
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Contact")).to_be_visible()

    expect(page.locator("#site-search")).to_have_count(0)
    expect(page.locator(".market-form")).to_have_count(0)
    expect(page.locator(".category-nav")).to_have_count(0)
    page.get_by_role("link", name="Back to cart").click()
    expect(page).to_have_url(f"{live_server.url}/cart/")
    expect(page.locator("#site-search")).to_be_visible()
