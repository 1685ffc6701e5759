"""A free_shipping promotion with a budget: the cart asks for no more shipping discount than
the budget has left, and placement counts the real shipping discount under the promotion's
row lock, so simultaneous checkouts never spend more than the budget (real PostgreSQL, real
threads, each with its own connection)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import pytest
from django.db import connection

from orders.models import Order
from orders.pricing import price_cart
from promotions.exceptions import CouponExhausted
from promotions.models import Promotion, Redemption
from promotions.services import import_promotions
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.orders import checkout_ready_cart, ensure_order_config, place

CHECKOUTS = 8


def setup_shop(budget_in_shipments: float, committed=nullcontext):
    """A mug in stock and a free_shipping promotion with a budget of that many shipments
    (`committed`: runs the on-commit version bump in a test that never commits)."""
    market("US")
    ensure_order_config()
    mug = VariantFactory(sku="SKU-MUG", prices={"USD": 1500})
    stock(mug, LocationFactory(code="us-east", country="US"), 1000)
    probe = checkout_ready_cart(lines=[(mug, 1)], email="probe@example.com")
    shipping = price_cart(cart=probe, with_tax=False).quote.shipping_total_cents
    assert shipping > 0
    budget = int(shipping * budget_in_shipments)
    with committed():
        import_promotions(
            [
                {
                    "id": "ship_free",
                    "name": "Free shipping",
                    "action": {"type": "free_shipping"},
                    "limits": {"budget_cents": budget},
                }
            ]
        )
    return mug, shipping, budget


@pytest.mark.django_db
def test_the_cart_gets_only_what_the_budget_has_left_and_placement_spends_it_exactly(
    django_capture_on_commit_callbacks,
):
    mug, shipping, budget = setup_shop(
        1.5, lambda: django_capture_on_commit_callbacks(execute=True)
    )
    first = checkout_ready_cart(lines=[(mug, 1)], email="first@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert place(first).discount_total_cents == shipping

    second = checkout_ready_cart(lines=[(mug, 1)], email="second@example.com")
    quote = price_cart(cart=second, with_tax=False).quote
    assert quote.shipping_discount_cents == budget - shipping  # not the whole shipping price
    with django_capture_on_commit_callbacks(execute=True):
        order = place(second)

    assert order.discount_total_cents == budget - shipping
    promotion = Promotion.objects.get(pk="ship_free")
    assert promotion.discount_given_cents == budget
    redemption = Redemption.objects.get(order_ref=order.public_id)
    assert (redemption.shipping_cents, redemption.amount_cents) == (budget - shipping,) * 2

    third = checkout_ready_cart(lines=[(mug, 1)], email="third@example.com")
    assert price_cart(cart=third, with_tax=False).quote.shipping_discount_cents == 0
    assert place(third).discount_total_cents == 0


@pytest.mark.django_db(transaction=True)
def test_simultaneous_checkouts_never_spend_more_than_the_budget():
    mug, shipping, budget = setup_shop(2.5)
    carts = [
        checkout_ready_cart(lines=[(mug, 1)], email=f"buyer{i}@example.com")
        for i in range(CHECKOUTS)
    ]
    for cart in carts:  # every cart priced while the whole budget was left
        assert price_cart(cart=cart, with_tax=False).quote.shipping_discount_cents == shipping
    start = threading.Barrier(CHECKOUTS)

    def checkout(cart):
        try:
            start.wait(timeout=60)
            return place(cart).discount_total_cents
        except CouponExhausted:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CHECKOUTS) as pool:
        outcomes = list(pool.map(checkout, carts))

    given = [o for o in outcomes if o != "refused"]
    assert given.count(shipping) == 2  # two whole shipments fit in 2.5
    assert sum(given) <= budget
    promotion = Promotion.objects.get(pk="ship_free")
    counted = sum(Redemption.objects.values_list("amount_cents", flat=True))
    assert promotion.discount_given_cents == counted == sum(given)
    assert sum(o.discount_total_cents for o in Order.objects.all()) == counted
    assert promotion.discount_given_cents <= budget
