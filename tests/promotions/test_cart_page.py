"""The cart page says what a promotion still needs, then that it applied."""

from datetime import timedelta

import pytest
from django.utils import timezone

from promotions.services import import_promotions
from tests.storefront.checkout_support import add, stocked_tee

pytestmark = pytest.mark.django_db


def five_off_with_code_five():
    import_promotions(
        [
            {
                "id": "save5",
                "name": "$5 off",
                "conditions": {"coupon_required": True, "markets": ["US"]},
                "action": {"type": "fixed_off", "value": 500},
                "coupons": {"codes": ["FIVE"]},
            }
        ]
    )


def test_cart_page_hint_then_applied(client):
    stocked_tee()
    now = timezone.now()
    import_promotions(
        [
            {
                "id": "tees_15",
                "name": "15% off tees",
                "conditions": {
                    "cart_contains": {"any_of_skus": ["TEE-*"]},
                    "min_subtotal_cents": 5000,
                },
                "time_window": {"starts_at": (now - timedelta(days=1)).isoformat()},
                "action": {"type": "percent_off", "value": 15},
            }
        ]
    )
    add(client)
    page = client.get("/cart/").content.decode()
    assert (
        "Add $25.00 more to get 15% off TEE-*" in page or "Add $25.00 more to get 15% off" in page
    )
    add(client)
    page = client.get("/cart/").content.decode()
    assert "Applied: 15% off tees" in page
    assert "more to get" not in page
    assert "data-line-discount>−$7.50 · 15% off tees</p>" in page  # 15% of 2 × $25.00


def test_a_coupon_goes_on_and_off_from_the_cart_page(client):
    stocked_tee()
    five_off_with_code_five()
    add(client)
    page = client.post("/cart/coupon/", {"code": "nope"}, follow=True).content.decode()
    assert "No promotion uses the code" in page
    page = client.post("/cart/coupon/", {"code": "five"}, follow=True).content.decode()
    assert "Code FIVE applied." in page and "Applied: $5 off" in page
    assert 'data-coupon="FIVE"' in page
    page = client.post(
        "/cart/coupon/", {"code": "FIVE", "remove": "1"}, follow=True
    ).content.decode()
    assert "Applied: $5 off" not in page


@pytest.mark.parametrize("code", ["FI\x00VE", "\x00", "<script>"])
def test_a_code_no_coupon_could_have_is_refused_on_and_changes_nothing_off(client, code):
    stocked_tee()
    five_off_with_code_five()
    add(client)
    client.post("/cart/coupon/", {"code": "FIVE"})

    put_on = client.post("/cart/coupon/", {"code": code}, follow=True)
    # Taking it off was a 500: the lookup carried the NUL to PostgreSQL.
    taken_off = client.post("/cart/coupon/", {"code": code, "remove": "1"}, follow=True)

    assert put_on.status_code == taken_off.status_code == 200
    assert "That is not a coupon code." in put_on.content.decode()
    assert "Applied: $5 off" in taken_off.content.decode()  # FIVE is still on
