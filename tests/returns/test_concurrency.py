"""Returns under real concurrency on PostgreSQL (threads, each with its own connection):
customers asking to return the same units at once never exceed what was delivered, and two
refund clicks at once refund once."""

import pytest

from orders.models import Order, PaymentTransaction
from returns import services
from returns.exceptions import QuantityExceedsReturnable, RefundInProgress
from returns.models import ReturnLine, ReturnPolicy, ReturnRequest, ReturnStatus
from tests.concurrency import together
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.orders import checkout_ready_cart, place
from tests.returns.conftest import deliver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
REFUSALS = (QuantityExceedsReturnable, RefundInProgress)


@pytest.fixture
def order_of_three():
    us = market("US")
    ReturnPolicy.objects.create(market=us, auto_approve=False)
    where = LocationFactory(code="race-ret")
    variant = VariantFactory(sku="RACE-RET", prices={"USD": 1500})
    stock(variant, where, 10)
    return deliver(place(checkout_ready_cart(lines=[(variant, 3)])))


def test_concurrent_requests_for_one_line_never_exceed_the_delivered_units(order_of_three):
    line = order_of_three.lines.get()

    ok, refused, errors = together(
        5,
        lambda i: services.request_return(
            order=order_of_three,
            lines=[{"line_id": line.public_id, "quantity": 1 + i % 2, "reason": "doesnt_fit"}],
        ),
        refusals=REFUSALS,
    )

    assert errors == []
    asked = sum(ln.quantity for ln in ReturnLine.objects.filter(order_line=line))
    assert asked <= 3 and len(ok) + len(refused) == 5
    assert len(ok) >= 2 and refused  # 1 + 2 or 1 + 1 + 1 fit, never more


def test_two_refund_clicks_at_once_refund_once(order_of_three):
    line = order_of_three.lines.get()
    rma = services.request_return(
        order=order_of_three,
        lines=[{"line_id": line.public_id, "quantity": 2, "reason": "damaged"}],
    )
    rma = services.receive_return(rma=services.approve_return(rma=rma))
    rma = services.inspect_return(
        rma=rma, lines=[{"line_id": line.public_id, "disposition": "resell"}]
    )

    ok, refused, errors = together(2, lambda i: services.refund_return(rma=rma), refusals=REFUSALS)

    assert errors == []
    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.REFUNDED
    order = Order.objects.get(pk=order_of_three.pk)
    assert PaymentTransaction.objects.filter(order=order, kind="refund").count() == 1
    assert order.refunded_total_cents == line.total_cents * 2 // 3
