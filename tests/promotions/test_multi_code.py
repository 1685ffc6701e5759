"""Several codes on one cart (Saleor allows one): each is evaluated under the stacking rules;
a code whose promotion does not stack is on the cart but reported, not applied; placement
counts every code that applied."""

import pytest

from orders.services.coupons import apply_cart_coupon
from promotions.models import Coupon, Redemption
from promotions.services import import_promotions
from tests.factories.orders import checkout_ready_cart, place
from tests.orders.api_support import client_for
from tests.promotions.test_checkout import shop_setup  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def code_promo(pid, code, cents, stacks_with=(), priority=0):
    return {
        "id": pid,
        "priority": priority,
        "stacks_with": list(stacks_with),
        "conditions": {"coupon_required": True},
        "action": {"type": "fixed_off", "value": {"USD": cents}},
        "coupons": {"codes": [code]},
    }


def test_two_stacking_codes_both_apply_and_a_third_that_conflicts_is_explained(
    shop_setup,  # noqa: F811
):
    import_promotions(
        [
            code_promo("a", "AAA", 300, stacks_with=["b"], priority=10),
            code_promo("b", "BBB", 200, stacks_with=["a"], priority=5),
            code_promo("c", "CCC", 100, priority=1),
        ]
    )
    cart = checkout_ready_cart(lines=[(shop_setup["mug"], 2)])
    for code in ("aaa", "BBB", "ccc"):
        apply_cart_coupon(cart=cart, code=code)

    body = client_for().get(f"/api/v1/carts/{cart.public_id}").json()

    assert [p["id"] for p in body["promotions"]] == ["a", "b"]
    assert body["discount_total"]["amount"] == 500
    assert body["promotions_not_applied"] == [
        {"id": "c", "name": "c", "reason": "not_stackable_with:a"}
    ]

    order = place(cart)

    assert order.discount_total_cents == 500
    assert sorted(
        Redemption.objects.filter(order_ref=order.public_id).values_list(
            "promotion_id", "coupon__code", "amount_cents"
        )
    ) == [("a", "AAA", 300), ("b", "BBB", 200)]
    assert dict(Coupon.objects.values_list("code", "uses_count")) == {
        "AAA": 1,
        "BBB": 1,
        "CCC": 0,
    }
