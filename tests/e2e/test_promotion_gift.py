"""A free gift in a real browser: the cart earns it, the gift line shows at zero price with no
quantity control, and it goes (with a hint to earn it back) when the cart no longer earns it."""

import pytest
from playwright.sync_api import expect

from promotions.services import import_promotions
from tests.e2e.test_checkout import add_to_cart
from tests.factories.catalog import ProductFactory, VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.storefront.checkout_support import stocked_tee

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gift_promotion():
    stocked_tee()
    tote = VariantFactory(
        product=ProductFactory(title="Canvas Tote"), sku="SKU-TOTE", prices={"USD": 1200}
    )
    stock(tote, LocationFactory(code="us-gifts", country="US", markets=["US"]), 5)
    import_promotions(
        [
            {
                "id": "tote_over_50",
                "name": "Free tote over $50",
                "conditions": {"min_subtotal_cents": 5000},
                "action": {"type": "free_gift", "gift_sku": "SKU-TOTE"},
            }
        ]
    )


def test_the_gift_line_comes_and_goes_with_the_cart(page, live_server, gift_promotion):
    page.set_viewport_size({"width": 1280, "height": 900})
    add_to_cart(page, live_server, quantity=2)

    gift = page.locator("[data-gift-line]")
    expect(gift).to_have_count(1)
    expect(gift).to_contain_text("Canvas Tote")
    expect(gift.locator("[data-gift-label]")).to_have_text("Free gift × 1")
    expect(gift.locator(".cart-line-amount")).to_have_text("$0.00")
    expect(gift.locator("input[name=quantity]")).to_have_count(0)
    expect(gift.get_by_role("button")).to_have_count(0)
    expect(page.locator("[data-promotion-applied]")).to_have_text("Applied: Free tote over $50")
    expect(page.locator(".summary-total")).to_contain_text("$50.00")

    page.get_by_label("Quantity of Harbor Tee").fill("1")
    page.get_by_role("button", name="Update").click()

    expect(page.locator("[data-gift-line]")).to_have_count(0)
    expect(page.locator("[data-promotion-hint]")).to_have_text(
        "Add $25.00 more to get a free gift"
    )
