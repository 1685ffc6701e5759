"""Return rules and refusals: the window, quantities across RMAs, bad input that changes
nothing, the refund cap, one refund per RMA whatever the clicks and timeouts (issue 12)."""

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from catalog.models import Category
from inventory.models import StockMovement
from orders import services as order_services
from orders.exceptions import PaymentFailed
from orders.models import (
    DummyCharge,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    PaymentTransaction,
)
from orders.providers.payments.base import GatewayTimeout
from orders.providers.payments.dummy import DummyGateway
from returns import labels, rules, services
from returns.exceptions import (
    InvalidInspection,
    InvalidReturnLines,
    InvalidReturnTransition,
    NotReturnable,
    OrderNotReturnable,
    QuantityExceedsReturnable,
    ReturnWindowExpired,
)
from returns.models import ReturnPolicy, ReturnRequest, ReturnStatus
from tests.factories.orders import checkout_ready_cart, place
from tests.returns.conftest import deliver

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def ask(order, line, qty=1, reason="changed_mind", **kwargs):
    return services.request_return(
        order=order,
        lines=[{"line_id": line.public_id, "quantity": qty, "reason": reason}],
        **kwargs,
    )


def first_line(order):
    return order.lines.order_by("pk").first()


def manual_policy(market, **fields):
    return ReturnPolicy.objects.create(market=market, auto_approve=False, **fields)


def inspected(order, line, qty=1, reason="changed_mind"):
    rma = ask(order, line, qty, reason)
    if rma.status == ReturnStatus.REQUESTED:
        rma = services.approve_return(rma=rma)
    rma = services.receive_return(rma=rma)
    return services.inspect_return(
        rma=rma, lines=[{"line_id": line.public_id, "disposition": "resell"}]
    )


# --- Window -------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "allowed"), [(0, True), (30, True), (31, False)])
def test_window_day_30_is_allowed_and_day_31_refused(placed, days, allowed):
    delivered_at = dt.datetime(2026, 10, 1, 12, 0, tzinfo=NY)
    order = deliver(placed, delivered_at=delivered_at)
    now = delivered_at + dt.timedelta(days=days, hours=11)  # 23:00 the same local day

    if allowed:
        assert ask(order, first_line(order), now=now).status == ReturnStatus.APPROVED
    else:
        with pytest.raises(ReturnWindowExpired) as refused:
            ask(order, first_line(order), now=now)
        assert refused.value.code == "return_window_expired"
        assert not ReturnRequest.objects.exists()


def test_window_counts_calendar_days_in_the_markets_time_zone(placed):
    # Delivered at 23:30 in New York on 1 November = 04:30 UTC on 2 November.
    order = deliver(placed, delivered_at=dt.datetime(2026, 11, 1, 23, 30, tzinfo=NY))
    # Noon on 2 December in New York: day 31 there, though only day 30 in UTC.
    now = dt.datetime(2026, 12, 2, 12, 0, tzinfo=NY)

    with pytest.raises(ReturnWindowExpired):
        ask(order, first_line(order), now=now)
    assert ask(order, first_line(order), now=now - dt.timedelta(days=1)).pk


def test_category_override_and_non_returnable_items(delivered):
    one, two, three = delivered.lines.order_by("pk")
    policy = manual_policy(delivered.market, window_days=30)
    final_sale = Category.objects.create(name="Final sale", slug="final-sale")
    two.variant.product.categories.add(final_sale)
    policy.non_returnable_categories.add(final_sale)
    policy.non_returnable_products.add(three.variant.product)
    short = Category.objects.create(name="Tech", slug="tech")
    one.variant.product.categories.add(short)
    policy.category_windows.create(category=short, window_days=7)
    later = delivered.shipments.get().delivered_at + dt.timedelta(days=8)

    for line in (two, three):
        with pytest.raises(NotReturnable) as refused:
            ask(delivered, line)
        assert refused.value.code == "not_returnable"
    with pytest.raises(ReturnWindowExpired):
        ask(delivered, one, now=later)
    assert not ReturnRequest.objects.exists()


# --- Quantities ---------------------------------------------------------------------------


def test_quantities_count_every_open_rma_and_come_back_when_one_is_cancelled(delivered):
    manual_policy(delivered.market)
    line = first_line(delivered)  # 2 delivered
    first = ask(delivered, line)
    ask(delivered, line)

    with pytest.raises(QuantityExceedsReturnable) as refused:
        ask(delivered, line)
    assert refused.value.code == "quantity_exceeds_returnable"

    services.cancel_return(rma=first)
    assert ask(delivered, line).status == ReturnStatus.REQUESTED
    with pytest.raises(QuantityExceedsReturnable):
        ask(delivered, line)


def test_returned_units_cannot_be_returned_again(delivered):
    line = first_line(delivered)
    services.refund_return(rma=inspected(delivered, line, 2))

    with pytest.raises(QuantityExceedsReturnable):
        ask(Order.objects.get(pk=delivered.pk), line)


# --- Bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "item",
    [
        {"quantity": 0, "reason": "damaged"},
        {"quantity": -1, "reason": "damaged"},
        {"quantity": "1", "reason": "damaged"},
        {"quantity": 1, "reason": "bored"},
        {"quantity": 1, "reason": "damaged", "line_id": "oli_someone_elses"},
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(delivered, item):
    item = {"line_id": first_line(delivered).public_id, **item}

    with pytest.raises(InvalidReturnLines):
        services.request_return(order=delivered, lines=[item])
    with pytest.raises(InvalidReturnLines):
        services.request_return(order=delivered, lines=[])
    assert not ReturnRequest.objects.exists()


def test_another_orders_line_is_unknown(delivered, variants):
    other = deliver(place(checkout_ready_cart(lines=[(variants[0], 1)])))

    with pytest.raises(InvalidReturnLines):
        ask(delivered, first_line(other))


def test_undelivered_and_cancelled_orders_cannot_be_returned(placed, variants):
    with pytest.raises(OrderNotReturnable):
        ask(placed, first_line(placed))
    cancelled = place(checkout_ready_cart(lines=[(variants[1], 1)]))
    order_services.cancel_order(order=cancelled, actor=None, reason="test")

    with pytest.raises(OrderNotReturnable) as refused:
        ask(Order.objects.get(pk=cancelled.pk), first_line(cancelled))
    assert refused.value.code == "order_not_returnable"
    assert not ReturnRequest.objects.exists()


def test_inspection_without_disposition_changes_nothing(delivered):
    manual_policy(delivered.market)
    line = first_line(delivered)
    rma = services.receive_return(rma=services.approve_return(rma=ask(delivered, line)))
    moves = StockMovement.objects.count()

    for lines in (
        [],
        [{"line_id": line.public_id}],
        [{"line_id": line.public_id, "disposition": "burn"}],
    ):
        with pytest.raises(InvalidInspection):
            services.inspect_return(rma=rma, lines=lines)
    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.RECEIVED
    assert StockMovement.objects.count() == moves


def test_steps_out_of_order_are_refused(delivered):
    manual_policy(delivered.market)
    rma = ask(delivered, first_line(delivered))

    with pytest.raises(InvalidReturnTransition):
        services.receive_return(rma=rma)
    with pytest.raises(InvalidReturnTransition):
        services.refund_return(rma=rma)
    services.reject_return(rma=rma, message="Worn")
    with pytest.raises(InvalidReturnTransition):
        services.approve_return(rma=rma)


# --- Refunds ------------------------------------------------------------------------------


def test_refund_never_exceeds_captured_minus_refunded(delivered):
    order_services.refund_payment(order=delivered, amount_cents=delivered.captured_cents - 100)
    rma = inspected(delivered, first_line(delivered), 2)

    rma = services.refund_return(rma=rma)

    order = Order.objects.get(pk=delivered.pk)
    assert rma.refund_cents == 100
    assert rma.refund_breakdown["lines"][0]["refund"] == 2080
    assert order.refunded_total_cents == order.captured_cents
    assert order.payment_status == PaymentStatus.REFUNDED


def test_refund_is_issued_once_on_a_double_click(delivered):
    rma = inspected(delivered, first_line(delivered), 2)

    first = services.refund_return(rma=rma)
    second = services.refund_return(rma=rma)

    assert first.refund_cents == second.refund_cents == 2080
    assert PaymentTransaction.objects.filter(order=delivered, kind="refund").count() == 1
    assert Order.objects.get(pk=delivered.pk).refunded_total_cents == 2080


def test_gateway_failure_leaves_the_rma_inspected_and_a_retry_refunds_once(delivered):
    rma = inspected(delivered, first_line(delivered), 2)
    real_refund = DummyGateway.refund

    def refunds_then_times_out(self, **kwargs):
        real_refund(self, **kwargs)  # the money moved, but the answer is lost
        raise GatewayTimeout("no answer")

    with (
        mock.patch.object(DummyGateway, "refund", refunds_then_times_out),
        pytest.raises(PaymentFailed),
    ):
        services.refund_return(rma=rma)

    failed = ReturnRequest.objects.get(pk=rma.pk)
    assert failed.status == ReturnStatus.INSPECTED
    assert "did not answer" in failed.refund_error
    assert Order.objects.get(pk=delivered.pk).refunded_total_cents == 0

    done = services.refund_return(rma=failed)

    assert done.status == ReturnStatus.REFUNDED and done.refund_error == ""
    order = Order.objects.get(pk=delivered.pk)
    assert order.refunded_total_cents == 2080
    assert PaymentTransaction.objects.filter(order=order, kind="refund").count() == 1
    charge = DummyCharge.objects.get(idempotency_key__startswith=order.public_id)
    assert charge.refunded_cents == 2080


def test_refund_on_receipt_then_inspection_completes_it(delivered):
    manual_policy(delivered.market, refund_timing="on_receipt")
    line = first_line(delivered)
    rma = services.receive_return(rma=services.approve_return(rma=ask(delivered, line)))

    rma = services.refund_return(rma=rma)
    assert (rma.status, rma.refund_cents) == (ReturnStatus.RECEIVED, 1040)

    rma = services.inspect_return(
        rma=rma, lines=[{"line_id": line.public_id, "disposition": "resell"}]
    )
    assert rma.status == ReturnStatus.REFUNDED
    assert Order.objects.get(pk=delivered.pk).refunded_total_cents == 1040


def test_original_shipping_comes_back_with_the_last_units(us, variants):
    manual_policy(us, refund_original_shipping=True)
    order = deliver(place(checkout_ready_cart(lines=[(variants[0], 1)])))
    shipping = order.total_cents - first_line(order).total_cents
    assert shipping > 0

    rma = services.refund_return(rma=inspected(order, first_line(order), 1, reason="damaged"))

    assert rma.refund_breakdown["shipping"] == shipping
    order = Order.objects.get(pk=order.pk)
    assert rma.refund_cents == order.captured_cents
    assert (order.status, order.payment_status) == (OrderStatus.RETURNED, PaymentStatus.REFUNDED)


def test_a_discounted_lines_refund_keeps_its_allocated_discount():
    # 3 units at $10.00 with $3.00 of a promotion allocated to the line and $2.16 tax.
    line = OrderLine(quantity=3, subtotal_cents=3000, discount_cents=300, tax_cents=216)
    line.total_cents = 3000 - 300 + 216

    shares = [rules.units_share(line, n, 1) for n in range(3)]

    assert shares == [972, 972, 972]
    assert sum(shares) == line.total_cents
    assert rules.units_share(line, 0, 2) + rules.units_share(line, 2, 1) == 2916


def test_restocking_fee_percent_and_fixed_never_for_damaged(us):
    policy = manual_policy(us)
    policy.restocking_fees.create(reason="changed_mind", percent_bp=1500, fixed_cents_per_unit=100)

    assert rules.restocking_fee(policy, "changed_mind", 2080, 2) == 312 + 200
    assert rules.restocking_fee(policy, "changed_mind", 150, 2) == 150  # never above paid
    assert rules.restocking_fee(policy, "damaged", 2080, 2) == 0
    assert rules.restocking_fee(policy, "doesnt_fit", 2080, 2) == 0


def test_default_policy_auto_approves_small_returns_with_a_label(delivered):
    rma = ask(delivered, first_line(delivered))

    assert rma.status == ReturnStatus.APPROVED and rma.auto_approved
    assert rma.events.values_list("kind", "actor_label")[1] == ("approved", "auto-approve")
    pdf = labels.label_provider().render_pdf(rma=rma)
    assert pdf.startswith(b"%PDF") and f"Return label {rma.reference}".encode() in pdf


@pytest.mark.parametrize(
    ("qty", "outcome", "fits"),
    [
        (2, "received", True),
        (1, "received", False),
        (1, "short_shipped", True),
        (2, "short_shipped", False),
        (0, "wrong_item", True),
        (1, "wrong_item", False),
        (0, "lost_in_transit", True),
    ],
)
def test_reception_outcome_must_fit_the_count(delivered, qty, outcome, fits):
    line = first_line(delivered)
    rma = ask(delivered, line, 2)  # auto-approved
    lines = [{"line_id": line.public_id, "quantity": qty, "outcome": outcome}]

    if fits:
        rma = services.receive_return(rma=rma, lines=lines)
        assert rma.lines.get().reception_outcome == outcome
    else:
        with pytest.raises(InvalidReturnLines):
            services.receive_return(rma=rma, lines=lines)
        assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.APPROVED


def test_nothing_back_refunds_nothing_and_restocks_nothing(delivered):
    line = first_line(delivered)
    rma = ask(delivered, line, 2)
    rma = services.receive_return(
        rma=rma, lines=[{"line_id": line.public_id, "quantity": 0, "outcome": "wrong_item"}]
    )
    moves = StockMovement.objects.count()

    rma = services.inspect_return(rma=rma, lines=[])
    rma = services.refund_return(rma=rma)

    assert (rma.status, rma.refund_cents) == (ReturnStatus.REFUNDED, 0)
    assert StockMovement.objects.count() == moves
    order = Order.objects.get(pk=delivered.pk)
    assert (order.refunded_total_cents, order.status) == (0, OrderStatus.DELIVERED)
    assert not PaymentTransaction.objects.filter(order=order, kind="refund").exists()
    assert ask(order, line, 2).status == ReturnStatus.APPROVED  # the units are returnable again
