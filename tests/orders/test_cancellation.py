"""Cancellation (issue 10): whole orders and single lines, by the customer or Operations; the
money given back to the cent (orders.allocation, docs/orders.md), the stock released, the
e-mail, and what must change nothing."""

import pytest
from django.core import mail

from inventory.models import Reservation, ReservationStatus, StockLevel
from orders import allocation, services
from orders.allocation import LineWorth
from orders.exceptions import InvalidCartQuantity, InvalidOrderTransition, LineNotCancellable
from orders.models import (
    DummyCharge,
    Order,
    OrderEvent,
    OrderNotification,
    OrderStatus,
    PaymentStatus,
    PaymentTransaction,
    TransactionKind,
)
from orders.services.notifications import send_order_notification
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.orders import checkout_ready_cart, place

pytestmark = pytest.mark.django_db
S, P = OrderStatus, PaymentStatus


# --- The allocation rule, to the cent (pure) -------------------------------------------------


@pytest.mark.parametrize(
    ("total", "lines", "shares"),
    [
        # 1,000 outside the lines (shipping) split 5,000 : 4,000 -> 556 / 444 (largest
        # remainder); A's 5,556 over 3 units.
        (10_000, [("A", 3, 5_000), ("B", 1, 4_000)], {"A": [1852, 1852, 1852], "B": [4444]}),
        # Nothing outside the lines; the first unit carries the odd cent.
        (1_000, [("A", 3, 1_000)], {"A": [334, 333, 333]}),
        # Free lines share the shipping equally.
        (500, [("A", 1, 0), ("B", 1, 0)], {"A": [250], "B": [250]}),
        # A discount not given to a line (negative outside) is shared like shipping.
        (900, [("A", 1, 500), ("B", 1, 500)], {"A": [450], "B": [450]}),
        # A tie of remainders goes to the earlier line.
        (1_001, [("A", 1, 333), ("B", 2, 333)], {"A": [501], "B": [250, 250]}),
    ],
)
def test_unit_shares_follow_the_documented_rule(total, lines, shares):
    got = allocation.unit_shares(total, [LineWorth(*line) for line in lines])

    assert got == shares
    assert sum(sum(units) for units in got.values()) == total


def test_cancelling_units_one_by_one_or_at_once_gives_back_the_same_cents():
    shares = allocation.unit_shares(1_000, [LineWorth("A", 3, 1_000)])

    one_by_one = [allocation.cancelled_worth(shares, {"A": done}, {"A": 1}) for done in range(3)]

    assert one_by_one == [333, 333, 334]  # from the last unit backwards
    assert allocation.cancelled_worth(shares, {}, {"A": 3}) == 1_000
    assert allocation.kept_worth(shares, {"A": 1}) == 667


# --- Fixtures: an order of three lines -----------------------------------------------------


@pytest.fixture
def warehouse(us):
    return LocationFactory(code="us-east", priority=10)


@pytest.fixture
def variants(warehouse):
    made = [
        VariantFactory(sku="CAN-ONE", prices={"USD": 1000}),
        VariantFactory(sku="CAN-TWO", prices={"USD": 2500}),
        VariantFactory(sku="CAN-THREE", prices={"USD": 333}),
    ]
    for variant in made:
        stock(variant, warehouse, 10)
    return made


@pytest.fixture
def order(variants, customer):
    v1, v2, v3 = variants
    # Express: paid shipping whatever the total, so the allocation shares real cents.
    cart = checkout_ready_cart(
        lines=[(v1, 2), (v2, 1), (v3, 3)], customer=customer, method="express"
    )
    placed = place(cart, customer=customer)
    assert placed.status == S.PLACED
    mail.outbox.clear()
    return placed


def fresh(order):
    return Order.objects.get(pk=order.pk)


def lines_of(order):
    return list(Order.objects.get(pk=order.pk).lines.order_by("pk"))


def reserved(sku):
    return StockLevel.objects.get(variant__sku=sku).reserved


def expected_share(order, line, units):
    """The rule of docs/orders.md computed by hand (independently of orders.allocation)."""
    lines = lines_of(order)
    outside = order.total_cents - sum(ln.total_cents for ln in lines)
    weight = sum(ln.total_cents for ln in lines)
    exact = [outside * ln.total_cents / weight for ln in lines]
    floors = [outside * ln.total_cents // weight for ln in lines]
    left = outside - sum(floors)
    order_by_remainder = sorted(range(len(lines)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order_by_remainder[:left]:
        floors[i] += 1
    index = [ln.pk for ln in lines].index(line.pk)
    worth = line.total_cents + floors[index]
    per_unit = [worth // line.quantity] * line.quantity
    for i in range(worth - sum(per_unit)):
        per_unit[i] += 1
    return sum(per_unit[line.quantity - units :])


def email_of(order):
    notification = OrderNotification.objects.filter(order=order, kind="order_cancelled").last()
    send_order_notification(notification_id=notification.pk)
    return mail.outbox[-1]


# --- Whole orders ----------------------------------------------------------------------------


def test_cancelling_an_authorized_order_voids_releases_and_emails(order, customer):
    result = services.cancel_order(
        order=order, actor=customer, reason="changed my mind", by_customer=True
    )

    assert (result.status, result.payment_status) == (S.CANCELLED, P.VOIDED)
    assert [ln.quantity_cancelled for ln in lines_of(order)] == [2, 1, 3]
    assert {reserved(sku) for sku in ("CAN-ONE", "CAN-TWO", "CAN-THREE")} == {0}
    assert DummyCharge.objects.get().status == "voided"
    message = email_of(order)
    assert "cancelled" in message.subject
    assert "hold on your card" in message.body and "2 × " in message.body


def test_cancelling_a_captured_order_refunds_everything(order):
    services.capture_payment(order=order)

    result = services.cancel_order(order=order, reason="out of stock at supplier")

    assert (result.status, result.payment_status) == (S.CANCELLED, P.REFUNDED)
    assert result.refunded_total_cents == order.total_cents
    body = email_of(order).body
    assert "refund" in body.lower()


def test_a_customer_cannot_cancel_once_something_shipped(order, customer):
    one = lines_of(order)[0]
    services.ship_order_lines(order=order, lines=[{"line_id": one.public_id, "quantity": 1}])
    before = (fresh(order).status, OrderEvent.objects.count(), reserved("CAN-TWO"))

    with pytest.raises(InvalidOrderTransition) as refused:
        services.cancel_order(order=order, by_customer=True)

    assert refused.value.status_code == 409
    assert (fresh(order).status, OrderEvent.objects.count(), reserved("CAN-TWO")) == before
    assert services.customer_may_cancel(fresh(order)) is False


def test_cancelling_a_delivered_order_is_refused_and_changes_nothing(order):
    services.ship_order_lines(order=order)
    services.deliver_order(order=order)
    before = OrderEvent.objects.count(), DummyCharge.objects.get().status

    with pytest.raises(InvalidOrderTransition):
        services.cancel_order(order=order, reason="too late")

    assert fresh(order).status == S.DELIVERED
    assert (OrderEvent.objects.count(), DummyCharge.objects.get().status) == before


def test_a_replayed_cancellation_gives_back_once(order):
    services.capture_payment(order=order)
    services.cancel_order(order=order, reason="dup", event_id="ops:1")
    again = services.cancel_order(order=order, reason="dup", event_id="ops:1")

    assert again.status == S.CANCELLED
    with pytest.raises(InvalidOrderTransition):
        services.cancel_order(order=order, reason="again")
    assert PaymentTransaction.objects.filter(kind=TransactionKind.REFUND).count() == 1


# --- Single lines ----------------------------------------------------------------------------


def test_cancelling_one_line_of_a_captured_order_refunds_exactly_its_share(order):
    services.capture_payment(order=order)
    _one, two, _three = lines_of(order)

    result = services.cancel_order_lines(
        order=order, lines=[{"line_id": two.public_id, "quantity": 1}], reason="damaged"
    )

    assert result.status == S.PLACED  # the rest goes on
    assert result.payment_status == P.PARTIALLY_REFUNDED
    assert result.refunded_total_cents == expected_share(order, two, 1)
    assert reserved("CAN-TWO") == 0 and reserved("CAN-ONE") == 2 and reserved("CAN-THREE") == 3
    event = OrderEvent.objects.get(order=order, type="order.lines_cancelled")
    assert event.payload["refund"] == expected_share(order, two, 1)
    body = email_of(order).body
    assert "CAN-TWO" in body or "1 × " in body
    assert "Part of your order" in email_of(order).subject


def test_units_cancelled_one_at_a_time_add_up_to_the_line_at_once(order):
    services.capture_payment(order=order)
    three = lines_of(order)[2]

    for _ in range(3):
        services.cancel_order_lines(
            order=order, lines=[{"line_id": three.public_id, "quantity": 1}]
        )

    assert fresh(order).refunded_total_cents == expected_share(order, three, 3)
    assert reserved("CAN-THREE") == 0


def test_cancelling_an_unshipped_line_of_a_partially_fulfilled_order(order):
    services.capture_payment(order=order)
    one, two, three = lines_of(order)
    services.ship_order_lines(order=order, lines=[{"line_id": one.public_id, "quantity": 2}])
    assert fresh(order).status == S.PARTIALLY_FULFILLED

    services.cancel_order_lines(order=order, lines=[{"line_id": two.public_id, "quantity": 1}])
    result = services.cancel_order_lines(
        order=order, lines=[{"line_id": three.public_id, "quantity": 3}]
    )

    assert result.status == S.FULFILLED  # nothing left to ship: what shipped goes on
    assert result.refunded_total_cents == expected_share(order, two, 1) + expected_share(
        order, three, 3
    )
    assert reserved("CAN-TWO") == reserved("CAN-THREE") == 0


def test_cancelling_every_line_of_an_authorized_order_cancels_and_voids(order):
    result = services.cancel_order_lines(
        order=order,
        lines=[{"line_id": ln.public_id, "quantity": ln.quantity} for ln in lines_of(order)],
    )

    assert (result.status, result.payment_status) == (S.CANCELLED, P.VOIDED)


def test_with_capture_on_shipment_a_cancelled_line_refunds_nothing(order):
    one, two, _three = lines_of(order)

    result = services.cancel_order_lines(
        order=order, lines=[{"line_id": two.public_id, "quantity": 1}]
    )

    assert (result.payment_status, result.refunded_total_cents) == (P.AUTHORIZED, 0)
    event = OrderEvent.objects.get(order=order, type="order.lines_cancelled")
    assert event.payload["still_owed"] == order.total_cents - expected_share(order, two, 1)


@pytest.mark.parametrize(
    "lines",
    [
        [],
        "everything",
        [{"line_id": "oli_nope", "quantity": 1}],
        [{"line_id": "LINE", "quantity": 0}],
        [{"line_id": "LINE", "quantity": True}],
        [{"line_id": "LINE", "quantity": "1"}],
        [{"line_id": "LINE"}],
    ],
)
def test_bad_lines_are_400_and_change_nothing(order, lines):
    line = lines_of(order)[0]
    if isinstance(lines, list):
        lines = [
            {**item, "line_id": line.public_id} if item.get("line_id") == "LINE" else item
            for item in lines
        ]
    before = OrderEvent.objects.count(), reserved("CAN-ONE")

    with pytest.raises(InvalidCartQuantity):
        services.cancel_order_lines(order=order, lines=lines)

    assert (OrderEvent.objects.count(), reserved("CAN-ONE")) == before
    assert [ln.quantity_cancelled for ln in lines_of(order)] == [0, 0, 0]


def test_cancelling_a_shipped_line_or_more_than_is_left_is_409(order):
    one, two, _three = lines_of(order)
    services.ship_order_lines(order=order, lines=[{"line_id": one.public_id, "quantity": 2}])
    before = OrderEvent.objects.count()

    with pytest.raises(LineNotCancellable) as shipped:
        services.cancel_order_lines(order=order, lines=[{"line_id": one.public_id, "quantity": 1}])
    with pytest.raises(LineNotCancellable):
        services.cancel_order_lines(order=order, lines=[{"line_id": two.public_id, "quantity": 2}])

    assert shipped.value.status_code == 409
    assert "2 shipped" in shipped.value.detail
    assert OrderEvent.objects.count() == before


def test_units_in_a_shipment_being_packed_are_not_cancelled(order, warehouse):
    one = lines_of(order)[0]
    services.create_shipment(order=order, location=warehouse, lines={one: 2})

    with pytest.raises(LineNotCancellable) as refused:
        services.cancel_order_lines(order=order, lines=[{"line_id": one.public_id, "quantity": 1}])

    assert "being packed" in refused.value.detail


def test_the_customer_cancel_cancels_a_shipment_not_yet_shipped(order, warehouse, customer):
    one = lines_of(order)[0]
    shipment = services.create_shipment(order=order, location=warehouse, lines={one: 2})

    services.cancel_order(order=order, actor=customer, by_customer=True)

    shipment.refresh_from_db()
    assert shipment.status == "cancelled"
    assert StockLevel.objects.get(variant__sku="CAN-ONE").in_transit_out == 0
    assert reserved("CAN-ONE") == 0
    assert not Reservation.objects.filter(
        owner=order.public_id, status__in=[ReservationStatus.COMMITTED, ReservationStatus.PICKING]
    ).exists()


def test_a_refund_the_gateway_refuses_leaves_the_cancellation_and_a_note(order, monkeypatch):
    from orders.providers.payments.base import GatewayTimeout
    from orders.providers.payments.dummy import DummyGateway

    services.capture_payment(order=order)
    two = lines_of(order)[1]

    def silent(self, **kwargs):
        raise GatewayTimeout("no answer")

    monkeypatch.setattr(DummyGateway, "refund", silent)
    result = services.cancel_order_lines(
        order=order, lines=[{"line_id": two.public_id, "quantity": 1}]
    )

    assert (result.payment_status, result.refunded_total_cents) == (P.CAPTURED, 0)
    assert lines_of(order)[1].quantity_cancelled == 1
    note = OrderEvent.objects.get(order=order, type="payment.refund_failed")
    assert note.payload["amount"] == expected_share(order, two, 1)


# --- Cancelling the whole of a partially fulfilled order ---------------------------------


def ship_first_line(order, warehouse, number="1ZREST"):
    one = lines_of(order)[0]
    shipment = services.create_shipment(order=order, location=warehouse, lines={one: 2})
    services.ship_shipment(shipment=shipment, carrier="ups", tracking_number=number)
    assert fresh(order).status == S.PARTIALLY_FULFILLED
    return shipment


def test_cancelling_a_partially_fulfilled_order_cancels_the_rest_and_keeps_it_fulfilled(
    order, warehouse
):
    shipment = ship_first_line(order, warehouse)
    one, two, three = lines_of(order)
    captured = fresh(order).captured_cents  # capture on shipment: line 1's worth
    waiting = services.create_shipment(order=order, location=warehouse, lines={three: 1})

    result = services.cancel_order(order=order, reason="the rest is back-ordered")

    assert (result.status, result.payment_status) == (S.FULFILLED, P.CAPTURED)
    assert [ln.quantity_cancelled for ln in lines_of(order)] == [0, 1, 3]
    assert reserved("CAN-TWO") == reserved("CAN-THREE") == 0
    waiting.refresh_from_db()
    assert waiting.status == "cancelled"  # the parcel not yet out is cancelled first
    # Nothing was taken for the cancelled units: nothing refunded, never captured.
    assert (result.captured_cents, result.refunded_total_cents) == (captured, 0)
    assert captured == order.total_cents - expected_share(order, two, 1) - expected_share(
        order, three, 3
    )
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.type, event.payload["remaining"]) == ("order.lines_cancelled", True)
    assert "Part of your order" in email_of(order).subject
    # What shipped goes on: it is delivered (and may then be returned).
    services.deliver_shipment(shipment=shipment)
    assert fresh(order).status == S.DELIVERED


def test_cancelling_a_partially_fulfilled_captured_order_refunds_the_rest_to_the_cent(
    order, warehouse
):
    services.capture_payment(order=order)
    ship_first_line(order, warehouse)
    _one, two, three = lines_of(order)

    result = services.cancel_order(order=order, reason="the rest is back-ordered")

    assert (result.status, result.payment_status) == (S.FULFILLED, P.PARTIALLY_REFUNDED)
    assert result.refunded_total_cents == expected_share(order, two, 1) + expected_share(
        order, three, 3
    )
    assert PaymentTransaction.objects.filter(kind=TransactionKind.REFUND).count() == 1


def test_cancelling_a_partially_fulfilled_order_twice_is_refused(order, warehouse):
    ship_first_line(order, warehouse)
    services.cancel_order(order=order, reason="rest", event_id="ops:rest")
    assert services.cancel_order(order=order, event_id="ops:rest").status == S.FULFILLED
    before = OrderEvent.objects.count()

    with pytest.raises(InvalidOrderTransition):
        services.cancel_order(order=order, reason="again")

    assert OrderEvent.objects.count() == before


def test_the_customer_still_cannot_cancel_a_partially_fulfilled_order(order, warehouse, customer):
    ship_first_line(order, warehouse)

    with pytest.raises(InvalidOrderTransition):
        services.cancel_order(order=order, actor=customer, by_customer=True)

    assert fresh(order).status == S.PARTIALLY_FULFILLED
    assert [ln.quantity_cancelled for ln in lines_of(order)] == [0, 0, 0]
