"""The whole life of a return, to the cent: request 2 of 3 lines, approve, receive, inspect
(one line resold at a chosen location, one scrapped), refund (issue 12)."""

import pytest
from django.core import mail

from inventory.models import MovementKind, StockLevel, StockMovement
from orders.models import Order, OrderEvent, OrderStatus, PaymentStatus, PaymentTransaction
from returns import services
from returns.models import ReturnEvent, ReturnPolicy, ReturnStatus

pytestmark = pytest.mark.django_db


def on_hand(sku, location):
    return StockLevel.objects.get(variant__sku=sku, location=location).on_hand


def test_request_approve_receive_inspect_refund(
    delivered,
    customer,
    operations_user,
    finance_user,
    warehouse,
    shelf_b,
    django_capture_on_commit_callbacks,
):
    # US policy: a person approves; 10% restocking fee when it doesn't fit; the customer
    # pays the $5.00 return label.
    policy = ReturnPolicy.objects.create(
        market=delivered.market,
        auto_approve=False,
        return_shipping_paid_by="customer",
        return_label_cents=500,
    )
    policy.restocking_fees.create(reason="doesnt_fit", percent_bp=1000)
    one, two, three = delivered.lines.order_by("pk")
    # 2 x $10.00 + $0.80 tax; 1 x $25.00 + $1.00; 3 x $3.33 + $0.40 (NY rates, seeded).
    assert [ln.total_cents for ln in (one, two, three)] == [2080, 2600, 1039]
    assert delivered.captured_cents == delivered.total_cents == 5719

    rma = services.request_return(
        order=delivered,
        lines=[
            {"line_id": one.public_id, "quantity": 2, "reason": "doesnt_fit"},
            {"line_id": three.public_id, "quantity": 1, "reason": "damaged", "note": "cracked"},
        ],
        actor=customer,
    )
    assert rma.public_id.startswith("rma_") and rma.status == ReturnStatus.REQUESTED
    with django_capture_on_commit_callbacks(execute=True):
        rma = services.approve_return(rma=rma, actor=operations_user)
    assert rma.status == ReturnStatus.APPROVED and rma.label_tracking_number
    approved_mail = mail.outbox[-1]
    assert approved_mail.attachments[0][0] == f"return-label-{rma.reference}.pdf"

    rma = services.receive_return(rma=rma, actor=operations_user)
    rma = services.inspect_return(
        rma=rma,
        lines=[
            {"line_id": one.public_id, "disposition": "resell", "location": shelf_b.code},
            {"line_id": three.public_id, "disposition": "scrap"},
        ],
        actor=operations_user,
    )
    assert rma.status == ReturnStatus.INSPECTED
    assert on_hand("RET-ONE", shelf_b) == 2
    assert on_hand("RET-THREE", warehouse) == 10 - 3

    with django_capture_on_commit_callbacks(execute=True):
        rma = services.refund_return(rma=rma, actor=finance_user)

    # Line 1: 2080 paid - 208 fee (10%, half up); line 3: one third of 1039 = 346, no fee
    # (damaged); minus the 500 label.
    expected = 2080 - 208 + 346 - 500
    assert rma.refund_breakdown["lines"][0]["restocking_fee"] == 208
    assert rma.status == ReturnStatus.REFUNDED and rma.refund_cents == expected
    order = Order.objects.get(pk=delivered.pk)
    assert order.refunded_total_cents == expected
    assert (order.status, order.payment_status) == (
        OrderStatus.PARTIALLY_RETURNED,
        PaymentStatus.PARTIALLY_REFUNDED,
    )
    assert [ln.quantity_returned for ln in order.lines.order_by("pk")] == [2, 0, 1]
    refunds = PaymentTransaction.objects.filter(order=order, kind="refund")
    assert [t.amount_cents for t in refunds] == [expected]
    # Ledger: a return restock at B for the resold line; restock + write-off for the scrap.
    moves = StockMovement.objects.filter(reference=rma.reference).order_by("pk")
    assert [(m.variant.sku, m.location.code, m.kind, m.delta) for m in moves] == [
        ("RET-ONE", shelf_b.code, MovementKind.RETURN_RESTOCK, 2),
        ("RET-THREE", warehouse.code, MovementKind.RETURN_RESTOCK, 1),
        ("RET-THREE", warehouse.code, MovementKind.WRITE_OFF, -1),
    ]
    assert list(ReturnEvent.objects.filter(rma=rma).values_list("kind", "to_status")) == [
        ("requested", "requested"),
        ("approved", "approved"),
        ("received", "received"),
        ("inspected", "inspected"),
        ("refunded", "refunded"),
        ("tax.refunded", "refunded"),
    ]
    assert OrderEvent.objects.filter(order=order, type="rma.completed").count() == 1
    assert [m.subject.split(" ")[1] for m in mail.outbox[-2:]][-1] == "refund"


def test_rejected_and_received_returns_email_the_customer(
    delivered, operations_user, django_capture_on_commit_callbacks
):
    ReturnPolicy.objects.create(market=delivered.market, auto_approve=False)
    one, two, _three = delivered.lines.order_by("pk")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = services.request_return(
            order=delivered, lines=[{"line_id": one.public_id, "quantity": 1, "reason": "other"}]
        )
        services.reject_return(rma=first, actor=operations_user, message="Worn and washed.")
        second = services.request_return(
            order=delivered,
            lines=[{"line_id": two.public_id, "quantity": 1, "reason": "wrong_item"}],
        )
        services.approve_return(rma=second, actor=operations_user)
        services.receive_return(
            rma=second, lines=[{"line_id": two.public_id, "quantity": 1}], actor=operations_user
        )

    assert [(m.to, m.subject.split(":")[0]) for m in mail.outbox] == [
        (["buyer@example.com"], f"About your return request {first.reference}"),
        (["buyer@example.com"], f"Your return {second.reference} is approved"),
        (["buyer@example.com"], f"We received your return {second.reference}"),
    ]
    assert "Worn and washed." in mail.outbox[0].body
