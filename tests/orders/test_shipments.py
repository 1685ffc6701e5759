"""Fulfillment through shipments: split shipments from two locations, stock and ledger at
each step, capture on shipment, delivery, cancellation, re-routing, and the bad input that
must change nothing (issue 10)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from inventory.exceptions import InsufficientStock, ReservationNotActive
from inventory.models import (
    HOLDING_STATUSES,
    MovementKind,
    Reservation,
    StockLevel,
    StockMovement,
)
from orders import services
from orders.exceptions import (
    InvalidOrderTransition,
    InvalidShipment,
    InvalidShipmentTransition,
    InvalidTracking,
    UnknownCarrier,
    UnknownTrackingNumbers,
)
from orders.models import (
    DummyCharge,
    Order,
    OrderEvent,
    OrderNotification,
    OrderStatus,
    PaymentStatus,
    PaymentTransaction,
    Shipment,
    ShipmentStatus,
)
from orders.services import shipments
from orders.services.notifications import send_order_notification
from shop.money import allocate
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.orders import checkout_ready_cart, place

pytestmark = pytest.mark.django_db
S, P, SH = OrderStatus, PaymentStatus, ShipmentStatus


@pytest.fixture
def two_places(us):
    return LocationFactory(code="loc-a", priority=10), LocationFactory(code="loc-b", priority=20)


@pytest.fixture
def split_order(two_places):
    """3 lines: the first stocked only at A (2 units ordered), the others only at B."""
    a, b = two_places
    v1 = VariantFactory(sku="SHIP-ONE", prices={"USD": 1000})
    v2 = VariantFactory(sku="SHIP-TWO", prices={"USD": 2500})
    v3 = VariantFactory(sku="SHIP-THREE", prices={"USD": 333})
    stock(v1, a, 5)
    stock(v2, b, 5)
    stock(v3, b, 5)
    # Express: paid shipping whatever the total, so the allocation shares real cents.
    order = place(checkout_ready_cart(lines=[(v1, 2), (v2, 1), (v3, 3)], method="express"))
    assert order.status == S.PLACED
    assert order.total_cents > sum(line.total_cents for line in lines_of(order))
    return order


def level(sku, location):
    return StockLevel.objects.get(variant__sku=sku, location=location)


def counts(sku, location):
    lvl = level(sku, location)
    return lvl.on_hand, lvl.reserved, lvl.in_transit_out


def lines_of(order):
    return list(Order.objects.get(pk=order.pk).lines.order_by("pk"))


def fresh(order):
    return Order.objects.get(pk=order.pk)


def shipping_shares(order):
    """The order's charges outside its lines shared over the lines by their totals."""
    totals = [ln.total_cents for ln in lines_of(order)]
    return allocate(order.total_cents - sum(totals), totals)


def test_ship_line_1_from_a_then_lines_2_and_3_from_b(split_order, two_places):
    a, b = two_places
    one, two, three = lines_of(split_order)
    mail.outbox.clear()

    first = services.create_shipment(order=split_order, location=a, lines={one: 2})
    assert first.public_id.startswith("shp_") and first.status == SH.PENDING
    assert counts("SHIP-ONE", a) == (5, 0, 2)  # outbound, still on hand
    assert fresh(split_order).status == S.PLACED

    shipped = services.ship_shipment(shipment=first, carrier="ups", tracking_number="1Z999AA1")
    assert shipped.applied and shipped.shipment.status == SH.SHIPPED
    assert shipped.shipment.tracking_url == "https://www.ups.com/track?tracknum=1Z999AA1"
    order = fresh(split_order)
    assert (order.status, order.payment_status) == (S.PARTIALLY_FULFILLED, P.CAPTURED)
    assert [ln.quantity_fulfilled for ln in lines_of(order)] == [2, 0, 0]
    assert counts("SHIP-ONE", a) == (3, 0, 0)
    assert counts("SHIP-TWO", b) == (5, 1, 0)
    # First shipment: line 1's total plus its share of the order's charges outside its lines
    # (shipping), shared over the lines by their totals (docs/orders.md).
    shares = shipping_shares(order)
    first_amount = one.total_cents + shares[0]
    assert order.captured_cents == first_amount == shipped.shipment.captured_cents

    second = services.create_shipment(
        order=split_order,
        lines=[
            {"line_id": two.public_id, "quantity": 1},
            {"line_id": three.public_id, "quantity": 3},
        ],
    )  # no location given: both lines are held at B only
    assert second.location == b
    services.start_picking_shipment(shipment=second)
    services.pack_shipment(shipment=second)
    services.ship_shipment(shipment=second, carrier="fedex", tracking_number="7712 3456 7890")
    order = fresh(split_order)
    assert (order.status, order.payment_status) == (S.FULFILLED, P.CAPTURED)
    assert [ln.quantity_fulfilled for ln in lines_of(order)] == [2, 1, 3]
    assert counts("SHIP-TWO", b) == (4, 0, 0) and counts("SHIP-THREE", b) == (2, 0, 0)

    # Captures equal the shipped amounts and add up to the order total.
    captures = list(
        PaymentTransaction.objects.filter(order=order, kind="capture").values_list(
            "amount_cents", flat=True
        )
    )
    assert captures == [first_amount, two.total_cents + shares[1] + three.total_cents + shares[2]]
    assert order.captured_cents == order.total_cents == sum(captures)
    charge = DummyCharge.objects.get(idempotency_key__startswith=order.public_id)
    assert charge.captured_cents == order.total_cents

    # The ledger: one sale per shipped line, on_hand equals the sum of movements.
    for sku, where, sold in (("SHIP-ONE", a, -2), ("SHIP-TWO", b, -1), ("SHIP-THREE", b, -3)):
        sales = StockMovement.objects.filter(
            variant__sku=sku, location=where, kind=MovementKind.SALE
        )
        assert [m.delta for m in sales] == [sold]
        assert sales.get().reference == order.reference
        total = sum(StockMovement.objects.filter(variant__sku=sku).values_list("delta", flat=True))
        assert total == level(sku, where).on_hand

    # Delivery: the first parcel alone does not deliver the order; the second does.
    services.deliver_shipment(shipment=first)
    assert fresh(split_order).status == S.FULFILLED
    services.deliver_shipment(shipment=second)
    assert fresh(split_order).status == S.DELIVERED
    assert Shipment.objects.get(pk=second.pk).delivered_at is not None

    kinds = list(
        OrderNotification.objects.filter(order=order, shipment__isnull=False).values_list(
            "kind", "shipment__public_id"
        )
    )
    assert sorted(kinds) == sorted(
        [
            ("shipment_shipped", first.public_id),
            ("shipment_shipped", second.public_id),
            ("shipment_delivered", first.public_id),
            ("shipment_delivered", second.public_id),
        ]
    )
    # The task machinery sends them after commit; send them as the task would.
    for notification in OrderNotification.objects.filter(shipment__isnull=False):
        assert send_order_notification(notification_id=notification.pk)
    shipped_mail = [m for m in mail.outbox if "on its way" in m.subject]
    assert len(shipped_mail) == 2
    assert "1Z999AA1" in shipped_mail[0].body
    assert "https://www.ups.com/track?tracknum=1Z999AA1" in shipped_mail[0].alternatives[0][0]


def test_shipping_twice_changes_nothing_the_second_time(split_order, two_places):
    a, _b = two_places
    one = lines_of(split_order)[0]
    shipment = services.create_shipment(order=split_order, location=a, lines={one: 1})
    services.ship_shipment(shipment=shipment, carrier="dhl", tracking_number="JD0001")

    again = services.ship_shipment(shipment=shipment, carrier="dhl", tracking_number="JD0001")

    assert not again.applied
    assert counts("SHIP-ONE", a) == (4, 1, 0)
    assert StockMovement.objects.filter(kind=MovementKind.SALE).count() == 1
    assert PaymentTransaction.objects.filter(kind="capture").count() == 1


def test_a_shipment_cannot_hold_more_than_is_left_to_ship(split_order, two_places):
    a, _b = two_places
    one = lines_of(split_order)[0]
    services.create_shipment(order=split_order, location=a, lines={one: 1})
    before = counts("SHIP-ONE", a)

    with pytest.raises(InvalidShipment) as refused:
        services.create_shipment(order=split_order, location=a, lines={one: 2})

    assert "Only 1 of SHIP-ONE can still be shipped" in str(refused.value)
    assert counts("SHIP-ONE", a) == before
    assert Shipment.objects.count() == 1


def test_units_held_elsewhere_need_a_reroute_first(split_order, two_places):
    a, b = two_places
    two = lines_of(split_order)[1]
    stock(two.variant, a, 4)

    with pytest.raises(ReservationNotActive) as refused:
        services.create_shipment(order=split_order, location=a, lines={two: 1})
    assert "held at loc-a" in str(refused.value)
    assert Shipment.objects.count() == 0

    services.reroute_line(order=split_order, line=two, source=b, destination=a, quantity=1)
    assert counts("SHIP-TWO", b) == (5, 0, 0)
    assert counts("SHIP-TWO", a) == (4, 1, 0)
    shipment = services.create_shipment(order=split_order, location=a, lines={two: 1})
    assert counts("SHIP-TWO", a) == (4, 0, 1)
    assert OrderEvent.objects.filter(order=split_order, type="line.rerouted").count() == 1
    assert shipment.location == a


def test_reroute_to_a_location_without_stock_changes_nothing(split_order, two_places):
    a, b = two_places
    two = lines_of(split_order)[1]

    with pytest.raises(InsufficientStock):
        services.reroute_line(order=split_order, line=two, source=b, destination=a, quantity=1)

    assert counts("SHIP-TWO", b) == (5, 1, 0)
    held_at_a = Reservation.objects.filter(owner=split_order.public_id, location=a)
    assert not held_at_a.filter(variant=two.variant).exists()


def test_cancelling_a_shipment_before_it_ships_holds_the_units_again(split_order, two_places):
    a, _b = two_places
    one = lines_of(split_order)[0]
    shipment = services.create_shipment(order=split_order, location=a, lines={one: 2})
    services.start_picking_shipment(shipment=shipment)

    services.cancel_shipment(shipment=shipment, reason="damaged box")

    assert Shipment.objects.get(pk=shipment.pk).status == SH.CANCELLED
    assert counts("SHIP-ONE", a) == (5, 2, 0)
    again = services.create_shipment(order=split_order, location=a, lines={one: 2})
    services.ship_shipment(shipment=again, carrier="usps", tracking_number="9400100000")
    assert counts("SHIP-ONE", a) == (3, 0, 0)
    with pytest.raises(InvalidShipmentTransition):
        services.cancel_shipment(shipment=again)


def test_an_order_on_hold_or_cancelled_does_not_ship(split_order, two_places):
    a, _b = two_places
    one = lines_of(split_order)[0]
    shipment = services.create_shipment(order=split_order, location=a, lines={one: 1})
    services.hold_order_for_review(order=split_order)

    with pytest.raises(InvalidOrderTransition):
        services.ship_shipment(shipment=shipment, carrier="ups", tracking_number="1Z1")
    with pytest.raises(InvalidOrderTransition):
        services.create_shipment(order=split_order, location=a, lines={one: 1})
    assert counts("SHIP-ONE", a) == (5, 1, 1)
    assert Shipment.objects.get(pk=shipment.pk).status == SH.PENDING


@pytest.mark.parametrize(
    ("carrier", "number", "url", "error", "field"),
    [
        ("pigeon", "ABC123", "", UnknownCarrier, "carrier"),
        ("", "ABC123", "", UnknownCarrier, "carrier"),
        ("ups", "<script>alert(1)</script>", "", InvalidTracking, "tracking_number"),
        ("ups", "A" * 10_000, "", InvalidTracking, "tracking_number"),
        ("ups", "", "", InvalidTracking, "tracking_number"),
        ("ups", "1Z1", "javascript:alert(1)", InvalidTracking, "tracking_url"),
        ("ups", "1Z1", 'https://x.test/"><b>', InvalidTracking, "tracking_url"),
        ("ups", "1Z1", "https://x.test/" + "a" * 10_000, InvalidTracking, "tracking_url"),
    ],
)
def test_bad_carrier_or_tracking_ships_nothing(
    split_order, two_places, carrier, number, url, error, field
):
    a, _b = two_places
    one = lines_of(split_order)[0]
    shipment = services.create_shipment(order=split_order, location=a, lines={one: 1})

    with pytest.raises(error) as refused:
        services.ship_shipment(
            shipment=shipment, carrier=carrier, tracking_number=number, tracking_url=url
        )

    assert field in refused.value.fields
    assert len(str(refused.value)) < 300
    assert Shipment.objects.get(pk=shipment.pk).status == SH.PENDING
    assert counts("SHIP-ONE", a) == (5, 1, 1)
    assert fresh(split_order).status == S.PLACED


def test_shipping_a_cancelled_line_or_unknown_line_is_refused(split_order, two_places):
    a, _b = two_places
    one = lines_of(split_order)[0]
    for lines in ({"oli_nope": 1}, [{"line_id": one.public_id, "quantity": 0}], [], "x"):
        with pytest.raises(InvalidShipment):
            services.create_shipment(order=split_order, location=a, lines=lines)
    services.cancel_order(order=split_order, reason="customer")
    with pytest.raises(InvalidOrderTransition):
        services.create_shipment(order=split_order, location=a, lines={one: 1})
    assert Shipment.objects.count() == 0


def test_delivering_an_unshipped_shipment_is_refused(split_order, two_places):
    a, _b = two_places
    one = lines_of(split_order)[0]
    shipment = services.create_shipment(order=split_order, location=a, lines={one: 1})

    with pytest.raises(InvalidShipmentTransition) as refused:
        services.deliver_shipment(shipment=shipment)

    assert refused.value.code == "invalid_transition"
    assert Shipment.objects.get(pk=shipment.pk).delivered_at is None


def test_delivery_list_with_an_unknown_tracking_number_changes_nothing(split_order, two_places):
    a, b = two_places
    one, two, _three = lines_of(split_order)
    s1 = services.create_shipment(order=split_order, location=a, lines={one: 2})
    services.ship_shipment(shipment=s1, carrier="ups", tracking_number="1ZAAA")
    s2 = services.create_shipment(order=split_order, location=b, lines={two: 1})
    services.ship_shipment(shipment=s2, carrier="ups", tracking_number="1ZBBB")

    with pytest.raises(UnknownTrackingNumbers) as refused:
        services.deliver_by_tracking_numbers(
            rows=[("1ZAAA", None), ("1ZNOPE", None), ("1ZBBB", None)]
        )
    assert "1ZNOPE" in str(refused.value)
    assert set(Shipment.objects.values_list("status", flat=True)) == {SH.SHIPPED}

    done = services.deliver_by_tracking_numbers(rows=[("1ZAAA", None), ("1ZBBB", None)])
    assert [r.applied for r in done] == [True, True]
    assert set(Shipment.objects.values_list("status", flat=True)) == {SH.DELIVERED}
    assert fresh(split_order).status == S.PARTIALLY_FULFILLED  # line 3 still to ship


def test_a_delivery_list_naming_an_unshipped_parcel_changes_nothing(split_order, two_places):
    a, b = two_places
    one, two, _three = lines_of(split_order)
    s1 = services.create_shipment(order=split_order, location=a, lines={one: 2})
    services.ship_shipment(shipment=s1, carrier="ups", tracking_number="1ZAAA")
    services.create_shipment(
        order=split_order, location=b, lines={two: 1}, carrier="ups", tracking_number="1ZWAIT"
    )

    with pytest.raises(InvalidShipmentTransition):
        services.deliver_by_tracking_numbers(rows=[("1ZAAA", None), ("1ZWAIT", None)])

    assert Shipment.objects.get(pk=s1.pk).status == SH.SHIPPED


@override_settings(ORDERS_CAPTURE_POLICY={"default": "at_placement"})
def test_capture_at_placement_takes_everything_and_shipments_capture_nothing(
    split_order, two_places, django_capture_on_commit_callbacks
):
    a, _b = two_places
    # The order was placed before the override: capture as the task would after commit.
    services.capture_placed_order(order=split_order)
    order = fresh(split_order)
    assert (order.payment_status, order.captured_cents) == (P.CAPTURED, order.total_cents)

    one = lines_of(split_order)[0]
    shipment = services.create_shipment(order=split_order, location=a, lines={one: 2})
    services.ship_shipment(shipment=shipment, carrier="ups", tracking_number="1ZCAP")

    assert PaymentTransaction.objects.filter(kind="capture").count() == 1
    assert Shipment.objects.get(pk=shipment.pk).captured_cents == 0


@override_settings(ORDERS_CAPTURE_POLICY={"default": "at_placement"})
def test_placing_under_capture_at_placement_queues_the_capture(
    two_places, django_capture_on_commit_callbacks
):
    a, _b = two_places
    variant = VariantFactory(sku="CAP-NOW", prices={"USD": 1200})
    stock(variant, a, 3)
    with django_capture_on_commit_callbacks(execute=True):
        order = place(checkout_ready_cart(lines=[(variant, 1)]))
    order = fresh(order)
    assert (order.payment_status, order.captured_cents) == (P.CAPTURED, order.total_cents)


def test_shipped_amounts_of_a_line_split_over_shipments_add_up_to_its_total(two_places):
    a, _b = two_places
    variant = VariantFactory(sku="THIRDS", prices={"USD": 1000})
    stock(variant, a, 5)
    order = place(checkout_ready_cart(lines=[(variant, 3)]))
    (line,) = lines_of(order)
    amounts = []
    for number in ("T1", "T2", "T3"):
        shipment = services.create_shipment(order=order, location=a, lines={line: 1})
        services.ship_shipment(shipment=shipment, carrier="gls", tracking_number=number)
        amounts.append(Shipment.objects.get(pk=shipment.pk).captured_cents)
    order = fresh(order)
    assert sum(amounts) == order.captured_cents == order.total_cents
    assert order.status == S.FULFILLED


def test_authorization_about_to_lapse_is_flagged(split_order):
    order = fresh(split_order)
    assert not shipments.authorization_at_risk(order)
    later = order.placed_at + timedelta(days=6)
    assert shipments.authorization_at_risk(order, now=later)
    with override_settings(ORDERS_AUTHORIZATION_VALID_DAYS={"default": 30}):
        assert not shipments.authorization_at_risk(order, now=later)
    assert shipments.authorization_expires_at(order) > timezone.now()


def test_shipment_events_through_the_events_service_are_idempotent(split_order, two_places):
    a, _b = two_places
    one = lines_of(split_order)[0]
    shipment = services.create_shipment(
        order=split_order, location=a, lines={one: 2}, carrier="dhl", tracking_number="JD77"
    )
    payload = {"shipment": shipment.public_id}

    first = services.apply_order_event(
        order=split_order, event_id="wms-1", type="shipment.shipped", payload=payload
    )
    replay = services.apply_order_event(
        order=split_order, event_id="wms-1", type="shipment.shipped", payload=payload
    )
    other_id = services.apply_order_event(
        order=split_order, event_id="wms-2", type="shipment.shipped", payload=payload
    )

    assert (first.applied, replay.applied, other_id.applied) == (True, False, False)
    assert counts("SHIP-ONE", a) == (3, 0, 0)
    assert StockMovement.objects.filter(kind=MovementKind.SALE).count() == 1
    delivered = services.apply_order_event(
        order=split_order, event_id="wms-3", type="shipment.delivered", payload=payload
    )
    again = services.apply_order_event(
        order=split_order, event_id="wms-3", type="shipment.delivered", payload=payload
    )
    assert (delivered.applied, again.applied) == (True, False)
    assert Shipment.objects.get(pk=shipment.pk).status == SH.DELIVERED


# --- Capture on shipment and cancelled lines (the allocation rule of docs/orders.md) ------


def captures_of(order):
    return list(
        PaymentTransaction.objects.filter(order=order, kind="capture")
        .order_by("pk")
        .values_list("amount_cents", flat=True)
    )


def line_worth(order, index):
    """A whole line's worth by hand: its total plus its share of shipping."""
    return lines_of(order)[index].total_cents + shipping_shares(order)[index]


def test_a_line_cancelled_before_shipping_is_never_captured(split_order, two_places):
    a, b = two_places
    one, two, three = lines_of(split_order)
    services.cancel_order_lines(
        order=split_order, lines=[{"line_id": two.public_id, "quantity": 1}]
    )

    first = services.create_shipment(order=split_order, location=a, lines={one: 2})
    services.ship_shipment(shipment=first, carrier="ups", tracking_number="1ZKEEP1")
    last = services.create_shipment(order=split_order, location=b, lines={three: 3})
    services.ship_shipment(shipment=last, carrier="dhl", tracking_number="JDKEEP2")

    order = fresh(split_order)
    kept = order.total_cents - line_worth(order, 1)
    assert captures_of(order) == [line_worth(order, 0), line_worth(order, 2)]
    assert order.captured_cents == kept  # never more than the kept units are worth
    assert (order.status, order.refunded_total_cents) == (S.FULFILLED, 0)
    assert DummyCharge.objects.get().captured_cents == kept


def test_a_line_split_over_parcels_after_a_cancel_captures_to_the_cent(two_places):
    a, _b = two_places
    odd = VariantFactory(sku="ODD-THIRDS", prices={"USD": 1001})
    other = VariantFactory(sku="ODD-OTHER", prices={"USD": 777})
    stock(odd, a, 5)
    stock(other, a, 5)
    order = place(checkout_ready_cart(lines=[(odd, 3), (other, 1)]))
    line, gone = lines_of(order)
    services.cancel_order_lines(order=order, lines=[{"line_id": gone.public_id, "quantity": 1}])
    services.cancel_order_lines(order=order, lines=[{"line_id": line.public_id, "quantity": 1}])

    for number in ("ODD1", "ODD2"):
        shipment = services.create_shipment(order=order, location=a, lines={line: 1})
        services.ship_shipment(shipment=shipment, carrier="gls", tracking_number=number)

    order = fresh(order)
    unit_worths = allocate(line_worth(order, 0), [1, 1, 1])  # the first units carry the cents
    assert captures_of(order) == unit_worths[:2]
    assert order.captured_cents == sum(unit_worths[:2])
    assert order.status == S.FULFILLED


@pytest.mark.parametrize("policy", ["on_shipment", "at_placement"])
def test_cancelling_an_unshipped_line_of_a_partially_fulfilled_order_gives_back_its_share(
    split_order, two_places, policy
):
    a, b = two_places
    one, two, three = lines_of(split_order)
    with override_settings(ORDERS_CAPTURE_POLICY={"default": policy}):
        if policy == "at_placement":
            services.capture_placed_order(order=split_order)
        first = services.create_shipment(order=split_order, location=a, lines={one: 2})
        services.ship_shipment(shipment=first, carrier="ups", tracking_number="1ZPART1")
        assert fresh(split_order).status == S.PARTIALLY_FULFILLED
        assert counts("SHIP-TWO", b) == (5, 1, 0)

        services.cancel_order_lines(
            order=split_order, lines=[{"line_id": two.public_id, "quantity": 1}], reason="damaged"
        )

        order = fresh(split_order)
        share = line_worth(order, 1)
        assert counts("SHIP-TWO", b) == (5, 0, 0)  # its reservation released
        assert not Reservation.objects.filter(
            variant__sku="SHIP-TWO", status__in=HOLDING_STATUSES
        ).exists()
        event = OrderEvent.objects.get(order=order, type="order.lines_cancelled")
        if policy == "at_placement":
            assert order.refunded_total_cents == event.payload["refund"] == share
        else:  # nothing was taken for it, so nothing to refund and it is never captured
            assert (order.refunded_total_cents, event.payload["refund"]) == (0, 0)
        assert event.payload["still_owed"] == order.total_cents - share

        last = services.create_shipment(order=split_order, location=b, lines={three: 3})
        services.ship_shipment(shipment=last, carrier="dhl", tracking_number="JDPART2")

    order = fresh(split_order)
    assert order.status == S.FULFILLED
    assert order.captured_cents - order.refunded_total_cents == order.total_cents - share
    assert counts("SHIP-THREE", b) == (2, 0, 0)
