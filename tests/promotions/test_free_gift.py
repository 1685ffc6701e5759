"""free_gift: the gift line the cart adds at zero price while stock lasts, reserved and
snapshotted at placement, recorded on the Redemption; out of stock -> placed without it."""

import pytest

from inventory.models import Reservation, StockLevel
from orders import services
from orders.exceptions import GiftLineNotEditable
from promotions.models import Redemption
from promotions.services import import_promotions
from tests.factories.catalog import ProductFactory, VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.orders import checkout_ready_cart, place
from tests.orders.api_support import add_line, client_for, new_cart
from tests.promotions.test_checkout import cart_json, shop_setup  # noqa: F401 - fixture
from tests.storefront.checkout_support import add, stocked_tee

pytestmark = pytest.mark.django_db

GIFT = {
    "id": "tote_over_50",
    "name": "Free tote over $50",
    "conditions": {"min_subtotal_cents": 5000},
    "action": {"type": "free_gift", "gift_sku": "SKU-TOTE"},
}


@pytest.fixture
def tote(shop_setup):  # noqa: F811 - the fixture imported above
    variant = VariantFactory(
        product=ProductFactory(title="Canvas Tote"), sku="SKU-TOTE", prices={"USD": 1200}
    )
    level = stock(variant, LocationFactory(code="us-gifts", country="US"), 1)
    import_promotions([GIFT])
    return level


def test_the_gift_line_appears_at_zero_price_and_goes_when_the_cart_no_longer_earns_it(tote):
    client = client_for()
    cart_id = new_cart(client)["id"]
    line = add_line(client, cart_id, "SKU-HOODIE-M", 2)  # $40.00: not yet
    body = cart_json(client, cart_id)
    assert [ln["sku"] for ln in body["lines"]] == ["SKU-HOODIE-M"]
    assert body["promotions_not_applied"][0]["hint"] == "Add $10.00 more to get a free gift"

    add_line(client, cart_id, "SKU-HOODIE-M", 1)  # $60.00
    body = cart_json(client, cart_id)

    gift = body["lines"][1]
    assert (gift["id"], gift["sku"], gift["title"], gift["quantity"]) == (
        "gift_tote_over_50",
        "SKU-TOTE",
        "Canvas Tote",
        1,
    )
    assert (gift["gift"], gift["gift_promotion"]) == (True, "tote_over_50")
    assert gift["unit_price"]["amount"] == gift["total"]["amount"] == 0
    assert body["lines"][0]["gift"] is False
    assert body["subtotal"]["amount"] == 6000 and body["discount_total"]["amount"] == 0
    assert [p["id"] for p in body["promotions"]] == ["tote_over_50"]

    line_id = body["lines"][0]["id"]
    client.patch(f"/api/v1/carts/{cart_id}/lines/{line_id}", {"quantity": 1}, format="json")
    body = cart_json(client, cart_id)
    assert [ln["sku"] for ln in body["lines"]] == ["SKU-HOODIE-M"]
    assert line  # the first add answered


def test_the_buyer_cannot_change_or_remove_the_gift_line(tote):
    client = client_for()
    cart_id = new_cart(client)["id"]
    add_line(client, cart_id, "SKU-HOODIE-M", 3)

    patched = client.patch(
        f"/api/v1/carts/{cart_id}/lines/gift_tote_over_50", {"quantity": 5}, format="json"
    )
    deleted = client.delete(f"/api/v1/carts/{cart_id}/lines/gift_tote_over_50")

    assert patched.status_code == deleted.status_code == 409
    assert patched.json()["code"] == "gift_line_not_editable"
    body = cart_json(client, cart_id)
    assert [(ln["sku"], ln["quantity"]) for ln in body["lines"]] == [
        ("SKU-HOODIE-M", 3),
        ("SKU-TOTE", 1),
    ]


def test_change_cart_line_quantity_refuses_a_gift_line(tote, shop_setup):  # noqa: F811
    cart = checkout_ready_cart(lines=[(shop_setup["hoodie"], 3)])
    with pytest.raises(GiftLineNotEditable):
        services.change_cart_line_quantity(cart=cart, line_id="gift_tote_over_50", quantity=2)


def test_placement_reserves_snapshots_and_records_the_gift(tote, shop_setup):  # noqa: F811
    cart = checkout_ready_cart(lines=[(shop_setup["hoodie"], 3)])

    order = place(cart)

    gift = order.lines.get(sku="SKU-TOTE")
    assert (gift.quantity, gift.unit_price_cents, gift.total_cents, gift.gift_promotion) == (
        1,
        0,
        0,
        "tote_over_50",
    )
    assert order.lines.get(sku="SKU-HOODIE-M").gift_promotion == ""
    assert order.total_cents == 6000 + order.shipping_total_cents + order.tax_total_cents
    assert order.promotion_notes == []
    tote.refresh_from_db()
    assert tote.reserved == 1
    held = Reservation.objects.get(owner=order.public_id, variant__sku="SKU-TOTE")
    assert (held.quantity, held.status) == (1, "committed")  # hard at authorization
    redemption = Redemption.objects.get(order_ref=order.public_id)
    assert (redemption.promotion_id, redemption.gift_sku, redemption.amount_cents) == (
        "tote_over_50",
        "SKU-TOTE",
        0,
    )
    body = client_for().get(f"/api/v1/carts/{cart.public_id}").json()
    assert body["status"] == "converted"

    services.cancel_order(order=order, actor=None, reason="test")
    tote.refresh_from_db()
    assert tote.reserved == 0


def test_gift_out_of_stock_in_the_cart_is_said_and_the_order_says_why(tote, shop_setup):  # noqa: F811
    other = checkout_ready_cart(lines=[(shop_setup["hoodie"], 3)], email="first@example.com")
    place(other)  # takes the only tote
    cart = checkout_ready_cart(lines=[(shop_setup["hoodie"], 3)])
    body = cart_json(client_for(), cart.public_id)
    assert [ln["sku"] for ln in body["lines"]] == ["SKU-HOODIE-M"]
    assert body["promotions_not_applied"] == [
        {
            "id": "tote_over_50",
            "name": "Free tote over $50",
            "reason": "gift_out_of_stock",
            "hint": "Free tote over $50: gift out of stock",
        }
    ]

    order = place(cart)

    assert [ln.sku for ln in order.lines.all()] == ["SKU-HOODIE-M"]
    assert order.promotion_notes == [
        {"promotion": "tote_over_50", "name": "Free tote over $50", "reason": "gift out of stock"}
    ]
    assert not Redemption.objects.filter(order_ref=order.public_id).exists()


def test_gift_taken_between_pricing_and_reservation_places_the_order_without_it(
    tote,
    shop_setup,  # noqa: F811
    monkeypatch,
):
    cart = checkout_ready_cart(lines=[(shop_setup["hoodie"], 3)])
    StockLevel.objects.filter(pk=tote.pk).update(on_hand=0)  # gone, but the cart read said 1
    monkeypatch.setattr(
        "orders.promotions.stock_selectors.available_quantities",
        lambda **kw: dict.fromkeys(kw["variant_ids"], 1),
    )

    order = place(cart)

    assert order.status == "placed"
    assert [ln.sku for ln in order.lines.all()] == ["SKU-HOODIE-M"]
    assert order.promotion_notes[0]["reason"] == "gift out of stock"
    assert StockLevel.objects.get(variant=shop_setup["hoodie"]).reserved == 3
    assert not Reservation.objects.filter(owner=order.public_id, variant__sku="SKU-TOTE").exists()
    assert not Redemption.objects.filter(order_ref=order.public_id).exists()


def test_cart_page_shows_the_gift_without_a_quantity_form(client):
    stocked_tee()
    VariantFactory(product=ProductFactory(title="Canvas Tote"), sku="SKU-TOTE", prices={"USD": 1})
    stock(
        VariantFactory._meta.model.objects.get(sku="SKU-TOTE"),
        LocationFactory(code="us-gifts", country="US", markets=["US"]),
        5,
    )
    import_promotions([GIFT])
    add(client, quantity="2")  # 2 × $25.00 = $50.00

    page = client.get("/cart/").content.decode()

    assert 'id="line-gift_tote_over_50"' in page and "data-gift-line" in page
    assert "Free gift × 1" in page
    assert 'action="/cart/lines/gift_tote_over_50' not in page
    assert 'id="qty-gift_tote_over_50"' not in page


def test_the_cart_page_refuses_to_change_the_gift_with_a_message(client):
    stocked_tee()
    tote = VariantFactory(product=ProductFactory(title="Canvas Tote"), sku="SKU-TOTE")
    stock(tote, LocationFactory(code="us-gifts", country="US", markets=["US"]), 5)
    import_promotions([GIFT])
    add(client, quantity="2")

    removed = client.post("/cart/lines/gift_tote_over_50/remove/", follow=True)
    changed = client.post("/cart/lines/gift_tote_over_50/", {"quantity": "3"}, follow=True)

    for response in (removed, changed):
        assert response.status_code == 200
        assert "A free gift comes and goes with its promotion" in response.content.decode()
    assert "Free gift × 1" in client.get("/cart/").content.decode()
