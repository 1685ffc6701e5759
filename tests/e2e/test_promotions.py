"""Promotions in a real browser: the cart says what a promotion still needs, one more item
applies it, a coupon code stacks on it, and the order keeps both discounts."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Order
from promotions.models import Redemption
from promotions.services import import_promotions
from tests.e2e.test_checkout import add_to_cart, check_out_to_review
from tests.storefront.checkout_support import stocked_tee

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def promotions():
    stocked_tee()
    since = (timezone.now() - timezone.timedelta(days=1)).isoformat()
    import_promotions(
        [
            {
                "id": "tees_10",
                "name": "10% off tees",
                "priority": 10,
                "stacks_with": ["five_off"],
                "conditions": {
                    "cart_contains": {"any_of_skus": ["TEE-*"]},
                    "min_subtotal_cents": 5000,
                },
                "time_window": {"starts_at": since},
                "action": {"type": "percent_off", "value": 10},
            },
            {
                "id": "five_off",
                "name": "$5 off with FIVE",
                "stacks_with": ["tees_10"],
                "conditions": {"coupon_required": True, "markets": ["US"]},
                "action": {"type": "fixed_off", "value": 500},
                "coupons": {"codes": ["FIVE"], "uses_per_code": 1},
            },
        ]
    )


def test_hint_then_discount_then_coupon_then_the_order(page, live_server, promotions):
    add_to_cart(page, live_server)
    expect(page.locator("[data-promotion-hint]")).to_have_text("Add $25.00 more to get 10% off")
    page.goto(f"{live_server.url}/p/harbor-tee/")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-promotion-applied]")).to_have_text("Applied: 10% off tees")
    expect(page.locator("[data-promotion-hint]")).to_have_count(0)
    expect(page.locator(".summary-total")).to_contain_text("$45.00")

    page.get_by_label("Coupon code").fill("five")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".messages")).to_contain_text("Code FIVE applied.")
    expect(page.locator("[data-promotion-applied]")).to_have_count(2)
    expect(page.locator(".summary-total")).to_contain_text("$40.00")

    check_out_to_review(page, live_server)
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()  # sent with fetch
    order = Order.objects.get()
    expect(page).to_have_url(re.compile(rf"/orders/{order.public_id}/"))
    expect(page.locator("body")).to_contain_text("−$10.00")
    assert order.discount_total_cents == 1000
    assert sorted(Redemption.objects.values_list("promotion_id", "amount_cents")) == [
        ("five_off", 500),
        ("tees_10", 500),
    ]
