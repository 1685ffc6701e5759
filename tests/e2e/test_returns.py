"""Returns in a real browser: the customer asks to return an item from their order page,
sees the estimate, gets the label; Operations approve, receive and inspect in the admin,
Finance refunds after the confirmation; the customer sees "Refunded" (issue 12)."""

import os

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import Order, OrderStatus
from returns.models import ReturnPolicy, ReturnRequest, ReturnStatus
from tests.factories.orders import checkout_ready_cart, place
from tests.factories.shop import StaffFactory
from tests.returns.conftest import deliver
from tests.storefront.checkout_support import stocked_tee

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")  # a directory, to look at the pages


def shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def test_customer_returns_ops_and_finance_refund(page, live_server, customer, password, login):
    call_command("setup_roles")
    tee = stocked_tee()
    order = deliver(
        place(
            checkout_ready_cart(lines=[(tee, 2)], customer=customer, email=customer.email),
            customer=customer,
        )
    )
    ReturnPolicy.objects.create(market=order.market, auto_approve=False)
    line = order.lines.get()

    # The customer, on a phone.
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/orders/{order.public_id}/")
    page.get_by_label("E-mail address").fill(customer.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Return items").click()
    page.select_option(f"#id_qty_{line.public_id}", "1")
    page.select_option(f"#id_reason_{line.public_id}", "doesnt_fit")
    page.get_by_role("button", name="See the refund").click()
    expect(page.locator("[data-estimate-total]")).to_be_visible()
    shot(page, "return-estimate-phone")
    page.get_by_role("button", name="Request return").click()
    expect(page.locator("[data-return-status]")).to_have_text("Requested")
    shot(page, "return-requested-phone")
    rma = ReturnRequest.objects.get()

    # Operations at a desk.
    page.set_viewport_size({"width": 1280, "height": 900})
    ops = StaffFactory(email="ops-returns@example.com", groups=["Operations"])
    login(ops)
    page.goto(f"{live_server.url}/admin/returns/returnrequest/?status__exact=requested")
    shot(page, "returns-queue")
    page.get_by_role("link", name=rma.reference).click()
    shot(page, "return-admin-page")
    page.click(".return-step-approve")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".messagelist")).to_contain_text("Approve done (Approved)")
    page.click(".return-step-receive")
    page.get_by_role("button", name="Receive").click()
    expect(page.locator(".messagelist")).to_contain_text("Receive done (Received)")
    page.click(".return-step-inspect")
    page.get_by_role("button", name="Inspect").click()
    expect(page.locator(".errornote, .errorlist").first).to_contain_text("Choose what happens")
    rma_line = rma.lines.get()
    page.select_option(f"#id_disposition_{rma_line.pk}", "resell")
    page.get_by_role("button", name="Inspect").click()
    expect(page.locator(".messagelist")).to_contain_text("Inspect done (Inspected)")
    expect(page.locator(".return-step-refund")).to_have_count(0)  # not Operations'

    finance = StaffFactory(email="finance-returns@example.com", groups=["Finance"])
    page.context.clear_cookies()
    login(finance)
    page.goto(f"{live_server.url}/admin/returns/returnrequest/{rma.pk}/change/")
    page.click(".return-step-refund")
    assert line.total_cents == 5200  # 2 x $25.00 + $2.00 tax: one unit is $26.00, no fee
    expect(page.locator("#refund-total")).to_have_text("$26.00")
    shot(page, "return-refund-confirmation")
    page.get_by_label("I checked the amount and its breakdown").check()
    page.get_by_role("button", name="Refund").click()
    expect(page.locator(".messagelist")).to_contain_text("Refund done (Refunded)")
    assert ReturnRequest.objects.get().status == ReturnStatus.REFUNDED
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PARTIALLY_RETURNED

    # The customer sees it refunded.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/account/returns/{rma.public_id}/")
    page.get_by_label("E-mail address").fill(customer.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("[data-return-status]")).to_have_text("Refunded")
    expect(page.locator("[data-refund]")).to_contain_text("$26.00")
    shot(page, "return-refunded-phone")
    page.goto(f"{live_server.url}/orders/{order.public_id}/")
    shot(page, "order-with-return-phone")


def test_customer_downloads_the_label(page, live_server, customer, password):
    tee = stocked_tee()
    order = deliver(
        place(
            checkout_ready_cart(lines=[(tee, 1)], customer=customer, email=customer.email),
            customer=customer,
        )
    )
    line = order.lines.get()  # the default policy approves small returns at once
    page.goto(f"{live_server.url}/account/orders/{order.public_id}/return/")
    page.get_by_label("E-mail address").fill(customer.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.select_option(f"#id_qty_{line.public_id}", "1")
    page.select_option(f"#id_reason_{line.public_id}", "damaged")
    page.get_by_role("button", name="See the refund").click()
    page.get_by_role("button", name="Request return").click()
    expect(page.locator("[data-return-status]")).to_have_text("Approved")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download return label (PDF)").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    assert (
        download.value.suggested_filename == f"return-{ReturnRequest.objects.get().reference}.pdf"
    )
