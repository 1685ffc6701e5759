"""Fulfillment in a real browser: Operations create a partial shipment and ship it in the
admin at 1280 px and print its packing slip; the customer sees the tracking link on their
order page at phone width."""

import os
import re

import pytest
from playwright.sync_api import expect

from inventory.models import Location
from orders import services
from orders.models import Order, OrderStatus, Shipment, ShipmentStatus
from tests.factories.orders import checkout_ready_cart, place
from tests.factories.shop import StaffFactory
from tests.storefront.checkout_support import stocked_tee

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")  # a directory, to look at the pages


def test_operations_ship_part_of_an_order_and_print_the_packing_slip(page, live_server, login):
    from django.core.management import call_command

    call_command("setup_roles")
    tee = stocked_tee()
    ops = StaffFactory(email="ops-ship@example.com", groups=["Operations"])
    order = place(checkout_ready_cart(lines=[(tee, 3)], email="grace@example.com"))
    page.set_viewport_size({"width": 1280, "height": 900})
    login(ops)

    page.goto(f"{live_server.url}/admin/orders/shipment/queue/")
    row = page.locator(f"tr[data-order='{order.public_id}']")
    expect(row).to_contain_text("us-east")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/fulfillment-queue.png", full_page=True)
    row.get_by_role("link", name="Create shipment").click()

    line = order.lines.get()
    page.fill(f"#id_line_{line.public_id}", "2")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/create-shipment.png", full_page=True)
    page.get_by_role("button", name="Create shipment").click()
    expect(page.locator(".messagelist")).to_contain_text("Shipment shp_")
    shipment = Shipment.objects.get()

    page.click("#shipment-step-ship")
    page.select_option("#id_carrier", "ups")
    page.fill("#id_tracking_number", "<b>1Z</b>")
    page.get_by_role("button", name="Ship").click()
    expect(page.locator("#form-errors")).to_contain_text("letters, digits")
    page.fill("#id_tracking_number", "1ZE2E0001")
    page.get_by_role("button", name="Ship").click()
    expect(page.locator(".messagelist")).to_contain_text("Ship done (Shipped)")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/shipment-shipped.png", full_page=True)

    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.PARTIALLY_FULFILLED
    assert order.lines.get().quantity_fulfilled == 2
    assert Shipment.objects.get().status == ShipmentStatus.SHIPPED

    page.click("#packing-slip-link")
    expect(page.locator(".slip h1")).to_have_text("Packing slip")
    expect(page.locator(".items tbody tr")).to_have_count(1)
    expect(page.locator(".items")).to_contain_text("TEE-RED-M")
    expect(page.locator("#print-slip")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#print-slip")).to_be_hidden()  # the print stylesheet hides it
    printed = page.pdf(prefer_css_page_size=True)  # what the printer gets: one A4 page
    assert printed.startswith(b"%PDF") and re.search(rb"/Count 1\b", printed)
    if SCREENSHOTS:
        with open(f"{SCREENSHOTS}/packing-slip.pdf", "wb") as out:
            out.write(printed)
    assert shipment.public_id in page.content()


def test_the_customer_sees_the_tracking_link_on_a_phone(page, live_server, customer, password):
    tee = stocked_tee()
    cart = checkout_ready_cart(lines=[(tee, 2)], customer=customer, email=customer.email)
    order = place(cart, customer=customer)
    shipment = services.create_shipment(
        order=order, location=Location.objects.get(), lines={order.lines.get(): 2}
    )
    services.ship_shipment(shipment=shipment, carrier="fedex", tracking_number="7777 8888 9999")
    page.set_viewport_size({"width": 375, "height": 800})

    page.goto(f"{live_server.url}/orders/{order.public_id}/")
    page.get_by_label("E-mail address").fill(customer.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_server.url}/orders/{order.public_id}/")
    parcel = page.locator(f"[data-shipment='{shipment.public_id}']")
    expect(parcel).to_contain_text("On its way")
    expect(parcel).to_contain_text("2 × Harbor Tee")
    expect(parcel).to_contain_text("FedEx")
    link = parcel.get_by_role("link", name="Track this parcel")
    expect(link).to_have_attribute(
        "href", "https://www.fedex.com/fedextrack/?trknbr=7777%208888%209999"
    )
    expect(link).to_be_visible()
    page.wait_for_load_state("load")  # the stylesheets are in before measuring
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/order-tracking-phone.png", full_page=True)
