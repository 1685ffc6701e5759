"""The fulfillment console (orders/admin/fulfillment.py): the queue, creating a partial
shipment with per-line quantities, ship/deliver buttons, the delivery CSV with its preview,
the timeline, the packing slip, re-routing, and who may do what."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockLevel
from orders import services
from orders.models import Order, Shipment, ShipmentStatus
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.orders import checkout_ready_cart, place

pytestmark = pytest.mark.django_db
SH = ShipmentStatus
QUEUE = reverse("admin:orders_shipment_queue")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ops(operations_user):
    return client_for(operations_user)


@pytest.fixture
def places(us):
    return LocationFactory(code="east", priority=10), LocationFactory(code="west", priority=20)


@pytest.fixture
def order(places):
    east, _west = places
    shirt = VariantFactory(sku="ADM-SHIRT", prices={"USD": 2000})
    mug = VariantFactory(sku="ADM-MUG", prices={"USD": 900})
    stock(shirt, east, 10)
    stock(mug, east, 10)
    return place(checkout_ready_cart(lines=[(shirt, 3), (mug, 1)]))


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def line_field(order, index=0):
    return f"line_{order.lines.order_by('pk')[index].public_id}"


def test_queue_lists_orders_with_units_to_ship_oldest_first_with_age(ops, order, places):
    east, west = places
    newer = place(checkout_ready_cart(lines=[(order.lines.first().variant, 1)]))

    page = ops.get(QUEUE)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(order.reference) < html.index(newer.reference)
    assert "east" in html and "Create shipment" in html

    only_west = ops.get(QUEUE, {"location": "west"}).content.decode()
    assert order.reference not in only_west
    assert ops.get(QUEUE, {"location": "nowhere"}).status_code == 200


def test_queue_flags_an_authorization_about_to_expire(ops, order, settings):
    settings.ORDERS_AUTHORIZATION_VALID_DAYS = {"default": 1}
    html = ops.get(QUEUE).content.decode()
    assert "authorization expires soon" in html


def test_create_a_partial_shipment_ship_and_deliver_it(ops, order, places):
    east, _west = places
    create = reverse("admin:orders_shipment_create", args=[order.pk])
    assert ops.get(create).status_code == 200

    response = ops.post(
        create, {"location": east.pk, line_field(order): 2, line_field(order, 1): 0}
    )
    shipment = Shipment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:orders_shipment_change", args=[shipment.pk])
    assert [sl.quantity for sl in shipment.lines.all()] == [2]

    step = reverse("admin:orders_shipment_step", args=[shipment.pk, "ship"])
    assert ops.get(step).status_code == 200
    bad = ops.post(step, {"carrier": "ups", "tracking_number": "<b>x</b>"})
    assert bad.status_code == 200 and "letters, digits" in bad.content.decode()
    assert Shipment.objects.get().status == SH.PENDING

    done = ops.post(step, {"carrier": "ups", "tracking_number": "1ZADMIN"})
    assert done.status_code == 302
    assert Shipment.objects.get().status == SH.SHIPPED
    assert Order.objects.get(pk=order.pk).status == "partially_fulfilled"

    page = ops.get(reverse("admin:orders_shipment_change", args=[shipment.pk]))
    assert page.status_code == 200, page.status_code
    page = page.content.decode()
    assert "shipment-step-deliver" in page and "packing-slip-link" in page
    deliver = reverse("admin:orders_shipment_step", args=[shipment.pk, "deliver"])
    assert ops.post(deliver).status_code == 302
    assert Shipment.objects.get().status == SH.DELIVERED


def test_creating_more_than_is_left_is_a_form_error(ops, order, places):
    east, _west = places
    create = reverse("admin:orders_shipment_create", args=[order.pk])

    response = ops.post(create, {"location": east.pk, line_field(order): 4})
    assert response.status_code == 200
    assert Shipment.objects.count() == 0
    nothing = ops.post(create, {"location": east.pk})
    assert "at least one unit" in nothing.content.decode()
    assert StockLevel.objects.get(variant__sku="ADM-SHIRT").in_transit_out == 0


def test_units_held_elsewhere_are_a_form_error_then_reroute(ops, order, places):
    east, west = places
    shirt = order.lines.order_by("pk")[0]
    stock(shirt.variant, west, 5)
    create = reverse("admin:orders_shipment_create", args=[order.pk])

    refused = ops.post(create, {"location": west.pk, line_field(order): 1})
    assert "held at west" in refused.content.decode() or "west" in refused.content.decode()
    assert Shipment.objects.count() == 0

    reroute = reverse("admin:orders_shipment_reroute", args=[order.pk])
    moved = ops.post(
        reroute, {"line": shirt.pk, "source": east.pk, "destination": west.pk, "quantity": 1}
    )
    assert moved.status_code == 302
    assert ops.post(create, {"location": west.pk, line_field(order): 1}).status_code == 302


def test_delivery_csv_preview_then_confirm(ops, order, places):
    east, _west = places
    shirt, mug = order.lines.order_by("pk")
    s1 = services.create_shipment(order=order, location=east, lines={shirt: 3})
    services.ship_shipment(shipment=s1, carrier="ups", tracking_number="1ZCSV1")
    s2 = services.create_shipment(order=order, location=east, lines={mug: 1})
    services.ship_shipment(shipment=s2, carrier="dhl", tracking_number="JDCSV2")
    url = reverse("admin:orders_shipment_deliveries")
    today = timezone.localdate().isoformat()
    text = f"tracking_number,delivered_at\n1ZCSV1,{today}\nJDCSV2,\n"

    preview = ops.post(url, {"file": SimpleUploadedFile("d.csv", text.encode())})
    assert preview.status_code == 200
    assert "delivery-preview" in preview.content.decode()
    assert set(Shipment.objects.values_list("status", flat=True)) == {SH.SHIPPED}

    done = ops.post(url, {"csv_text": text, "confirm": "on"})
    assert done.status_code == 302
    assert set(Shipment.objects.values_list("status", flat=True)) == {SH.DELIVERED}
    assert Order.objects.get(pk=order.pk).status == "delivered"
    assert "2 parcel(s) marked delivered" in messages_of(done)[0]


def test_delivery_csv_with_unknown_numbers_changes_nothing(ops, order, places):
    east, _west = places
    shirt = order.lines.order_by("pk")[0]
    s1 = services.create_shipment(order=order, location=east, lines={shirt: 3})
    services.ship_shipment(shipment=s1, carrier="ups", tracking_number="1ZCSV1")
    url = reverse("admin:orders_shipment_deliveries")
    text = "tracking_number\n1ZCSV1\nNOPE-1\n"

    for data in (
        {"file": SimpleUploadedFile("d.csv", text.encode())},
        {"csv_text": text, "confirm": "on"},
    ):
        response = ops.post(url, data)
        assert response.status_code == 200
        assert "Unknown tracking number(s): NOPE-1" in response.content.decode()
    assert Shipment.objects.get().status == SH.SHIPPED
    for bad in ("", "nonsense\n1\n", "tracking_number,delivered_at\n1ZCSV1,yesterday\n"):
        response = ops.post(url, {"csv_text": bad, "confirm": "on"})
        assert response.status_code == 200 and "errornote" in response.content.decode()
    assert Shipment.objects.get().status == SH.SHIPPED


def test_timeline_and_packing_slip(ops, order, places):
    east, _west = places
    shirt = order.lines.order_by("pk")[0]
    shipment = services.create_shipment(order=order, location=east, lines={shirt: 2})
    services.ship_shipment(shipment=shipment, carrier="fedex", tracking_number="7788")

    timeline = ops.get(reverse("admin:orders_shipment_timeline", args=[order.pk]))
    html = timeline.content.decode()
    assert "shipment.shipped" in html and "capture succeeded" in html
    assert shipment.public_id in html and "authorize succeeded" in html

    slip = ops.get(reverse("admin:orders_shipment_packing_slip", args=[shipment.pk]))
    html = slip.content.decode()
    assert slip.status_code == 200
    assert "orders/packing_slip.css" in html and "ADM-SHIRT" in html and "Ada Lovelace" in html
    assert "ADM-MUG" not in html


def test_only_operations_see_or_act(merchandiser, customer, order, places):
    east, _west = places
    shirt = order.lines.order_by("pk")[0]
    shipment = services.create_shipment(order=order, location=east, lines={shirt: 1})
    for user in (merchandiser, customer):
        client = client_for(user)
        for url in (
            QUEUE,
            reverse("admin:orders_shipment_create", args=[order.pk]),
            reverse("admin:orders_shipment_packing_slip", args=[shipment.pk]),
            reverse("admin:orders_shipment_step", args=[shipment.pk, "ship"]),
        ):
            response = client.get(url)
            assert response.status_code in (302, 403), (user, url)
    assert Shipment.objects.get().status == SH.PENDING


def test_cancel_from_the_admin_puts_units_back(ops, order, places):
    east, _west = places
    shirt = order.lines.order_by("pk")[0]
    shipment = services.create_shipment(order=order, location=east, lines={shirt: 3})
    url = reverse("admin:orders_shipment_step", args=[shipment.pk, "cancel"])

    assert ops.post(url, {"reason": "box damaged"}).status_code == 302

    assert Shipment.objects.get().status == SH.CANCELLED
    level = StockLevel.objects.get(variant=shirt.variant)
    assert (level.reserved, level.in_transit_out) == (3, 0)
    again = ops.post(url, {"reason": "twice"})
    assert again.status_code == 302 and "not possible" in messages_of(again)[-1]


def test_an_order_age_reads_in_the_queue(ops, order):
    Order.objects.filter(pk=order.pk).update(placed_at=order.placed_at - timedelta(days=3))
    assert "3\xa0days" in ops.get(QUEUE).content.decode()


def test_a_failed_capture_is_noted_and_retried_from_the_shipment_page(ops, order, places):
    from unittest import mock

    from orders.models import OrderEvent
    from orders.providers.payments.base import GatewayError
    from orders.providers.payments.dummy import DummyGateway

    east, _west = places
    shirt = order.lines.order_by("pk")[0]
    shipment = services.create_shipment(order=order, location=east, lines={shirt: 3})
    with mock.patch.object(DummyGateway, "capture", side_effect=GatewayError("gateway down")):
        services.ship_shipment(shipment=shipment, carrier="ups", tracking_number="1ZFAIL")
    assert Shipment.objects.get().status == SH.SHIPPED
    assert Shipment.objects.get().captured_cents == 0
    assert OrderEvent.objects.filter(order=order, type="payment.capture_failed").exists()
    page = reverse("admin:orders_shipment_change", args=[shipment.pk])
    assert "shipment-step-capture" in ops.get(page).content.decode()

    done = ops.post(reverse("admin:orders_shipment_step", args=[shipment.pk, "capture"]))

    assert done.status_code == 302
    captured = Shipment.objects.get().captured_cents
    assert captured == 3 * shirt.total_cents // 3 + (
        order.total_cents - sum(ln.total_cents for ln in order.lines.all())
    )
    assert Order.objects.get(pk=order.pk).captured_cents == captured
    assert "shipment-step-capture" not in ops.get(page).content.decode()
    again = ops.post(reverse("admin:orders_shipment_step", args=[shipment.pk, "capture"]))
    assert "Nothing to capture" in messages_of(again)[-1]


def test_the_shipments_list_leads_to_the_queue(ops, order):
    html = ops.get(reverse("admin:orders_shipment_changelist")).content.decode()
    assert f'href="{QUEUE}"' in html


def test_the_queue_costs_the_same_queries_for_one_order_or_many(ops, order, places, capsys):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ops.get(QUEUE)  # the session's first request loads more (permissions, caches)
    with CaptureQueriesContext(connection) as one:
        assert ops.get(QUEUE).status_code == 200
    variant = order.lines.first().variant
    for _ in range(5):
        place(checkout_ready_cart(lines=[(variant, 1)]))
    # Warm again: placing takes long enough under load for the one-second caches (kill
    # switches) to lapse, and a lapsed cache's read is not what this test counts.
    ops.get(QUEUE)
    with CaptureQueriesContext(connection) as six:
        assert ops.get(QUEUE).status_code == 200
    with capsys.disabled():
        print(f"\nfulfillment queue: {len(one)} queries for 1 order, {len(six)} for 6")
    assert len(one) == len(six)


def test_the_order_page_lists_its_shipments(ops, order, places):
    east, _west = places
    shirt = order.lines.order_by("pk")[0]
    shipment = services.create_shipment(order=order, location=east, lines={shirt: 2})

    html = ops.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert shipment.public_id in html and "2× ADM-SHIRT" in html
    assert reverse("admin:orders_shipment_change", args=[shipment.pk]) in html
    assert reverse("admin:orders_shipment_create", args=[order.pk]) in html


def test_bad_input_in_the_console_is_a_form_error_never_a_500(ops, order, places):
    east, west = places
    shirt = order.lines.order_by("pk")[0]
    create = reverse("admin:orders_shipment_create", args=[order.pk])
    for quantity in (-1, "two", 10**12):
        response = ops.post(create, {"location": east.pk, line_field(order): quantity})
        assert response.status_code == 200, quantity
        assert 'class="errorlist' in response.content.decode(), quantity
    assert ops.post(create, {"location": 999_999, line_field(order): 1}).status_code == 200
    assert Shipment.objects.count() == 0

    shipment = services.create_shipment(order=order, location=east, lines={shirt: 1})
    step = reverse("admin:orders_shipment_step", args=[shipment.pk, "ship"])
    for form, says in (
        ({"carrier": "ups", "tracking_number": "<script>alert(1)</script>"}, "letters, digits"),
        ({"carrier": "ups", "tracking_number": "9" * 10_000}, "characters"),
        ({"carrier": "ups", "tracking_number": "9" * 30_000}, "characters"),
        ({"carrier": "pigeon", "tracking_number": "1Z1"}, "Select a valid choice"),
        ({"carrier": "", "tracking_number": "1Z1"}, "carrier"),
        (
            {"carrier": "ups", "tracking_number": "1Z1", "tracking_url": "javascript:alert(1)"},
            "https",
        ),
    ):
        response = ops.post(step, form)
        assert response.status_code == 200, form
        assert says in response.content.decode(), (form, says)
        assert "<script>alert(1)</script>" not in response.content.decode()
    assert Shipment.objects.get().status == SH.PENDING

    # Delivering a parcel not shipped yet, unknown steps and shipments, bad re-routes.
    early = ops.post(reverse("admin:orders_shipment_step", args=[shipment.pk, "deliver"]))
    assert early.status_code == 302 and "cannot deliver" in messages_of(early)[-1]
    assert ops.get(f"/admin/orders/shipment/{shipment.pk}/step/explode/").status_code == 404
    assert ops.get("/admin/orders/shipment/999999/step/ship/").status_code == 404
    assert ops.get("/admin/orders/shipment/999999/packing-slip/").status_code == 404
    assert ops.get("/admin/orders/shipment/create/999999/").status_code == 404
    reroute = reverse("admin:orders_shipment_reroute", args=[order.pk])
    for quantity in (-3, 0, 1_000_000):
        response = ops.post(
            reroute,
            {"line": shirt.pk, "source": east.pk, "destination": west.pk, "quantity": quantity},
        )
        assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert Shipment.objects.get().status == SH.PENDING
    assert StockLevel.objects.get(variant__sku="ADM-SHIRT", location=east).in_transit_out == 1


def test_cancel_some_items_with_bad_quantities_changes_nothing(ops, order):
    act = reverse("admin:orders_order_act", args=[order.pk, "cancel_lines"])
    page = ops.get(act).content.decode()
    state = page.split('name="state" value="')[1].split('"')[0]
    nonce = page.split('name="nonce" value="')[1].split('"')[0]
    for quantity in (-1, 99, "x"):
        response = ops.post(
            act,
            {"state": state, "nonce": nonce, "reason": "r", line_field(order): quantity},
        )
        assert response.status_code == 200, quantity
        assert "errorlist" in response.content.decode(), quantity
    assert [ln.quantity_cancelled for ln in order.lines.order_by("pk")] == [0, 0]
