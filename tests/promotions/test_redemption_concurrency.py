"""30 simultaneous checkouts for a code limited to 5 uses: exactly 5 orders get it (real
PostgreSQL, real threads, each with its own connection)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from orders.models import Order
from orders.services.coupons import apply_cart_coupon
from promotions.exceptions import CouponExhausted
from promotions.models import Coupon, Promotion, Redemption
from promotions.services import import_promotions
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.orders import checkout_ready_cart, ensure_order_config, place

pytestmark = pytest.mark.django_db(transaction=True)
CHECKOUTS = 30


def test_thirty_checkouts_for_a_code_limited_to_five_uses_give_it_to_exactly_five():
    market("US")
    ensure_order_config()
    variant = VariantFactory(sku="SKU-MUG", prices={"USD": 1500})
    stock(variant, LocationFactory(code="us-east", country="US"), 1000)
    import_promotions(
        [
            {
                "id": "five_only",
                "conditions": {"coupon_required": True},
                "action": {"type": "fixed_off", "value": {"USD": 500}},
                "coupons": {"codes": ["FIVE"], "uses_per_code": 5},
            }
        ]
    )
    carts = []
    for i in range(CHECKOUTS):
        cart = checkout_ready_cart(lines=[(variant, 1)], email=f"buyer{i}@example.com")
        apply_cart_coupon(cart=cart, code="five")
        carts.append(cart)
    start = threading.Barrier(CHECKOUTS)

    def checkout(cart):
        try:
            start.wait(timeout=60)
            return place(cart).discount_total_cents
        except CouponExhausted:
            return "exhausted"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CHECKOUTS) as pool:
        outcomes = list(pool.map(checkout, carts))

    assert outcomes.count(500) == 5
    assert outcomes.count("exhausted") == CHECKOUTS - 5
    assert Order.objects.count() == 5
    assert Coupon.objects.get(code="FIVE").uses_count == 5
    assert Promotion.objects.get(pk="five_only").uses_count == 5
    assert Redemption.objects.count() == 5
