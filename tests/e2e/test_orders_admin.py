"""Operations in the orders admin, in a browser at 1280 px: find an order by e-mail, read its
timeline, capture the payment, see the capture on the timeline."""

import os

import pytest
from playwright.sync_api import expect

from orders.models import Order, OrderStatus, PaymentStatus
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.orders import checkout_ready_cart, ensure_order_config, place
from tests.factories.shop import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")  # a directory, to look at the pages


def test_operations_find_an_order_by_email_and_capture_its_payment(page, live_server, login):
    from django.core.management import call_command

    call_command("setup_roles")
    ensure_order_config()
    ops = StaffFactory(email="ops-orders@example.com", groups=["Operations"])
    variant = VariantFactory(sku="E2E-HOODIE", prices={"USD": 4500})
    stock(variant, LocationFactory(code="us-east", country="US"), 10)
    place(checkout_ready_cart(lines=[(variant, 1)], email="someone-else@example.com"))
    order = place(checkout_ready_cart(lines=[(variant, 2)], email="grace@example.com"))
    page.set_viewport_size({"width": 1280, "height": 900})
    login(ops)

    page.goto(f"{live_server.url}/admin/orders/order/")
    page.fill("#searchbar", "grace@example.com")
    page.press("#searchbar", "Enter")
    results = page.locator("#result_list tbody tr")
    expect(results).to_have_count(1)
    page.get_by_role("link", name=order.reference).click()

    timeline = page.locator(".order-timeline")
    expect(timeline).to_contain_text("order.created")
    expect(timeline).to_contain_text("payment.authorized")
    expect(page.locator("#order-action-refund")).to_have_count(0)
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/order-page.png", full_page=True)
    page.click("#order-action-capture")
    expect(page.locator("#order-action-summary")).to_contain_text(order.reference)
    page.get_by_role("button", name="Capture payment").click()

    page.wait_for_url(f"{live_server.url}/admin/orders/order/{order.pk}/change/")
    expect(page.locator(".messagelist")).to_contain_text(
        f"Order {order.reference}: payment captured (placed, payment captured)."
    )
    expect(timeline).to_contain_text("payment.captured")
    expect(timeline.locator("tr", has_text="payment.captured")).to_contain_text(
        "authorized → captured"
    )
    expect(timeline.locator("tr", has_text="payment.captured")).to_contain_text(ops.email)
    expect(page.locator("#order-action-capture")).to_have_count(0)
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/order-captured.png", full_page=True)
    order = Order.objects.get(pk=order.pk)
    assert (order.status, order.payment_status, order.captured_cents) == (
        OrderStatus.PLACED,
        PaymentStatus.CAPTURED,
        order.total_cents,
    )
