"""Promotions in the cart API and at placement: discounts, hints, coupons (422 codes), the
redemption counted at placement and given back on cancellation."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders import services
from orders.models import Cart
from orders.pricing import price_cart
from orders.services.coupons import apply_cart_coupon
from promotions.exceptions import CouponExhausted
from promotions.models import Coupon, Promotion, Redemption
from promotions.selectors import forget
from promotions.services import import_promotions, set_promotion_status
from shop import services as shop_services
from shop.models import KillSwitchKind
from tests.factories.catalog import CategoryFactory, ProductFactory, VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.orders import checkout_ready_cart, ensure_order_config, place
from tests.factories.shop import StaffFactory
from tests.orders.api_support import add_line, client_for, new_cart

pytestmark = pytest.mark.django_db


def window(days_before=1, days_after=1):
    now = timezone.now()
    return {
        "starts_at": (now - timedelta(days=days_before)).isoformat(),
        "ends_at": (now + timedelta(days=days_after)).isoformat(),
    }


def hoodies_promo(**extra):
    entry = {
        "id": "hoodies_15",
        "name": "15% off hoodies",
        "priority": 100,
        "conditions": {
            "markets": ["US"],
            "cart_contains": {"any_of_categories": ["hoodies"]},
            "min_subtotal_cents": 5000,
        },
        "time_window": window(),
        "action": {"type": "percent_off", "value": 15},
        "exclusions": {"variants": ["SKU-CLEAR-*"]},
    }
    entry.update(extra)
    return entry


@pytest.fixture
def shop_setup(db):
    for code in ("US", "CA"):
        market(code)
    ensure_order_config()
    hoodies = CategoryFactory(slug="hoodies", name="Hoodies")
    product = ProductFactory(handle="zip-hoodie", categories=[hoodies])
    hoodie = VariantFactory(product=product, sku="SKU-HOODIE-M", prices={"USD": 2000, "CAD": 2600})
    clearance = VariantFactory(
        product=ProductFactory(categories=[hoodies]), sku="SKU-CLEAR-1", prices={"USD": 9000}
    )
    mug = VariantFactory(sku="SKU-MUG", prices={"USD": 1500})
    warehouse = LocationFactory(code="us-east", country="US")
    for v in (hoodie, clearance, mug):
        stock(v, warehouse, 100)
    return {"hoodie": hoodie, "clearance": clearance, "mug": mug}


def cart_json(client, cart_id):
    return client.get(f"/api/v1/carts/{cart_id}").json()


def test_cart_shows_the_hint_then_the_discount(shop_setup):
    import_promotions([hoodies_promo()])
    client = client_for()
    cart_id = new_cart(client)["id"]
    add_line(client, cart_id, "SKU-HOODIE-M", 2)
    add_line(client, cart_id, "SKU-CLEAR-1", 1)  # excluded: never counts, never discounted
    body = cart_json(client, cart_id)
    assert body["promotions"] == []
    (miss,) = body["promotions_not_applied"]
    assert miss["reason"] == "min_subtotal_not_met"
    assert miss["amount_needed"] == {"amount": 1000, "currency": "USD"}
    assert miss["hint"] == "Add $10.00 more to get 15% off hoodies"

    add_line(client, cart_id, "SKU-HOODIE-M", 1)
    body = cart_json(client, cart_id)
    assert body["promotions"] == [
        {
            "id": "hoodies_15",
            "name": "15% off hoodies",
            "amount": {"amount": 900, "currency": "USD"},
        }
    ]
    by_sku = {line["sku"]: line for line in body["lines"]}
    assert by_sku["SKU-HOODIE-M"]["discounts"] == [
        {"promotion": "hoodies_15", "amount": {"amount": 900, "currency": "USD"}}
    ]
    assert by_sku["SKU-CLEAR-1"]["discounts"] == []
    assert body["promotions_not_applied"] == []


def test_switched_off_or_paused_promotions_do_not_apply(
    shop_setup, django_capture_on_commit_callbacks
):
    (promo,) = import_promotions([hoodies_promo()])
    cart = checkout_ready_cart(lines=[(shop_setup["hoodie"], 3)])
    client = client_for()
    assert cart_json(client, cart.public_id)["discount_total"]["amount"] == 900
    with django_capture_on_commit_callbacks(execute=True):
        shop_services.set_kill_switch(
            kind=KillSwitchKind.PROMOTION,
            target="hoodies_15",
            is_off=True,
            reason="test",
            actor=StaffFactory(),
        )
    assert cart_json(client, cart.public_id)["discount_total"]["amount"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        shop_services.set_kill_switch(
            kind=KillSwitchKind.PROMOTION,
            target="hoodies_15",
            is_off=False,
            reason="test",
            actor=StaffFactory(),
        )
    assert cart_json(client, cart.public_id)["discount_total"]["amount"] == 900
    with django_capture_on_commit_callbacks(execute=True):
        set_promotion_status(promotion=promo, status="paused")
    assert cart_json(client, cart.public_id)["discount_total"]["amount"] == 0


@pytest.mark.parametrize(
    ("entry", "code", "error"),
    [
        ({}, "NOPE", "coupon_invalid"),
        ({"time_window": window(days_before=3, days_after=-2)}, "save10", "coupon_expired"),
        ({"status": "paused"}, "SAVE10", "coupon_expired"),
        ({"limits": {"total_uses": 1}}, "SAVE10", "coupon_exhausted"),
        (
            {
                "conditions": {"markets": ["CA"], "coupon_required": True},
                "action": {"type": "fixed_off", "value": {"CAD": 1300}},
            },
            "SAVE10",
            "coupon_not_eligible",
        ),
    ],
)
def test_coupon_refusals_are_422_with_their_code(shop_setup, entry, code, error):
    promo = {
        "id": "save10",
        "conditions": {"coupon_required": True},
        "action": {"type": "fixed_off", "value": {"USD": 1000}},
        "coupons": {"codes": ["SAVE10"]},
    } | entry
    (promotion,) = import_promotions([promo])
    if error == "coupon_exhausted":
        Promotion.objects.filter(pk=promotion.pk).update(uses_count=1)  # arrange: used up
    client = client_for()
    cart_id = new_cart(client)["id"]
    add_line(client, cart_id, "SKU-HOODIE-M", 1)
    response = client.post(f"/api/v1/carts/{cart_id}/coupons", {"code": code}, format="json")
    assert response.status_code == 422, response.json()
    assert response.json()["code"] == error


def test_a_coupon_applies_case_insensitively_and_comes_off(shop_setup):
    import_promotions(
        [
            {
                "id": "save10",
                "conditions": {"coupon_required": True},
                "action": {"type": "fixed_off", "value": {"USD": 1000}},
                "coupons": {"codes": ["SAVE10"]},
            }
        ]
    )
    client = client_for()
    cart_id = new_cart(client)["id"]
    add_line(client, cart_id, "SKU-MUG", 2)
    response = client.post(f"/api/v1/carts/{cart_id}/coupons", {"code": " save10 "}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["discount_total"] == {"amount": 1000, "currency": "USD"}
    response = client.delete(f"/api/v1/carts/{cart_id}/coupons/Save10")
    assert response.json()["discount_total"] == {"amount": 0, "currency": "USD"}


def test_placement_counts_the_use_and_snapshots_the_discount_and_cancel_gives_it_back(shop_setup):
    import_promotions(
        [hoodies_promo(coupons={"codes": ["HOOD"], "uses_per_code": 1}, limits={"total_uses": 10})]
    )
    cart = checkout_ready_cart(lines=[(shop_setup["hoodie"], 3), (shop_setup["mug"], 1)])
    apply_cart_coupon(cart=cart, code="hood")
    order = place(cart)
    line = order.lines.get(sku="SKU-HOODIE-M")
    assert line.discount_cents == 900 and order.discount_total_cents == 900
    redemption = Redemption.objects.get(order_ref=order.public_id)
    assert (redemption.promotion_id, redemption.amount_cents, redemption.lines) == (
        "hoodies_15",
        900,
        {"SKU-HOODIE-M": 900},
    )
    assert redemption.coupon.code == "HOOD"
    assert Coupon.objects.get(code="HOOD").uses_count == 1
    assert Promotion.objects.get(pk="hoodies_15").discount_given_cents == 900

    services.cancel_order(order=order, actor=StaffFactory())
    redemption.refresh_from_db()
    assert redemption.status == "returned"
    assert Coupon.objects.get(code="HOOD").uses_count == 0
    assert Promotion.objects.get(pk="hoodies_15").uses_count == 0


def test_a_code_used_up_since_it_went_on_the_cart_refuses_the_order_and_writes_nothing(shop_setup):
    import_promotions(
        [
            {
                "id": "save10",
                "conditions": {"coupon_required": True},
                "action": {"type": "fixed_off", "value": {"USD": 1000}},
                "coupons": {"codes": ["ONCE"], "uses_per_code": 1},
            }
        ]
    )
    first = checkout_ready_cart(lines=[(shop_setup["mug"], 1)])
    second = checkout_ready_cart(lines=[(shop_setup["mug"], 1)], email="other@example.com")
    apply_cart_coupon(cart=first, code="ONCE")
    apply_cart_coupon(cart=second, code="ONCE")
    place(first)
    body = client_for().get(f"/api/v1/carts/{second.public_id}").json()
    assert body["discount_total"]["amount"] == 0
    assert body["promotions_not_applied"] == [
        {"id": "save10", "name": "save10", "reason": "limit_reached"}
    ]
    with pytest.raises(CouponExhausted, match="ONCE has been used up; remove it"):
        place(second)
    assert Cart.objects.get(pk=second.pk).is_open
    assert Redemption.objects.count() == 1


def test_a_budget_caps_the_discount_and_is_spent_by_orders(
    shop_setup, django_capture_on_commit_callbacks
):
    import_promotions(
        [
            {
                "id": "half_mugs",
                "conditions": {"cart_contains": {"any_of_skus": ["SKU-MUG"]}},
                "action": {"type": "percent_off", "value": 50},
                "limits": {"budget_cents": 1000},
            }
        ]
    )
    cart = checkout_ready_cart(lines=[(shop_setup["mug"], 2)])
    with django_capture_on_commit_callbacks(execute=True):
        order = place(cart)
    assert order.discount_total_cents == 1000  # 50% of $30.00 is $15.00; the budget had $10.00
    assert Promotion.objects.get(pk="half_mugs").discount_given_cents == 1000
    later = checkout_ready_cart(lines=[(shop_setup["mug"], 2)], email="later@example.com")
    assert cart_json(client_for(), later.public_id)["discount_total"]["amount"] == 0


def test_per_customer_limit_counts_guests_by_email(shop_setup):
    import_promotions(
        [
            {
                "id": "once_each",
                "conditions": {"coupon_required": True},
                "action": {"type": "fixed_off", "value": {"USD": 300}},
                "limits": {"per_customer": 1},
                "coupons": {"codes": ["WELCOME"]},
            }
        ]
    )
    first = checkout_ready_cart(lines=[(shop_setup["mug"], 1)], email="guest@example.com")
    apply_cart_coupon(cart=first, code="WELCOME")
    place(first)
    again = checkout_ready_cart(lines=[(shop_setup["mug"], 1)], email="GUEST@example.com")
    with pytest.raises(CouponExhausted, match="already used"):
        apply_cart_coupon(cart=again, code="WELCOME")


def test_first_order_only_and_segments_follow_the_customers_orders(shop_setup):
    import_promotions(
        [
            {
                "id": "welcome",
                "conditions": {"first_order_only": True},
                "action": {"type": "percent_off", "value": 10},
            }
        ]
    )
    first = checkout_ready_cart(lines=[(shop_setup["mug"], 2)], email="new@example.com")
    assert place(first).discount_total_cents == 300
    second = checkout_ready_cart(lines=[(shop_setup["mug"], 2)], email="new@example.com")
    assert place(second).discount_total_cents == 0


def test_a_combined_cap_per_order(shop_setup, settings):
    settings.PROMOTIONS_MAX_COMBINED_DISCOUNT_PERCENT = 20
    import_promotions([{"id": "half", "action": {"type": "percent_off", "value": 50}}])
    cart = checkout_ready_cart(lines=[(shop_setup["mug"], 2)])
    assert place(cart).discount_total_cents == 600


def test_pricing_reads_nothing_for_promotions_that_cannot_apply_here(shop_setup):
    import_promotions(
        [
            {
                "id": "canada_only",
                "conditions": {
                    "markets": ["CA"],
                    "first_order_only": True,
                    "cart_contains": {"any_of_categories": ["hoodies"]},
                },
                "action": {"type": "percent_off", "value": 10},
            }
        ]
    )
    cart = checkout_ready_cart(lines=[(shop_setup["hoodie"], 1)])
    with_promotion, without, _pricing = _queries_with_and_without_promotions(cart)
    assert with_promotion == without


def _queries_with_and_without_promotions(cart):
    """(queries pricing `cart` with the imported promotions live, queries once they are all
    gone, the pricing with them); each measured warm (the live set parsed already)."""
    price_cart(cart=cart, with_tax=False)
    with CaptureQueriesContext(connection) as with_promotions:
        pricing = price_cart(cart=cart, with_tax=False)
    Promotion.objects.all().delete()
    forget()
    price_cart(cart=cart, with_tax=False)
    with CaptureQueriesContext(connection) as without:
        price_cart(cart=cart, with_tax=False)
    return len(with_promotions.captured_queries), len(without.captured_queries), pricing


def test_what_promotions_look_at_comes_with_the_lines(shop_setup):
    """Rules on categories, products and sale items read nothing beyond the cart's lines:
    load_cart_lines brings the handle, the categories and the compare-at price in its row."""
    import_promotions(
        [
            hoodies_promo(
                conditions={"markets": ["US"], "cart_contains": {"any_of_categories": ["hoodies"]}}
            ),
            {
                "id": "mug_5",
                "conditions": {"cart_contains": {"any_of_products": ["no-such-product"]}},
                "action": {"type": "percent_off", "value": 5},
                "exclusions": {"sale_items": True},
            },
        ]
    )
    cart = checkout_ready_cart(lines=[(shop_setup["hoodie"], 3), (shop_setup["mug"], 1)])
    with_promotions, without, pricing = _queries_with_and_without_promotions(cart)
    assert pricing.quote.discount_total_cents == 900  # 15% of 3 × $20.00 hoodies
    assert with_promotions == without


def test_promotions_read_their_facts_when_the_lines_did_not_bring_them(shop_setup):
    """A caller that prices QuoteLines of its own (no facts loaded) gets the same answer:
    the hook reads the handles, categories and compare-at prices itself."""
    from orders.promotions import CartPromotions
    from orders.quote import QuoteInput, QuoteLine

    import_promotions(
        [hoodies_promo(conditions={"cart_contains": {"any_of_categories": ["hoodies"]}})]
    )
    cart = checkout_ready_cart(lines=[(shop_setup["hoodie"], 3)])
    hoodie = shop_setup["hoodie"]
    line = QuoteLine("l1", hoodie.sku, 3, 2000, product_id=hoodie.product_id)
    quote_input = QuoteInput(
        currency="USD", market="US", channel=cart.channel.code, lines=(line,), destination=None
    )
    (adjustment,) = CartPromotions(cart)(quote_input)
    assert (adjustment.promotion_id, adjustment.amount_cents) == ("hoodies_15", 900)


def test_a_request_reads_the_buyers_codes_history_and_uses_once_per_cart(shop_setup):
    """A checkout step prices its cart up to three times; what the promotions ask about the
    buyer (codes on the cart, first order, uses against limits) is read by the first."""
    _welcome_once()
    cart = checkout_ready_cart(lines=[(shop_setup["mug"], 2)], email="guest@example.com")
    apply_cart_coupon(cart=cart, code="WELCOME")
    cart = Cart.objects.get(pk=cart.pk)  # as the next request reads it
    with CaptureQueriesContext(connection) as first:
        assert price_cart(cart=cart).quote.discount_total_cents == 300
    with CaptureQueriesContext(connection) as again:
        assert price_cart(cart=cart).quote.discount_total_cents == 300
    buyer_tables = ("promotions_cartcoupon", "orders_order", "promotions_redemption")

    def buyer_reads(ran):
        return [q for q in ran.captured_queries if any(t in q["sql"] for t in buyer_tables)]

    assert len(buyer_reads(first)) == 3
    assert buyer_reads(again) == []

    place(cart)  # a new request, a new instance: the use and the order are seen
    later = checkout_ready_cart(lines=[(shop_setup["mug"], 2)], email="guest@example.com")
    assert price_cart(cart=later).quote.discount_total_cents == 0


def test_the_cart_a_coupon_service_returns_prices_with_its_new_codes(shop_setup):
    """apply/remove price the cart they lock before changing its codes: what that pricing
    read about the codes is dropped, so the returned cart prices with the change."""
    from orders.services.coupons import remove_cart_coupon

    import_promotions(
        [
            {
                "id": "welcome",
                "conditions": {"coupon_required": True},
                "action": {"type": "fixed_off", "value": {"USD": 300}},
                "coupons": {"codes": ["WELCOME"]},
            }
        ]
    )
    cart = checkout_ready_cart(lines=[(shop_setup["mug"], 2)], email="guest@example.com")
    with_code = apply_cart_coupon(cart=cart, code="WELCOME")
    assert price_cart(cart=with_code).quote.discount_total_cents == 300
    without = remove_cart_coupon(cart=with_code, code="WELCOME")
    assert price_cart(cart=without).quote.discount_total_cents == 0


BUYER_TABLES = ("promotions_cartcoupon", "orders_order", "promotions_redemption")


def _buyer_reads(ran):
    return [q for q in ran.captured_queries if any(t in q["sql"] for t in BUYER_TABLES)]


def _welcome_once():
    import_promotions(
        [
            {
                "id": "welcome",
                "conditions": {"coupon_required": True, "first_order_only": True},
                "action": {"type": "fixed_off", "value": {"USD": 300}},
                "limits": {"per_customer": 1},
                "coupons": {"codes": ["WELCOME"]},
            }
        ]
    )


def test_a_cart_read_as_requests_read_it_brings_its_codes_and_its_buyers_history(shop_setup):
    """get_cart and lock_cart read the codes on the cart, whether its buyer has placed an
    order and their counted uses in the cart's own statement: pricing asks nothing more."""
    from orders.selectors import get_cart

    _welcome_once()
    cart = checkout_ready_cart(lines=[(shop_setup["mug"], 2)], email="guest@example.com")
    apply_cart_coupon(cart=cart, code="WELCOME")
    read = get_cart(public_id=cart.public_id, user=None)

    with CaptureQueriesContext(connection) as pricing:
        assert price_cart(cart=read).quote.discount_total_cents == 300

    assert _buyer_reads(pricing) == []
    assert [(row["code"], row["pid"]) for row in read.coupon_rows] == [("WELCOME", "welcome")]
    place(read)
    # The buyer's next cart, read the same way, sees the order and the use.
    later = checkout_ready_cart(lines=[(shop_setup["mug"], 2)], email="GUEST@example.com")
    later = get_cart(public_id=later.public_id, user=None)
    assert later.placed_before is True
    assert [(row["pid"], row["n"]) for row in later.counted_uses] == [("welcome", 1)]
    assert price_cart(cart=later).quote.discount_total_cents == 0


def test_a_customers_facts_are_read_by_customer(shop_setup):
    from orders.selectors import get_cart
    from tests.factories.shop import UserFactory

    _welcome_once()
    customer = UserFactory()
    first = checkout_ready_cart(lines=[(shop_setup["mug"], 1)], customer=customer)
    apply_cart_coupon(cart=first, code="WELCOME")
    place(first, customer=customer)
    second = checkout_ready_cart(lines=[(shop_setup["mug"], 1)], customer=customer)
    second = get_cart(public_id=second.public_id, user=customer)

    assert second.placed_before is True
    assert [(row["pid"], row["n"]) for row in second.counted_uses] == [("welcome", 1)]


def test_facts_read_for_one_email_are_not_used_for_another(shop_setup):
    """A step that changes the cart's e-mail after reading it (set_checkout_contact) prices
    for the new buyer: the facts read with the cart were the old one's."""
    from orders.selectors import get_cart

    import_promotions(
        [
            {
                "id": "welcome",
                "conditions": {"first_order_only": True},
                "action": {"type": "percent_off", "value": 10},
            }
        ]
    )
    earlier = checkout_ready_cart(lines=[(shop_setup["mug"], 2)], email="known@example.com")
    place(earlier)
    cart = checkout_ready_cart(lines=[(shop_setup["mug"], 2)], email="new@example.com")
    read = get_cart(public_id=cart.public_id, user=None)
    assert read.placed_before is False

    read.email = "known@example.com"
    with CaptureQueriesContext(connection) as pricing:
        assert price_cart(cart=read).quote.discount_total_cents == 0

    assert len(_buyer_reads(pricing)) == 1  # the new buyer's orders; no code is asked for


def test_a_used_up_code_read_with_the_cart_is_used_up(shop_setup):
    from orders.selectors import get_cart

    _welcome_once()
    cart = checkout_ready_cart(lines=[(shop_setup["mug"], 2)], email="guest@example.com")
    apply_cart_coupon(cart=cart, code="WELCOME")
    Coupon.objects.filter(code="WELCOME").update(uses_allowed=1, uses_count=1)
    read = get_cart(public_id=cart.public_id, user=None)

    pricing = price_cart(cart=read)

    assert pricing.quote.discount_total_cents == 0
    assert read.promotion_codes == [("WELCOME", "welcome", True)]
