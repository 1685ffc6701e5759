"""Drop mode in the browser: a Merchandiser schedules a drop in the admin (bad start time and
limit refused on the form), and a phone-width buyer (375 px) meets the waiting room, is let in
by the page's own retry, and a later buyer meets the sold-out page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inventory import drop_gate
from inventory.models import Drop
from tests.drop_support import clean_gate, start_drop  # noqa: F401 - fixture
from tests.factories.shop import StaffFactory
from tests.storefront.checkout_support import SKU, stocked_tee

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clean_gate")]


def _fits(page) -> None:
    page.wait_for_load_state("load")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, location.pathname]"
    )
    assert widths[0] <= widths[1], widths


def test_merchandiser_schedules_a_drop_and_bad_input_is_refused(page, live_server, login):
    from django.core.management import call_command

    call_command("setup_roles")
    variant = stocked_tee(on_hand=5)
    login(StaffFactory(email="merch-e2e@example.com", groups=["Merchandiser"]))
    page.goto(f"{live_server.url}/admin/inventory/drop/add/")
    page.fill("#id_variant", str(variant.pk))
    page.fill("#id_starts_at_0", "2020-01-01")
    page.fill("#id_starts_at_1", "10:00:00")
    page.fill("#id_per_order_limit", "0")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("A per-order limit must be at least 1 (or empty).")).to_be_visible()
    assert Drop.objects.count() == 0
    page.fill("#id_per_order_limit", "2")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("The start time is in the past.")).to_be_visible()
    assert Drop.objects.count() == 0

    start = timezone.localtime(timezone.now() + timedelta(hours=2))
    page.fill("#id_starts_at_0", start.strftime("%Y-%m-%d"))
    page.fill("#id_starts_at_1", start.strftime("%H:%M:%S"))
    page.fill("#id_per_customer_limit", "4")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("was added successfully")).to_be_visible()
    drop = Drop.objects.get()
    assert (drop.variant_id, drop.per_order_limit, drop.per_customer_limit) == (variant.pk, 2, 4)
    expect(page.locator("#result_list")).to_contain_text("scheduled")


def test_phone_buyer_waits_in_line_is_let_in_and_a_later_buyer_sees_sold_out(
    browser, live_server, settings
):
    settings.DROP_MAX_IN_FLIGHT = 1
    variant = stocked_tee(on_hand=2)
    start_drop(variant=variant)
    # Another buyer is mid add-to-cart with one unit's token: the one place in flight is taken.
    blocker = drop_gate.admit(drop_gate.drop_rule_for(SKU), quantity=1, member="cart_blocker")
    context = browser.new_context(viewport={"width": 375, "height": 740})
    later_context = browser.new_context(viewport={"width": 375, "height": 740})
    page, later = context.new_page(), later_context.new_page()
    try:
        later.goto(f"{live_server.url}/p/harbor-tee/")  # opened while units are left
        page.goto(f"{live_server.url}/p/harbor-tee/")
        page.get_by_role("button", name="Add to cart").click()

        expect(page).to_have_url(f"{live_server.url}/drop/wait/")
        expect(page.get_by_role("heading", name="You are in line")).to_be_visible()
        expect(page.locator("[data-position]")).to_have_text("1")
        _fits(page)
        blocker.leave(give_back=False)  # the place frees: the page's own retry gets in
        blocker = None

        expect(page).to_have_url(f"{live_server.url}/cart/", timeout=15_000)
        expect(page.locator("[data-cart-count]")).to_have_text("1")
        later.get_by_role("button", name="Add to cart").click()
        expect(later).to_have_url(f"{live_server.url}/drop/sold-out/?sku={SKU}")
        expect(later.get_by_role("heading", name="Sold out")).to_be_visible()
        _fits(later)
    finally:
        if blocker is not None:
            blocker.leave(give_back=False)
        context.close()
        later_context.close()
