"""Cart and checkout API: wiring of the cart services, the cart shape, and every refusal."""

import pytest

from catalog.models import ProductStatus, Variant, VariantPrice, VariantStatus
from inventory.models import Reservation, ReservationPolicy, StockLevel
from orders import providers
from orders.models import Cart, CartLine, CheckoutStepEvent
from orders.providers.tax.base import TaxUnavailable
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.orders import ADDRESSES
from tests.factories.shop import UserFactory
from tests.orders.api_support import add_line, checkout, client_for, new_cart, usd

pytestmark = pytest.mark.django_db


@pytest.fixture
def anon():
    return client_for()


@pytest.fixture
def cart(anon, us):
    return new_cart(anon)


def _line(cart_json):
    (line,) = cart_json["lines"]
    return line


def test_create_cart_answers_the_empty_cart_shape(anon, us):
    response = anon.post("/api/v1/carts", {"market": "US", "channel": "web"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("cart_")
    assert response["Location"] == f"/api/v1/carts/{body['id']}"
    zero = usd(0)
    assert body == {
        "id": body["id"],
        "status": "open",
        "order": None,
        "market": "US",
        "channel": "web",
        "currency": "USD",
        "email": "",
        "lines": [],
        "unavailable_lines": [],
        "promotions": [],
        "promotions_not_applied": [],
        "price_changes": [],
        "subtotal": zero,
        "discount_total": zero,
        "shipping_total": zero,
        "tax_total": zero,
        "total": zero,
        "prices_include_tax": False,
        "shipping_address": None,
        "shipping_method": None,
        "shipping_rates": [],
    }
    assert Cart.objects.get(public_id=body["id"]).customer is None


def test_a_signed_in_customers_cart_is_theirs_alone(us, customer):
    mine = client_for(customer)
    cart_id = new_cart(mine)["id"]

    assert Cart.objects.get(public_id=cart_id).customer == customer
    assert mine.get(f"/api/v1/carts/{cart_id}").json()["email"] == "customer@example.com"
    for other in (client_for(), client_for(UserFactory())):
        response = other.get(f"/api/v1/carts/{cart_id}")
        assert (response.status_code, response.json()["code"]) == (404, "cart_not_found")
        assert add_line(other, cart_id, "TEE-RED-M").status_code == 404


def test_a_guest_cart_id_is_a_capability(cart, stocked):
    stranger = client_for(UserFactory())

    assert add_line(stranger, cart["id"], "TEE-RED-M").status_code == 201
    assert client_for().get(f"/api/v1/carts/{cart['id']}").json()["lines"][0]["quantity"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"market": "XX", "channel": "web"}, "market"),
        ({"market": "US", "channel": "fax"}, "channel"),
        ({"market": "US", "channel": "web\x00"}, "channel"),
        ({"channel": "web"}, "market"),
        ({"market": 5, "channel": "web"}, "market"),
    ],
)
def test_create_cart_refuses_unknown_markets_and_channels(anon, us, body, field):
    response = anon.post("/api/v1/carts", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Cart.objects.count() == 0


def test_create_cart_refuses_a_closed_channel(anon, us):
    from shop.models import Channel

    Channel.objects.update_or_create(code="pos", defaults={"name": "POS", "is_active": False})

    response = anon.post("/api/v1/carts", {"market": "US", "channel": "pos"}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"channel": ["Channel 'pos' is not open."]}
    assert Cart.objects.count() == 0


def test_add_line_answers_the_priced_cart(anon, cart, stocked):
    response = add_line(anon, cart["id"], "TEE-RED-M", 2)

    assert response.status_code == 201
    body = response.json()
    line = _line(body)
    assert line == {
        "id": line["id"],
        "sku": "TEE-RED-M",
        "title": stocked.product.title,
        "variant_title": line["variant_title"],
        "gift": False,
        "gift_promotion": None,
        "quantity": 2,
        "unit_price": usd(2500),
        "subtotal": usd(5000),
        "discounts": [],
        "discount": usd(0),
        "tax": usd(0),
        "total": usd(5000),
    }
    assert line["id"].startswith("cli_")
    assert (body["subtotal"], body["total"]) == (usd(5000), usd(5000))
    assert CartLine.objects.get().unit_price_cents == 2500


@pytest.mark.parametrize("quantity", [0, -1, 10**9, 1000, "x", "2", 2.5, True, None])
def test_bad_quantities_are_400_and_add_nothing(anon, cart, stocked, quantity):
    response = add_line(anon, cart["id"], "TEE-RED-M", quantity)

    assert response.status_code == 400
    assert "quantity" in response.json()["fields"]
    assert CartLine.objects.count() == 0


def test_a_line_cannot_grow_past_999(anon, cart, stocked):
    StockLevel.objects.filter(variant=stocked).update(on_hand=5000)
    assert add_line(anon, cart["id"], "TEE-RED-M", 999).status_code == 201

    response = add_line(anon, cart["id"], "TEE-RED-M", 1)

    assert (response.status_code, response.json()["code"]) == (400, "invalid_quantity")
    assert CartLine.objects.get().quantity == 999


def test_unknown_inactive_archived_or_unpriced_skus_are_400(anon, cart, stocked):
    inactive = VariantFactory(sku="OFF-1", status=VariantStatus.INACTIVE)
    archived = VariantFactory(sku="OLD-1", status=VariantStatus.ARCHIVED)
    retired = VariantFactory(sku="OLD-2", product__status=ProductStatus.ARCHIVED)
    unpriced = VariantFactory(sku="EUR-ONLY", prices={"EUR": 1000})
    for variant in (inactive, archived, retired, unpriced):
        stock(variant, LocationFactory(), 5)

    for sku in ("NOPE", "OFF-1", "OLD-1", "OLD-2", "EUR-ONLY"):
        response = add_line(anon, cart["id"], sku)
        assert (response.status_code, response.json()["code"]) == (400, "variant_unavailable")
        assert response.json()["fields"] == {"sku": [sku]}

    assert CartLine.objects.count() == 0


def test_more_than_available_is_409_with_available(anon, cart, stocked):
    response = add_line(anon, cart["id"], "TEE-RED-M", 11)

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["available"]) == ("insufficient_stock", 10)
    assert body["lines"] == [{"sku": "TEE-RED-M", "requested": 11, "available": 10}]
    assert CartLine.objects.count() == 0


def test_add_to_cart_holds_take_stock_softly(anon, cart, stocked):
    ReservationPolicy.objects.create(variant=stocked, mode="at_add_to_cart", ttl_seconds=300)

    add_line(anon, cart["id"], "TEE-RED-M", 3)
    response = add_line(anon, cart["id"], "TEE-RED-M", 8)

    # The line would hold 11; its own 3 count as available to it.
    assert (response.status_code, response.json()["available"]) == (409, 10)
    assert response.json()["lines"] == [{"sku": "TEE-RED-M", "requested": 11, "available": 10}]
    assert StockLevel.objects.get(variant=stocked).reserved == 3
    assert list(Reservation.objects.values_list("owner", "status", "quantity")) == [
        (cart["id"], "active", 3)
    ]


def test_change_and_remove_a_line(anon, cart, stocked):
    line_id = _line(add_line(anon, cart["id"], "TEE-RED-M").json())["id"]
    url = f"/api/v1/carts/{cart['id']}/lines/{line_id}"

    changed = anon.patch(url, {"quantity": 4}, format="json")
    assert (changed.status_code, _line(changed.json())["quantity"]) == (200, 4)
    too_many = anon.patch(url, {"quantity": 11}, format="json")
    assert (too_many.status_code, too_many.json()["available"]) == (409, 10)
    assert anon.patch(url, {"quantity": 0}, format="json").status_code == 400
    removed = anon.delete(url)

    assert (removed.status_code, removed.json()["lines"]) == (200, [])
    assert CartLine.objects.count() == 0
    assert anon.delete(url).json()["code"] == "cart_line_not_found"
    assert anon.patch(url, {"quantity": 1}, format="json").status_code == 404


def test_another_carts_line_id_is_not_found(anon, cart, stocked, us):
    other = new_cart(anon)
    line_id = _line(add_line(anon, other["id"], "TEE-RED-M").json())["id"]

    response = anon.delete(f"/api/v1/carts/{cart['id']}/lines/{line_id}")

    assert response.status_code == 404
    assert CartLine.objects.count() == 1


def test_coupons_are_refused_until_promotions_land(anon, cart):
    response = anon.post(f"/api/v1/carts/{cart['id']}/coupons", {"code": "SPRING15"}, "json")

    assert (response.status_code, response.json()["code"]) == (422, "coupon_invalid")
    removed = anon.delete(f"/api/v1/carts/{cart['id']}/coupons/SPRING15")
    assert (removed.status_code, removed.json()["promotions"]) == (200, [])
    assert anon.post(f"/api/v1/carts/{cart['id']}/coupons", {}, "json").status_code == 400


def test_checkout_sets_details_and_answers_rates_and_tax(anon, cart, stocked):
    add_line(anon, cart["id"], "TEE-RED-M")

    response = checkout(anon, cart["id"], method=None)

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "buyer@example.com"
    assert body["shipping_address"] == {
        "name": "Ada Lovelace",
        "line1": "350 Fifth Avenue",
        "line2": "",
        "city": "New York",
        "region": "NY",
        "postal_code": "10118",
        "country": "US",
        "phone": "",
    }
    assert body["shipping_method"] is None
    assert [(r["code"], r["price"]) for r in body["shipping_rates"]] == [
        ("standard", usd(599)),
        ("express", usd(1499)),
    ]
    assert (body["tax_total"], body["total"]) == (usd(100), usd(2600))  # NY 4% on goods

    chosen = checkout(anon, cart["id"], method="standard").json()

    assert chosen["shipping_method"] == "standard"
    # NY taxes shipping too: 4% of 25.00 + 5.99
    assert (chosen["shipping_total"], chosen["tax_total"], chosen["total"]) == (
        usd(599),
        usd(124),
        usd(3223),
    )
    assert list(CheckoutStepEvent.objects.values_list("step", "kind").order_by("at", "pk")) == [
        ("shipping", "enter"),
        ("shipping", "leave"),
        ("review", "enter"),
    ]


def test_totals_reconcile_for_a_vat_inclusive_market(anon, variant):
    market("EU")
    stock(variant, LocationFactory(code="eu-1", country="DE", markets=["EU"]), 5)
    cart = new_cart(anon, "EU")
    add_line(anon, cart["id"], "TEE-RED-M", 1)

    body = checkout(anon, cart["id"], market="EU").json()

    amounts = {k: body[k]["amount"] for k in ("subtotal", "discount_total", "shipping_total")}
    assert body["prices_include_tax"] is True
    assert body["currency"] == "EUR"
    # 23.99 + 4.99 shipping, both with 19% VAT included
    assert (body["total"], body["tax_total"]) == (
        {"amount": 2898, "currency": "EUR"},
        {"amount": 463, "currency": "EUR"},
    )
    assert body["total"]["amount"] == (
        amounts["subtotal"]
        - amounts["discount_total"]
        + amounts["shipping_total"]
        + body["tax_total"]["amount"]
    )
    line = _line(body)
    assert line["total"]["amount"] == (
        line["subtotal"]["amount"] - line["discount"]["amount"] + line["tax"]["amount"]
    )


@pytest.mark.parametrize(
    ("address", "fields"),
    [
        (None, {"name", "line1", "city", "postal_code", "country"}),
        ({"postal_code": "1234"}, {"postal_code"}),
        ({"postal_code": "K1A 0B1"}, {"postal_code"}),
        ({"region": "ZZ"}, {"region"}),
        ({"country": "FR"}, {"country"}),
        ({"name": ""}, {"name"}),
        ({"city": "x" * 101}, {"city"}),
    ],
)
def test_bad_addresses_are_400_naming_each_field_and_change_nothing(
    anon, cart, stocked, address, fields
):
    add_line(anon, cart["id"], "TEE-RED-M")
    base = {} if address is None else {**ADDRESSES["US"], **address}

    response = anon.put(
        f"/api/v1/carts/{cart['id']}/checkout",
        {"email": "buyer@example.com", "shipping_address": base},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert {f.removeprefix("shipping_address.") for f in body["fields"]} == fields
    stored = Cart.objects.get(public_id=cart["id"])
    assert (stored.email, stored.shipping_address, stored.shipping_method) == ("", {}, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"shipping_address": {}}, "email"),
        ({"email": "buyer@example.com"}, "shipping_address"),
        ({"email": "not an e-mail", "shipping_address": "US"}, "shipping_address"),
    ],
)
def test_missing_or_malformed_checkout_fields_are_400(anon, cart, body, field):
    response = anon.put(f"/api/v1/carts/{cart['id']}/checkout", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_bad_email_is_named(anon, cart, stocked):
    response = anon.put(
        f"/api/v1/carts/{cart['id']}/checkout",
        {"email": "not an e-mail", "shipping_address": ADDRESSES["US"]},
        format="json",
    )

    assert (response.status_code, list(response.json()["fields"])) == (400, ["email"])


def test_a_method_that_does_not_ship_to_the_country_is_refused(anon, cart, stocked):
    add_line(anon, cart["id"], "TEE-RED-M")

    response = checkout(anon, cart["id"], method="teleport")

    assert (response.status_code, response.json()["code"]) == (400, "invalid_shipping_method")
    assert Cart.objects.get(public_id=cart["id"]).shipping_address == {}


def test_a_failing_tax_provider_is_503_tax_unavailable(anon, cart, stocked):
    add_line(anon, cart["id"], "TEE-RED-M")

    class Down:
        name = "down"

        def quote(self, request):
            raise TaxUnavailable("The tax service is down.")

    with providers.override(tax=Down()):
        response = checkout(anon, cart["id"])

    assert (response.status_code, response.json()["code"]) == (503, "tax_unavailable")


def test_a_changed_price_is_listed_until_accepted(anon, cart, stocked):
    add_line(anon, cart["id"], "TEE-RED-M", 2)
    VariantPrice.objects.filter(variant=stocked, currency="USD").update(amount_cents=2700)

    body = anon.get(f"/api/v1/carts/{cart['id']}").json()

    line = _line(body)
    assert body["price_changes"] == [
        {
            "line_id": line["id"],
            "sku": "TEE-RED-M",
            "old_price": usd(2500),
            "new_price": usd(2700),
            "message": "TEE-RED-M: price changed from $25.00 to $27.00",
        }
    ]
    assert (line["unit_price"], body["subtotal"]) == (usd(2700), usd(5400))
    assert CartLine.objects.get().unit_price_cents == 2500

    accepted = anon.post(f"/api/v1/carts/{cart['id']}/reprice")

    assert (accepted.status_code, accepted.json()["price_changes"]) == (200, [])
    assert CartLine.objects.get().unit_price_cents == 2700


def test_an_archived_variant_shows_as_unavailable_and_counts_in_no_total(anon, cart, stocked):
    add_line(anon, cart["id"], "TEE-RED-M", 2)
    Variant.objects.filter(pk=stocked.pk).update(status=VariantStatus.ARCHIVED)

    body = anon.get(f"/api/v1/carts/{cart['id']}").json()

    assert body["lines"] == []
    assert [(u["sku"], u["quantity"]) for u in body["unavailable_lines"]] == [("TEE-RED-M", 2)]
    assert body["total"] == usd(0)


def test_unknown_cart_ids_are_404_everywhere(anon, us):
    for method, path in [
        ("get", ""),
        ("post", "/lines"),
        ("patch", "/lines/cli_x"),
        ("delete", "/lines/cli_x"),
        ("post", "/coupons"),
        ("delete", "/coupons/X"),
        ("put", "/checkout"),
        ("post", "/reprice"),
    ]:
        body = {"sku": "X", "quantity": 1, "code": "X"}
        if path == "/checkout":
            body = {"email": "a@example.com", "shipping_address": ADDRESSES["US"]}
        response = getattr(anon, method)(f"/api/v1/carts/cart_nope{path}", body, format="json")
        assert response.status_code == 404, (method, path, response.json())
