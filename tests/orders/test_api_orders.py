"""POST /api/v1/orders and the order reads: wiring of place_order, Idempotency-Key, the order
shape, who sees what, and every refusal leaving nothing behind."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Product, ProductStatus, Variant, VariantPrice, VariantStatus
from inventory.models import Reservation, StockLevel
from orders import providers, services
from orders import tasks as order_tasks
from orders.models import Cart, CartLine, DummyCharge, Order
from orders.providers.tax.base import TaxUnavailable
from shop.services import set_kill_switch
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.shop import UserFactory
from tests.orders.api_support import (
    add_line,
    checkout,
    client_for,
    footprint,
    new_cart,
    new_key,
    place,
    ready_cart,
    usd,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def anon():
    return client_for()


@pytest.fixture
def buyer(customer):
    return client_for(customer)


def test_place_order_answers_201_with_the_order(buyer, customer, stocked, us):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 2)])

    response = place(buyer, cart_id)

    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get()
    assert response["Location"] == f"/api/v1/orders/{order.public_id}"
    line = order.lines.get()
    assert body == {
        "id": order.public_id,
        "reference": order.reference,
        "status": "placed",
        "payment_status": "authorized",
        "email": "buyer@example.com",
        "market": "US",
        "currency": "USD",
        "lines": [
            {
                "id": line.public_id,
                "sku": "TEE-RED-M",
                "title": stocked.product.title,
                "variant_title": line.variant_title,
                "gift": False,
                "gift_promotion": None,
                "quantity": 2,
                "unit_price": usd(2500),
                "subtotal": usd(5000),
                "discount": usd(0),
                "tax": usd(200),
                "total": usd(5200),
                "quantity_fulfilled": 0,
                "quantity_cancelled": 0,
                "quantity_returned": 0,
            }
        ],
        "subtotal": usd(5000),
        "discount_total": usd(0),
        "shipping_total": usd(0),  # free from $50
        "tax_total": usd(200),
        "total": usd(5200),
        "refunded_total": usd(0),
        "promotion_notes": [],
        "prices_include_tax": False,
        "shipping_address": {
            "name": "Ada Lovelace",
            "line1": "350 Fifth Avenue",
            "line2": "",
            "city": "New York",
            "region": "NY",
            "postal_code": "10118",
            "country": "US",
            "phone": "",
        },
        "shipping_method": {"code": "standard", "name": "Standard shipping"},
        "shipments": [],
        "events": [
            {
                "type": "order.created",
                "from": "",
                "to": "pending_payment",
                "payment_from": "",
                "payment_to": "unpaid",
                "actor": "customer",
                "at": body["events"][0]["at"],
            },
            {
                "type": "payment.authorized",
                "from": "pending_payment",
                "to": "placed",
                "payment_from": "unpaid",
                "payment_to": "authorized",
                "actor": "checkout",
                "at": body["events"][1]["at"],
            },
        ],
        "order_url": f"http://localhost:8000/orders/{order.public_id}/",
        "placed_at": body["placed_at"],
        "cancelled_at": None,
        "created_at": body["created_at"],
    }
    assert order.customer == customer and order.placed_at is not None
    assert Cart.objects.get(public_id=cart_id).status == "converted"
    assert StockLevel.objects.get(variant=stocked).reserved == 2
    assert DummyCharge.objects.count() == 1


def test_a_guest_order_links_to_its_signed_page_and_is_not_in_the_api(anon, stocked, us):
    cart_id = ready_cart(anon, [("TEE-RED-M", 1)])

    body = place(anon, cart_id).json()

    assert body["order_url"].startswith(f"http://localhost:8000/orders/{body['id']}/?token=")
    assert Order.objects.get().customer is None
    assert anon.get("/api/v1/orders").status_code == 401
    assert anon.get(f"/api/v1/orders/{body['id']}").status_code == 401


def test_a_replay_answers_the_same_order_with_the_replayed_header(buyer, stocked, us):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])
    first = place(buyer, cart_id, key="k-1")

    again = place(buyer, cart_id, key="k-1")

    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert (Order.objects.count(), DummyCharge.objects.count()) == (1, 1)


def test_the_same_key_with_another_body_is_422(buyer, stocked, us):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])
    place(buyer, cart_id, key="k-1")
    before = footprint()

    response = place(buyer, cart_id, "tok_declined", key="k-1")

    assert (response.status_code, response.json()["code"]) == (422, "idempotency_key_reused")
    assert footprint() == before


def test_keys_belong_to_their_sender(stocked, us):
    ann, bob = client_for(UserFactory()), client_for(UserFactory())

    first = place(ann, ready_cart(ann, [("TEE-RED-M", 1)]), key="1")
    second = place(bob, ready_cart(bob, [("TEE-RED-M", 1)]), key="1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "idempotency_key_required"),
        ({"HTTP_IDEMPOTENCY_KEY": ""}, "idempotency_key_invalid"),
        ({"HTTP_IDEMPOTENCY_KEY": "k" * 256}, "idempotency_key_invalid"),
        ({"HTTP_IDEMPOTENCY_KEY": " padded "}, "idempotency_key_invalid"),
    ],
)
def test_a_missing_or_malformed_key_is_400_and_places_nothing(buyer, stocked, us, headers, code):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])
    before = footprint()

    response = buyer.post(
        "/api/v1/orders",
        {"cart": cart_id, "payment": {"method": "card", "token": "tok_visa"}},
        format="json",
        **headers,
    )

    assert (response.status_code, response.json()["code"]) == (400, code)
    assert footprint() == before


def test_a_decline_is_402_with_the_order_and_releases_the_stock(buyer, stocked, us):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 3)])

    response = place(buyer, cart_id, "tok_declined", key="declined-1")

    assert response.status_code == 402
    order = Order.objects.get()
    body = response.json()
    assert body == {
        "code": "payment_declined",
        "detail": f"The card was declined; order {order.reference} awaits another payment.",
        "order_id": order.public_id,
        "status": "payment_failed",
        "decline_code": "card_declined",
        "order_url": f"http://localhost:8000/orders/{order.public_id}/",
    }
    assert (order.status, order.payment_status) == ("payment_failed", "failed")
    assert StockLevel.objects.get(variant=stocked).reserved == 0
    assert not Reservation.objects.filter(status__in=["active", "committed"]).exists()
    replay = place(buyer, cart_id, "tok_declined", key="declined-1")
    assert (replay.status_code, replay.json(), replay["Idempotent-Replayed"]) == (
        402,
        body,
        "true",
    )
    assert DummyCharge.objects.count() == 1


def test_a_timeout_is_201_pending_payment(buyer, stocked, us):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])

    response = place(buyer, cart_id, "tok_timeout_nocharge")

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["payment_status"]) == (
        "pending_payment",
        "unpaid",
    )
    assert StockLevel.objects.get(variant=stocked).reserved == 1  # held until settled


def test_out_of_stock_is_409_with_lines_and_reserves_nothing(buyer, stocked, us):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 4)])
    StockLevel.objects.filter(variant=stocked).update(on_hand=3)
    before = footprint()

    response = place(buyer, cart_id)

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["lines"]) == (
        "insufficient_stock",
        [{"sku": "TEE-RED-M", "requested": 4, "available": 3}],
    )
    assert footprint() == before


def test_a_changed_price_is_409_price_changed_until_accepted(buyer, stocked, us):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])
    VariantPrice.objects.filter(variant=stocked, currency="USD").update(amount_cents=2700)
    before = footprint()

    response = place(buyer, cart_id)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "price_changed"
    assert body["changes"] == [
        {
            "sku": "TEE-RED-M",
            "old_price": usd(2500),
            "new_price": usd(2700),
            "message": "TEE-RED-M: price changed from $25.00 to $27.00",
        }
    ]
    assert footprint() == before

    buyer.post(f"/api/v1/carts/{cart_id}/reprice")
    placed = place(buyer, cart_id)
    assert (placed.status_code, placed.json()["subtotal"]) == (201, usd(2700))


def test_checkout_switched_off_is_503_and_places_nothing(buyer, stocked, us):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])
    set_kill_switch(kind="checkout", is_off=True, reason="incident")
    before = footprint()

    response = place(buyer, cart_id)

    assert (response.status_code, response.json()["code"]) == (503, "checkout_disabled")
    assert footprint() == before


def test_a_failing_tax_provider_is_503_and_leaves_nothing(buyer, stocked, us):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])
    before = footprint()

    class Down:
        name = "down"

        def quote(self, request):
            raise TaxUnavailable("The tax service is down.")

    with providers.override(tax=Down()):
        response = place(buyer, cart_id)

    assert (response.status_code, response.json()["code"]) == (503, "tax_unavailable")
    assert footprint() == before


def test_an_empty_cart_is_400(buyer, us):
    cart_id = new_cart(buyer)["id"]
    checkout(buyer, cart_id)
    before = footprint()

    response = place(buyer, cart_id)

    assert (response.status_code, response.json()["code"]) == (400, "cart_empty")
    assert footprint() == before


@pytest.mark.parametrize(
    ("variant_status", "product_status"),
    [
        (VariantStatus.ARCHIVED, ProductStatus.ACTIVE),
        (VariantStatus.INACTIVE, ProductStatus.ACTIVE),
        (VariantStatus.ACTIVE, ProductStatus.ARCHIVED),
    ],
)
def test_an_archived_or_inactive_variant_in_the_cart_is_400(
    buyer, stocked, us, variant_status, product_status
):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])
    Variant.objects.filter(pk=stocked.pk).update(status=variant_status)
    Product.objects.filter(pk=stocked.product_id).update(status=product_status)
    before = footprint()

    response = place(buyer, cart_id)

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["fields"]) == (
        "variant_unavailable",
        {"sku": ["TEE-RED-M"]},
    )
    assert footprint() == before


def test_missing_checkout_details_are_400_naming_them(buyer, stocked, us):
    cart_id = new_cart(buyer)["id"]
    add_line(buyer, cart_id, "TEE-RED-M")
    before = footprint()

    response = place(buyer, cart_id)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "checkout_incomplete"
    assert set(body["fields"]) == {"shipping_address", "shipping_method"}
    assert footprint() == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"cart": "cart_x"},
        {"cart": "cart_x", "payment": {"method": "cash", "token": "tok_visa"}},
        {"cart": "cart_x", "payment": {"method": "card", "token": ""}},
        {"cart": "cart_x", "payment": {"method": "card", "token": "t" * 65}},
        {"cart": ["cart_x"], "payment": {"method": "card", "token": "tok_visa"}},
        {"cart": "cart_x", "payment": "tok_visa"},
    ],
)
def test_a_malformed_body_is_400(buyer, us, body):
    response = buyer.post("/api/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY=new_key())

    assert (response.status_code, response.json()["code"]) == (400, "validation_error")
    assert Order.objects.count() == 0


def test_malformed_or_oversized_json_is_refused(buyer, stocked, us, settings):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])
    before = footprint()

    broken = buyer.post(
        "/api/v1/orders",
        '{"cart": "' + cart_id + '", "payment": {',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=new_key(),
    )
    huge = buyer.post(
        "/api/v1/orders",
        '{"cart": "' + cart_id + '", "pad": "' + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=new_key(),
    )

    assert (broken.status_code, broken.json()["code"]) == (400, "malformed_request")
    assert (huge.status_code, huge.json()["code"]) == (413, "request_too_large")
    assert footprint() == before


def test_another_customers_cart_is_404(buyer, stocked, us):
    other = client_for(UserFactory())
    cart_id = ready_cart(other, [("TEE-RED-M", 1)])
    before = footprint()

    response = place(buyer, cart_id)

    assert (response.status_code, response.json()["code"]) == (404, "cart_not_found")
    assert footprint() == before


def test_a_second_key_for_an_ordered_cart_is_409_naming_the_order(buyer, stocked, us):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 1)])
    first = place(buyer, cart_id).json()

    response = place(buyer, cart_id)

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["order_id"]) == ("cart_not_open", first["id"])
    assert Order.objects.count() == 1
    changed = add_line(buyer, cart_id, "TEE-RED-M")
    assert (changed.status_code, changed.json()["order_id"]) == (409, first["id"])


def test_customers_see_their_own_orders_only(stocked, us):
    ann_user, bob_user = UserFactory(), UserFactory()
    ann, bob = client_for(ann_user), client_for(bob_user)
    ann_order = place(ann, ready_cart(ann, [("TEE-RED-M", 1)])).json()
    bob_order = place(bob, ready_cart(bob, [("TEE-RED-M", 1)])).json()

    listed = ann.get("/api/v1/orders").json()

    assert (listed["count"], [o["id"] for o in listed["results"]]) == (1, [ann_order["id"]])
    assert listed["results"][0] == ann.get(f"/api/v1/orders/{ann_order['id']}").json()
    hidden = ann.get(f"/api/v1/orders/{bob_order['id']}")
    assert (hidden.status_code, hidden.json()["code"]) == (404, "order_not_found")


def test_staff_see_every_order_and_filter_by_status(stocked, us, operations_user):
    ann = client_for(UserFactory())
    placed = place(ann, ready_cart(ann, [("TEE-RED-M", 1)])).json()
    failed = place(ann, ready_cart(ann, [("TEE-RED-M", 1)]), "tok_declined").json()
    guest = place(client_for(), ready_cart(client_for(), [("TEE-RED-M", 1)])).json()
    staff = client_for(operations_user)

    everything = staff.get("/api/v1/orders").json()
    only_failed = staff.get("/api/v1/orders?status=payment_failed").json()

    assert [o["id"] for o in everything["results"]] == [
        guest["id"],
        failed["order_id"],
        placed["id"],
    ]
    assert [o["id"] for o in only_failed["results"]] == [failed["order_id"]]
    assert staff.get(f"/api/v1/orders/{guest['id']}").status_code == 200
    bad = staff.get("/api/v1/orders?status=lost")
    assert (bad.status_code, list(bad.json()["fields"])) == (400, ["status"])
    assert staff.get("/api/v1/orders?page=9").status_code == 404


def test_staff_without_the_orders_permission_see_only_their_own(stocked, us, merchandiser):
    ann = client_for(UserFactory())
    order = place(ann, ready_cart(ann, [("TEE-RED-M", 1)])).json()
    merch = client_for(merchandiser)

    assert merch.get("/api/v1/orders").json()["count"] == 0
    assert merch.get(f"/api/v1/orders/{order['id']}").status_code == 404


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
BATCH_RESERVE = "WITH reserve_settings AS"


def _statements(ctx) -> list[str]:
    sql = (q["sql"] for q in ctx.captured_queries)
    return [q for q in sql if not q.startswith(TRANSACTION_CONTROL)]


def _request_and_placement_statements(client, lines) -> tuple[list[str], list[str]]:
    """SQL statements of a whole POST /orders and of place_order within it, as production
    runs them: real transactions, after-commit work (e-mail, tax filing) queued for Celery."""
    cart_id = ready_cart(client, lines)
    inner = []
    original = services.place_order

    def counted(**kwargs):
        with CaptureQueriesContext(connection) as ctx:
            order = original(**kwargs)
        inner.extend(_statements(ctx))
        return order

    with (
        mock.patch.object(services, "place_order", counted),
        mock.patch.object(order_tasks.send_order_notification, "apply_async"),
        mock.patch.object(order_tasks.commit_order_tax, "apply_async"),
        CaptureQueriesContext(connection) as ctx,
    ):
        response = place(client, cart_id)
    assert response.status_code == 201, response.json()
    return _statements(ctx), inner


@pytest.mark.django_db(transaction=True)
def test_post_orders_statements_are_bounded_and_independent_of_lines(capsys):
    warehouse = LocationFactory(code="us-east", country="US")
    variants = [VariantFactory() for _ in range(6)]
    for variant in variants:
        stock(variant, warehouse, 50)
    client = client_for(UserFactory())

    one, one_placing = _request_and_placement_statements(client, [(variants[0].sku, 1)])
    six, six_placing = _request_and_placement_statements(client, [(v.sku, 2) for v in variants])

    with capsys.disabled():
        print(
            f"\nPOST /api/v1/orders: {len(one)} statements for 1 line, {len(six)} for 6 "
            f"(place_order {len(one_placing)} and {len(six_placing)})"
        )
    # Around place_order: the idempotency claim (one INSERT … ON CONFLICT DO NOTHING) and
    # its stored answer (UPDATE), the cart lookup, the order's lines, events and shipments.
    assert len(one) - len(one_placing) == len(six) - len(six_placing) == 6
    assert len(one_placing) <= 25  # the fraud check's 2 included (test_placement.py)
    # inventory.reserve_stock reserves every line in one statement (one location serves the
    # market; each line checked under lock): 1 line or 6, the same statements.
    assert sum(q.startswith(BATCH_RESERVE) for q in six) == 1
    assert len(six) == len(one)


def test_lines_and_checkout_are_untouched_by_a_refused_placement(buyer, stocked, us):
    cart_id = ready_cart(buyer, [("TEE-RED-M", 2)])
    StockLevel.objects.filter(variant=stocked).update(on_hand=1)

    place(buyer, cart_id)

    cart = Cart.objects.get(public_id=cart_id)
    assert (cart.status, CartLine.objects.get(cart=cart).quantity) == ("open", 2)
    assert cart.shipping_method.code == "standard"


def test_a_body_with_a_nul_is_invalid_text_even_without_a_key(buyer, us):
    response = buyer.post(
        "/api/v1/orders", '{"cart": "cart_\\u0000"}', content_type="application/json"
    )

    assert (response.status_code, response.json()["code"]) == (400, "invalid_text")
    assert Order.objects.count() == 0
