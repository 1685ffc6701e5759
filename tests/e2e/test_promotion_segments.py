"""A merchandiser creates a named customer segment in the admin at 1280 px, puts a customer in
it by e-mail, and gets a clear error (nothing changed) for an e-mail no customer has."""

import pytest
from playwright.sync_api import expect

from promotions.models import Segment
from promotions.selectors import customer_segments
from tests.factories.shop import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_merchandiser_creates_a_segment_and_assigns_customers(
    page, live_server, login, merchandiser
):
    vip = UserFactory(email="vip.buyer@example.com")
    other = UserFactory(email="Other.Buyer@example.com")
    page.set_viewport_size({"width": 1280, "height": 900})
    login(merchandiser)

    page.goto(f"{live_server.url}/admin/promotions/segment/add/")
    page.get_by_label("Slug").fill("vip")
    page.get_by_label("Name").fill("VIP customers")
    page.get_by_label("Members").fill("vip.buyer@example.com\nother.buyer@EXAMPLE.com\n")
    page.locator("input[name=_save]").click()

    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    row = page.locator("#result_list tbody tr", has_text="vip")
    expect(row).to_contain_text("VIP customers")
    expect(row.locator(".field-member_count")).to_have_text("2")
    assert customer_segments(vip.pk) == customer_segments(other.pk) == frozenset({"vip"})

    page.get_by_role("link", name="vip", exact=True).click()
    members = page.get_by_label("Members")
    expect(members).to_have_value("Other.Buyer@example.com\nvip.buyer@example.com")
    members.fill("vip.buyer@example.com\nnobody@example.com")
    page.locator("input[name=_save]").click()

    expect(page.locator(".errorlist")).to_contain_text(
        "No customer with the e-mail nobody@example.com"
    )
    assert customer_segments(other.pk) == frozenset({"vip"})  # nothing changed

    page.get_by_label("Members").fill("vip.buyer@example.com")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert customer_segments(vip.pk) == frozenset({"vip"})
    assert customer_segments(other.pk) == frozenset()
    assert Segment.objects.get().name == "VIP customers"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280
