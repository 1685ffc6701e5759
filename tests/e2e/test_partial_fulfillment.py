"""A partial fulfilment walked end to end in real browsers (issue 10): an order of 3 lines
held at 2 locations; Operations (admin, 1280 px) ship line 1 from A, cancel line 2, ship
line 3 from B and mark it delivered, checking the order page, the timeline and the packing
slip at each step, while the customer's order page (375 px) follows along. Bad input in the
admin forms comes back as form errors."""

import os

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from inventory.models import Location
from orders.models import Order, OrderStatus, PaymentTransaction, Shipment
from shop.money import allocate
from tests.factories.catalog import ProductFactory, VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.orders import checkout_ready_cart, place
from tests.factories.shop import StaffFactory
from tests.storefront.checkout_support import ensure_order_config, market

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")  # a directory, to look at the pages
S = OrderStatus


@pytest.fixture
def split_order(customer):
    """The customer's order: 2 mugs held at loc-a; 1 cap and 3 scarves held at loc-b."""
    ensure_order_config()
    market("US")
    a = LocationFactory(code="loc-a", country="US", markets=["US"], priority=10)
    b = LocationFactory(code="loc-b", country="US", markets=["US"], priority=20)
    made = []
    for title, sku, cents, where in (
        ("Harbor Mug", "MUG-1", 1000, a),
        ("Harbor Cap", "CAP-1", 2500, b),
        ("Harbor Scarf", "SCARF-1", 333, b),
    ):
        variant = VariantFactory(
            product=ProductFactory(title=title, handle=sku.lower()), sku=sku, prices={"USD": cents}
        )
        stock(variant, where, 5)
        made.append(variant)
    mug, cap, scarf = made
    cart = checkout_ready_cart(
        lines=[(mug, 2), (cap, 1), (scarf, 3)],
        customer=customer,
        email=customer.email,
        method="express",  # paid shipping: each parcel carries its lines' share
    )
    order = place(cart, customer=customer)
    assert order.status == S.PLACED
    return order


def shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def submit_unchecked(page, button):
    """Submit past the browser's own checks (min/max on number inputs) to see the server's."""
    page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")
    page.get_by_role("button", name=button).click()


def blocked_by_the_browser(page, selector):
    return page.eval_on_selector(selector, "e => !e.checkValidity()")


def no_sideways_scroll(page):
    page.wait_for_load_state("load")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


def test_ship_cancel_ship_deliver_with_the_customer_watching(
    page, browser, live_server, login, customer, password, split_order
):
    call_command("setup_roles")
    ops = StaffFactory(email="ops-walk@example.com", groups=["Operations"])
    order = split_order
    mug, cap, scarf = order.lines.order_by("pk")
    admin_order = f"{live_server.url}/admin/orders/order/{order.pk}/change/"
    page.set_viewport_size({"width": 1280, "height": 900})
    login(ops)

    phone = browser.new_context(viewport={"width": 375, "height": 800})
    shop = phone.new_page()
    shop.goto(f"{live_server.url}/orders/{order.public_id}/")
    shop.get_by_label("E-mail address").fill(customer.email)
    shop.get_by_label("Password").fill(password)
    shop.get_by_role("button", name="Sign in").click()
    expect(shop).to_have_url(f"{live_server.url}/orders/{order.public_id}/")
    expect(shop.locator("[data-order-status]")).to_have_text("Placed")
    no_sideways_scroll(shop)

    # 1. Ship the mugs from A.
    page.goto(admin_order)
    page.click("#order-create-shipment")
    page.select_option("#id_location", str(Location.objects.get(code="loc-a").pk))
    page.fill(f"#id_line_{mug.public_id}", "-1")
    assert blocked_by_the_browser(page, f"#id_line_{mug.public_id}")
    submit_unchecked(page, "Create shipment")
    expect(page.locator(".errorlist").first).to_contain_text("greater than or equal to 0")
    page.fill(f"#id_line_{mug.public_id}", "2")
    page.fill(f"#id_line_{cap.public_id}", "1")  # the cap is held at B, not A
    page.get_by_role("button", name="Create shipment").click()
    expect(page.locator(".errornote, .errorlist").first).to_be_visible()
    assert not Shipment.objects.exists()
    page.fill(f"#id_line_{cap.public_id}", "0")
    page.get_by_role("button", name="Create shipment").click()
    expect(page.locator(".messagelist")).to_contain_text("Shipment shp_")
    first = Shipment.objects.get()

    page.click("#shipment-step-ship")
    page.select_option("#id_carrier", "ups")
    for bad, says in (
        ("<script>alert(1)</script>", "letters, digits"),
        ("9" * 10_000, "characters"),
    ):
        page.fill("#id_tracking_number", bad)
        page.get_by_role("button", name="Ship").click()
        expect(page.locator("#form-errors")).to_contain_text(says)
    assert Shipment.objects.get().status == "pending"
    page.fill("#id_tracking_number", "1ZWALK0001")
    page.get_by_role("button", name="Ship").click()
    expect(page.locator(".messagelist")).to_contain_text("Ship done (Shipped)")
    shot(page, "walk-1-shipped")

    page.click("#packing-slip-link")
    expect(page.locator(".items tbody tr")).to_have_count(1)
    expect(page.locator(".items")).to_contain_text("MUG-1")
    page.go_back()

    page.goto(admin_order)
    expect(page.locator("#content")).to_contain_text("Partially fulfilled")
    page.click("#order-timeline-link")
    timeline = page.locator("#order-timeline")
    expect(timeline).to_contain_text("shipment.shipped")
    expect(timeline).to_contain_text("1ZWALK0001")

    shop.reload()
    expect(shop.locator("[data-order-status]")).to_have_text("Partially fulfilled")
    parcel = shop.locator(f"[data-shipment='{first.public_id}']")
    expect(parcel).to_contain_text("2 × Harbor Mug")
    expect(parcel.get_by_role("link", name="Track this parcel")).to_be_visible()
    expect(shop.locator("#cancel-order, [data-cancel-order]")).to_have_count(0)
    no_sideways_scroll(shop)
    shot(shop, "walk-1-customer")

    # 2. Cancel the cap (bad quantities first).
    page.goto(admin_order)
    page.click("#order-action-cancel_lines")
    page.fill(f"#id_line_{cap.public_id}", "-2")
    page.fill("#id_reason", "damaged in the warehouse")
    assert blocked_by_the_browser(page, f"#id_line_{cap.public_id}")
    submit_unchecked(page, "Cancel some items")
    expect(page.locator(".errorlist").first).to_contain_text("greater than or equal to 0")
    page.fill(f"#id_line_{cap.public_id}", "5")
    submit_unchecked(page, "Cancel some items")
    expect(page.locator(".errorlist").first).to_contain_text("less than or equal to 1")
    assert Order.objects.get(pk=order.pk).lines.get(pk=cap.pk).quantity_cancelled == 0
    page.fill(f"#id_line_{cap.public_id}", "1")
    page.get_by_role("button", name="Cancel some items").click()
    expect(page.locator(".messagelist")).to_contain_text("items cancelled")
    assert Order.objects.get(pk=order.pk).status == S.PARTIALLY_FULFILLED
    page.click("#order-timeline-link")
    expect(page.locator("#order-timeline")).to_contain_text("order.lines_cancelled")

    shop.reload()
    expect(shop.locator("[data-line-cancelled]")).to_have_count(1)
    expect(shop.locator("[data-line-cancelled]")).to_contain_text("1 cancelled")
    expect(shop.locator("[data-timeline]")).to_contain_text("Some items cancelled")
    expect(shop.locator(".summary-rows")).to_contain_text("New total")
    no_sideways_scroll(shop)

    # 3. Ship the scarves from B, then deliver both parcels.
    page.goto(admin_order)
    page.click("#order-create-shipment")
    expect(page.locator(f"#id_line_{cap.public_id}")).to_have_attribute("max", "0")
    page.select_option("#id_location", str(Location.objects.get(code="loc-b").pk))
    page.fill(f"#id_line_{scarf.public_id}", "3")
    page.get_by_role("button", name="Create shipment").click()
    expect(page.locator(".messagelist")).to_contain_text("Shipment shp_")
    last = Shipment.objects.exclude(pk=first.pk).get()
    page.click("#shipment-step-ship")
    page.select_option("#id_carrier", "dhl")
    page.fill("#id_tracking_number", "JDWALK0002")
    page.get_by_role("button", name="Ship").click()
    expect(page.locator(".messagelist")).to_contain_text("Ship done (Shipped)")
    page.click("#packing-slip-link")
    expect(page.locator(".items tbody tr")).to_have_count(1)
    expect(page.locator(".items")).to_contain_text("SCARF-1")
    page.go_back()
    assert Order.objects.get(pk=order.pk).status == S.FULFILLED

    for shipment in (first, last):
        page.goto(f"{live_server.url}/admin/orders/shipment/{shipment.pk}/change/")
        page.click("#shipment-step-deliver")
        page.get_by_role("button", name="Mark delivered").click()
        expect(page.locator(".messagelist")).to_contain_text("(Delivered)")
    page.goto(admin_order)
    expect(page.locator("#content")).to_contain_text("Delivered")
    shot(page, "walk-3-order")

    # The money: the parcels captured exactly what the kept units are worth.
    order = Order.objects.get(pk=order.pk)
    lines = list(order.lines.order_by("pk"))
    totals = [ln.total_cents for ln in lines]
    shares = allocate(order.total_cents - sum(totals), totals)
    kept = order.total_cents - (totals[1] + shares[1])
    captures = PaymentTransaction.objects.filter(order=order, kind="capture")
    assert sorted(captures.values_list("amount_cents", flat=True)) == sorted(
        [totals[0] + shares[0], totals[2] + shares[2]]
    )
    assert (order.status, order.captured_cents) == (S.DELIVERED, kept)

    shop.reload()
    expect(shop.locator("[data-order-status]")).to_have_text("Delivered")
    expect(shop.locator("[data-shipment]")).to_have_count(2)
    expect(shop.locator(f"[data-shipment='{last.public_id}']")).to_contain_text("3 × Harbor Scarf")
    no_sideways_scroll(shop)
    shot(shop, "walk-3-customer")
    phone.close()


def test_bad_shipment_urls_in_the_admin_are_not_found(page, live_server, login, split_order):
    call_command("setup_roles")
    ops = StaffFactory(email="ops-urls@example.com", groups=["Operations"])
    page.set_viewport_size({"width": 1280, "height": 900})
    login(ops)
    for path in (
        "/admin/orders/shipment/999999/change/",
        "/admin/orders/shipment/999999/packing-slip/",
        "/admin/orders/shipment/999999/step/ship/",
        "/admin/orders/shipment/create/999999/",
        "/admin/orders/shipment/timeline/999999/",
        "/admin/orders/shipment/shp_nope/packing-slip/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status in (302, 404) or "doesn’t exist" in page.content(), path
        assert response.status != 500, path
