"""Order operations in a real browser (issue 10): Operations approve a held order from the
admin's review queue at 1280 px; a customer cancels their order at phone width; a kill switch
flipped in the admin takes the shipping method off the storefront's checkout."""

import os
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import Order, OrderStatus, PaymentStatus
from tests.factories.orders import checkout_ready_cart, place
from tests.factories.shop import StaffFactory
from tests.storefront.checkout_support import stocked_tee

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")  # a directory, to look at the pages


@pytest.fixture
def tee():
    return stocked_tee()


@pytest.fixture
def ops():
    call_command("setup_roles")
    return StaffFactory(email="ops-review@example.com", groups=["Operations"])


def _no_sideways_scroll(page) -> None:
    page.wait_for_load_state("load")  # the stylesheets are in
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


def test_operations_approve_a_held_order_from_the_review_queue(page, live_server, login, tee, ops):
    held = place(checkout_ready_cart(lines=[(tee, 1)], email="risky@example.com"), "tok_risky")
    place(checkout_ready_cart(lines=[(tee, 1)], email="fine@example.com"), "tok_visa")
    assert held.status == OrderStatus.ON_HOLD
    page.set_viewport_size({"width": 1280, "height": 900})
    login(ops)

    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Fraud assessments").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(held.reference)
    expect(rows.first).to_contain_text("gateway_score +73")
    page.get_by_role("link", name=held.reference).click()

    # The order page says why it is held, and offers the decision.
    expect(page.locator(".fraud-reasons")).to_contain_text(
        "the payment gateway scored the payment 92/100"
    )
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/held-order.png", full_page=True)
    page.click("#order-action-approve_review")
    page.get_by_role("button", name="Approve after review").click()

    page.wait_for_url(f"{live_server.url}/admin/orders/order/{held.pk}/change/")
    expect(page.locator(".messagelist")).to_contain_text("review approved")
    expect(page.locator(".order-timeline")).to_contain_text("fraud.approved")
    page.goto(f"{live_server.url}/admin/orders/fraudassessment/")
    expect(page.locator("#result_list tbody tr")).to_have_count(0)
    order = Order.objects.get(pk=held.pk)
    assert (order.status, order.payment_status) == (OrderStatus.PLACED, PaymentStatus.AUTHORIZED)


def test_a_customer_cancels_their_order_on_a_phone(browser, live_server, tee, customer, password):
    cart = checkout_ready_cart(lines=[(tee, 2)], customer=customer, email=customer.email)
    order = place(cart, customer=customer)
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/orders/{order.public_id}/")
        page.get_by_label("E-mail address").fill(customer.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{live_server.url}/orders/{order.public_id}/")
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/order-phone.png", full_page=True)
        _no_sideways_scroll(page)

        page.get_by_role("button", name="Cancel order").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Cancel order {order.reference}?"
        )
        _no_sideways_scroll(page)
        page.get_by_role("button", name="Yes, cancel my order").click()

        expect(page).to_have_url(f"{live_server.url}/orders/{order.public_id}/")
        expect(page.get_by_text("Your order is cancelled.")).to_be_visible()
        expect(page.locator("[data-order-status]")).to_have_text("Cancelled")
        expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
        _no_sideways_scroll(page)
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/cancelled-phone.png", full_page=True)
    finally:
        context.close()
    order = Order.objects.get(pk=order.pk)
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.VOIDED)


def test_a_kill_switch_flipped_in_the_admin_removes_the_shipping_method(
    browser, live_server, tee, ops, password
):
    admin = browser.new_context(viewport={"width": 1280, "height": 900})
    shopper = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        buyer = shopper.new_page()
        buyer.goto(f"{live_server.url}/p/harbor-tee/")
        buyer.get_by_role("button", name="Add to cart").click()
        buyer.get_by_role("link", name="Check out").click()
        buyer.get_by_label("E-mail address").fill("buyer@example.com")
        buyer.get_by_role("button", name="Continue to address").click()
        buyer.get_by_label("Full name").fill("Ada Lovelace")
        buyer.get_by_label("Address", exact=True).fill("350 Fifth Avenue")
        buyer.get_by_label("City").fill("New York")
        buyer.get_by_label("State / province").fill("NY")
        buyer.get_by_label("Postal code").fill("10118")
        buyer.get_by_role("button", name="Continue to shipping").click()
        expect(buyer.get_by_role("radio", name=re.compile("Express shipping"))).to_be_visible()

        staff = admin.new_page()
        staff.goto(f"{live_server.url}/admin/login/")
        staff.fill("#id_username", ops.email)
        staff.fill("#id_password", password)
        staff.click("input[type=submit]")
        staff.goto(f"{live_server.url}/admin/shop/killswitch/add/")
        staff.select_option("#id_kind", "shipping_method")
        staff.fill("#id_target", "express")
        staff.check("#id_is_off")
        staff.fill("#id_reason", "Carrier strike today")
        staff.get_by_role("button", name="Save", exact=True).click()
        expect(staff.locator(".messagelist")).to_contain_text("was added successfully")

        buyer.reload()
        expect(buyer.get_by_role("radio", name=re.compile("Standard shipping"))).to_be_visible()
        expect(buyer.get_by_role("radio", name=re.compile("Express shipping"))).to_have_count(0)
        if SCREENSHOTS:
            buyer.screenshot(path=f"{SCREENSHOTS}/express-switched-off.png", full_page=True)
    finally:
        admin.close()
        shopper.close()
