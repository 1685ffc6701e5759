"""A shopper on a phone searches the demo catalog for what they call it ("tees") and finds the
tees (issue 9: stemming, synonyms, the search page at 390 px)."""

import re

import pytest
from playwright.sync_api import expect

from catalog.demo_data import demo_catalog
from catalog.seeding import seed_demo_catalog

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo_shop(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seed_demo_catalog()
    return {
        p.title
        for p in demo_catalog().products
        if p.status == "active" and p.category_path == "apparel/tees"
    }


def test_a_shopper_on_a_phone_types_tees_and_sees_tees(page, live_server, demo_shop):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/")

    box = page.get_by_role("searchbox", name="Search products")
    expect(box).to_be_visible()
    box.fill("tees")
    box.press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?q=tees$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("tees")
    expect(page.locator(".result-count")).to_contain_text(f"{len(demo_shop)} results")
    titles = page.locator(".product-card-title").all_inner_texts()
    assert len(titles) == 24
    assert set(titles) <= demo_shop
    page.wait_for_load_state("load")  # the stylesheets are in before measuring
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # the results fit the phone: no sideways scrolling

    box = page.get_by_role("searchbox", name="Search products").first
    box.fill("tshirt")  # only the demo's synonym group knows this one
    box.press("Enter")
    expect(page.locator(".result-count")).to_contain_text(f"{len(demo_shop)} results")
