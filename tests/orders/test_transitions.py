"""Both state machines: every allowed transition, a sample of forbidden ones, replayed
events, and the append-only event log."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from inventory.models import StockLevel
from orders import services
from orders.exceptions import (
    EventIdConflict,
    InvalidAmount,
    InvalidCartQuantity,
    InvalidOrderTransition,
    UnknownOrderEvent,
)
from orders.models import Order, OrderEvent, OrderStatus, PaymentStatus
from orders.services.events import record_note, run_transition
from tests.factories.orders import checkout_ready_cart, place

pytestmark = pytest.mark.django_db
S, P = OrderStatus, PaymentStatus


@pytest.fixture
def placed(stocked):
    return place(checkout_ready_cart(lines=[(stocked, 3)]))


def apply(order, type, event_id=None, **payload):
    return services.apply_order_event(
        order=order,
        event_id=event_id or f"evt-{type}-{OrderEvent.objects.count()}",
        type=type,
        payload=payload,
    )


def states(order):
    order = Order.objects.get(pk=order.pk)
    return order.status, order.payment_status


def line_ids(order):
    return [line.public_id for line in order.lines.all()]


def test_fraud_review_hold_approve(placed):
    assert states(apply(placed, "fraud.review_required").order) == (S.ON_HOLD, P.AUTHORIZED)
    assert states(apply(placed, "fraud.approved").order) == (S.PLACED, P.AUTHORIZED)


def test_fraud_rejected_cancels_voids_and_releases(placed, stocked):
    apply(placed, "fraud.review_required")

    result = apply(placed, "fraud.rejected")

    assert states(result.order) == (S.CANCELLED, P.VOIDED)
    assert StockLevel.objects.get(variant=stocked).reserved == 0


def test_shipping_partially_then_fully_then_delivered(placed, stocked):
    (line_id,) = line_ids(placed)

    first = apply(placed, "shipment.shipped", lines=[{"line_id": line_id, "quantity": 1}])
    assert states(first.order) == (S.PARTIALLY_FULFILLED, P.AUTHORIZED)
    second = apply(placed, "shipment.shipped", lines=[{"line_id": line_id, "quantity": 1}])
    assert states(second.order) == (S.PARTIALLY_FULFILLED, P.AUTHORIZED)
    third = apply(placed, "shipment.shipped", lines=[{"line_id": line_id, "quantity": 1}])
    assert states(third.order) == (S.FULFILLED, P.AUTHORIZED)
    assert states(apply(placed, "shipment.delivered").order) == (S.DELIVERED, P.AUTHORIZED)

    level = StockLevel.objects.get(variant=stocked)
    assert (level.on_hand, level.reserved) == (7, 0)
    assert placed.lines.get().quantity_fulfilled == 3


def test_shipping_everything_at_once_fulfils(placed):
    assert states(apply(placed, "shipment.shipped").order) == (S.FULFILLED, P.AUTHORIZED)


def test_shipping_more_than_ordered_is_refused(placed):
    (line_id,) = line_ids(placed)

    with pytest.raises(InvalidCartQuantity):
        apply(placed, "shipment.shipped", lines=[{"line_id": line_id, "quantity": 4}])

    assert states(placed) == (S.PLACED, P.AUTHORIZED)
    assert placed.lines.get().quantity_fulfilled == 0


def test_returns_partially_then_all(placed):
    (line_id,) = line_ids(placed)
    apply(placed, "shipment.shipped")
    apply(placed, "shipment.delivered")

    partly = apply(placed, "rma.completed", lines=[{"line_id": line_id, "quantity": 1}])
    assert states(partly.order) == (S.PARTIALLY_RETURNED, P.AUTHORIZED)
    rest = apply(placed, "rma.completed", lines=[{"line_id": line_id, "quantity": 2}])
    assert states(rest.order) == (S.RETURNED, P.AUTHORIZED)


def test_delivered_order_returned_at_once(placed):
    apply(placed, "shipment.shipped")
    apply(placed, "shipment.delivered")
    (line_id,) = line_ids(placed)

    result = apply(placed, "rma.completed", lines=[{"line_id": line_id, "quantity": 3}])

    assert states(result.order) == (S.RETURNED, P.AUTHORIZED)


def test_cancelling_the_unshipped_rest_of_a_partial_shipment(placed, stocked):
    (line_id,) = line_ids(placed)
    apply(placed, "shipment.shipped", lines=[{"line_id": line_id, "quantity": 1}])

    result = apply(placed, "order.cancelled", reason="rest out of stock")

    # The rest is cancelled; what shipped stays an order that is delivered (docs/orders.md).
    assert states(result.order) == (S.FULFILLED, P.AUTHORIZED)
    assert [ln.quantity_cancelled for ln in result.order.lines.all()] == [2]
    assert StockLevel.objects.get(variant=stocked).reserved == 0
    assert result.event.type == "order.cancelled" and result.event.payload["remaining"]
    assert states(apply(placed, "shipment.delivered").order) == (S.DELIVERED, P.AUTHORIZED)


def test_money_captured_refunded_in_parts(placed):
    total = placed.total_cents

    assert states(apply(placed, "payment.captured").order) == (S.PLACED, P.CAPTURED)
    assert states(apply(placed, "refund.created", amount=100).order) == (
        S.PLACED,
        P.PARTIALLY_REFUNDED,
    )
    assert states(apply(placed, "refund.created", amount=total - 100).order) == (
        S.PLACED,
        P.REFUNDED,
    )


def test_money_captured_refunded_at_once(placed):
    apply(placed, "payment.captured")

    assert states(apply(placed, "refund.created", amount=placed.total_cents).order)[1] == (
        P.REFUNDED
    )


def test_refund_over_the_captured_amount_is_refused(placed):
    apply(placed, "payment.captured")

    with pytest.raises(InvalidAmount):
        apply(placed, "refund.created", amount=placed.total_cents + 1)

    assert Order.objects.get(pk=placed.pk).refunded_total_cents == 0


def test_payment_voided(placed):
    assert states(apply(placed, "payment.voided").order) == (S.PLACED, P.VOIDED)


@pytest.mark.parametrize(
    ("refund_first", "won_status"),
    [(False, P.CAPTURED), (True, P.PARTIALLY_REFUNDED)],
)
def test_disputes_won_go_back(placed, refund_first, won_status):
    apply(placed, "payment.captured")
    if refund_first:
        apply(placed, "refund.created", amount=100)

    assert states(apply(placed, "chargeback.notice").order)[1] == P.DISPUTED
    assert states(apply(placed, "chargeback.won").order)[1] == won_status


def test_dispute_lost_is_a_chargeback(placed):
    apply(placed, "payment.captured")
    apply(placed, "chargeback.notice")

    assert states(apply(placed, "chargeback.lost").order)[1] == P.CHARGEBACK


def test_declined_event_on_a_pending_order(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_timeout")

    result = apply(order, "payment.declined", decline_code="insufficient_funds")

    assert states(result.order) == (S.PAYMENT_FAILED, P.FAILED)
    assert StockLevel.objects.get(variant=stocked).reserved == 0


def test_authorized_event_on_a_pending_order(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_timeout")

    result = apply(order, "payment.authorized", reference="ext_1", amount=order.total_cents)

    assert states(result.order) == (S.PLACED, P.AUTHORIZED)


@pytest.mark.parametrize(
    ("setup", "type", "payload"),
    [
        ([], "shipment.delivered", {}),
        ([], "fraud.approved", {}),
        ([], "refund.created", {"amount": 100}),
        ([], "chargeback.notice", {}),
        ([], "payment.declined", {}),
        (["payment.captured"], "payment.voided", {}),
        (["payment.voided"], "payment.captured", {}),
        (["shipment.shipped"], "order.cancelled", {}),
        (["shipment.shipped", "shipment.delivered"], "shipment.shipped", {}),
        (["order.cancelled"], "fraud.review_required", {}),
        (["order.cancelled"], "order.cancelled", {}),
    ],
)
def test_forbidden_transitions_are_refused_and_change_nothing(placed, setup, type, payload):
    for step in setup:
        apply(placed, step)
    before = (states(placed), OrderEvent.objects.count())

    with pytest.raises(InvalidOrderTransition) as exc:
        apply(placed, type, **payload)

    assert exc.value.code == "invalid_transition"
    assert (states(placed), OrderEvent.objects.count()) == before


def test_forbidden_transition_on_a_failed_payment(stocked):
    order = place(checkout_ready_cart(lines=[(stocked, 1)]), "tok_declined")

    with pytest.raises(InvalidOrderTransition):
        apply(order, "shipment.shipped")

    assert states(order) == (S.PAYMENT_FAILED, P.FAILED)


def test_a_replayed_event_is_a_no_op_returning_the_prior_result(placed, stocked):
    first = apply(placed, "shipment.shipped", event_id="wms-1")
    count = OrderEvent.objects.count()

    again = apply(placed, "shipment.shipped", event_id="wms-1")

    assert (first.applied, again.applied) == (True, False)
    assert again.event.pk == first.event.pk
    assert states(again.order) == (S.FULFILLED, P.AUTHORIZED)
    assert OrderEvent.objects.count() == count
    assert StockLevel.objects.get(variant=stocked).on_hand == 7  # consumed once


def test_replayed_refund_refunds_once(placed):
    apply(placed, "payment.captured")
    apply(placed, "refund.created", event_id="rf-1", amount=100)

    assert apply(placed, "refund.created", event_id="rf-1", amount=100).applied is False

    assert Order.objects.get(pk=placed.pk).refunded_total_cents == 100


def test_an_event_id_reused_for_another_type_is_refused(placed):
    apply(placed, "fraud.review_required", event_id="e-1")

    with pytest.raises(EventIdConflict):
        apply(placed, "fraud.approved", event_id="e-1")

    assert states(placed) == (S.ON_HOLD, P.AUTHORIZED)


@pytest.mark.parametrize(
    ("event_id", "type", "payload"),
    [
        ("e", "teleport", {}),
        ("", "fraud.approved", {}),
        ("x" * 129, "fraud.approved", {}),
        (None, "fraud.approved", {}),
        ("e", "fraud.approved", ["not", "an", "object"]),
    ],
)
def test_bad_events_are_refused(placed, event_id, type, payload):
    with pytest.raises(UnknownOrderEvent):
        services.apply_order_event(order=placed, event_id=event_id, type=type, payload=payload)

    assert states(placed) == (S.PLACED, P.AUTHORIZED)


def test_bad_amounts_in_events_are_refused(placed):
    with pytest.raises(InvalidAmount):
        apply(placed, "payment.captured", amount="lots")


def test_each_transition_records_who_and_what(placed, operations_user):
    result = services.apply_order_event(
        order=placed,
        event_id="ops-1",
        type="fraud.review_required",
        payload={"note": "address mismatch"},
        actor=operations_user,
    )

    event = result.event
    assert (event.type, event.from_status, event.to_status, event.actor, event.payload) == (
        "fraud.review_required",
        "placed",
        "on_hold",
        operations_user,
        {"note": "address mismatch"},
    )


# --- OrderEvent is append-only --------------------------------------------------------


def test_order_events_refuse_save_and_delete_through_the_orm(placed):
    event = placed.events.first()
    event.payload = {"forged": True}

    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()

    assert placed.events.first().payload != {"forged": True}


@pytest.mark.parametrize(
    "statement",
    [
        lambda qs: qs.update(type="forged"),
        lambda qs: qs.delete(),
    ],
)
def test_order_events_refuse_bulk_update_and_delete_in_the_database(placed, statement):
    count = OrderEvent.objects.count()

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        statement(OrderEvent.objects.filter(order=placed))

    assert OrderEvent.objects.count() == count
    assert not OrderEvent.objects.filter(type="forged").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE orders_orderevent SET type = 'forged'",
        "DELETE FROM orders_orderevent",
    ],
)
def test_order_events_refuse_raw_sql(placed, sql):
    count = OrderEvent.objects.count()

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert OrderEvent.objects.count() == count


def test_status_cannot_be_assigned_directly(placed):
    with pytest.raises(AttributeError):
        placed.status = S.DELIVERED


def _order_updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('UPDATE "orders_order"')]


def test_a_transition_writes_only_the_columns_it_changed(placed):
    with CaptureQueriesContext(connection) as queries:
        apply(placed, "payment.captured")

    (update,) = _order_updates(queries)
    assigned = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    assert '"payment_status"' in assigned
    assert '"captured_cents"' in assigned
    assert '"updated_at"' in assigned
    # Columns the capture did not touch are not written again.
    for column in ("email", "shipping_address", "public_id", "total_cents", "status"):
        assert f'"{column}"' not in assigned
    order = Order.objects.get(pk=placed.pk)
    assert order.payment_status == P.CAPTURED
    assert order.captured_cents == placed.total_cents
    assert order.updated_at > placed.updated_at


def test_a_transition_that_edits_a_json_column_in_place_saves_it(placed):
    def note_gift(order):
        order.promotion_notes.append({"sku": "GIFT", "reason": "out_of_stock"})

    run_transition(order=placed, type="order.noted", change=note_gift)

    assert Order.objects.get(pk=placed.pk).promotion_notes == [
        {"sku": "GIFT", "reason": "out_of_stock"}
    ]


def test_a_note_without_a_change_writes_only_the_timestamp(placed):
    with CaptureQueriesContext(connection) as queries:
        record_note(order=placed, type="payment.timed_out", payload={})

    (update,) = _order_updates(queries)
    assigned = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    assert assigned.count("=") == 1 and '"updated_at"' in assigned
