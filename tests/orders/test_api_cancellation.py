"""POST /api/v1/orders/{id}/cancel: the customer before anything ships, Operations for the
whole order or single lines; bad input and late cancellations change nothing."""

import pytest

from inventory.models import StockLevel
from orders.models import Order
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import stock
from tests.orders.api_support import client_for, footprint, place, ready_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(customer):
    return client_for(customer)


@pytest.fixture
def ops(operations_user):
    return client_for(operations_user)


@pytest.fixture
def order(buyer, stocked, warehouse, us):
    """2 × TEE-RED-M and 1 × MUG-1."""
    stock(VariantFactory(sku="MUG-1", prices={"USD": 1200}), warehouse, 5)
    body = place(buyer, ready_cart(buyer, [("TEE-RED-M", 2), ("MUG-1", 1)])).json()
    assert body["status"] == "placed"
    return body


def cancel(client, order, body=None):
    return client.post(f"/api/v1/orders/{order['id']}/cancel", body or {}, format="json")


def line(order, sku):
    return next(ln for ln in order["lines"] if ln["sku"] == sku)


def test_operations_cancel_one_line_and_the_rest_goes_on(ops, order):
    mug = line(order, "MUG-1")

    response = cancel(ops, order, {"lines": [{"line_id": mug["id"], "quantity": 1}]})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["payment_status"]) == ("placed", "authorized")
    assert body["events"][-1]["type"] == "order.lines_cancelled"
    assert line(body, "MUG-1")["quantity_cancelled"] == 1
    assert StockLevel.objects.get(variant__sku="MUG-1").reserved == 0
    assert StockLevel.objects.get(variant__sku="TEE-RED-M").reserved == 2


def test_a_customer_may_not_cancel_single_lines(buyer, order):
    before = footprint()

    response = cancel(
        buyer, order, {"lines": [{"line_id": line(order, "MUG-1")["id"], "quantity": 1}]}
    )

    assert response.status_code == 403
    assert footprint() == before


@pytest.mark.parametrize(
    "lines",
    [
        [{"line_id": "oli_nope", "quantity": 1}],
        [{"line_id": "MUG", "quantity": 0}],
        [{"line_id": "MUG", "quantity": "x"}],
        [{"line_id": "MUG"}],
        "all",
        [{"line_id": "MUG", "quantity": 10_000}],
    ],
)
def test_bad_lines_are_400_and_change_nothing(ops, order, lines):
    if isinstance(lines, list):
        lines = [
            {**item, "line_id": line(order, "MUG-1")["id"]}
            if item.get("line_id") == "MUG"
            else item
            for item in lines
        ]
    before = footprint()

    response = cancel(ops, order, {"lines": lines})

    assert response.status_code == 400
    assert response.json()["code"] in ("validation_error", "invalid_quantity")
    assert footprint() == before


def test_more_units_than_are_left_is_409_naming_the_line(ops, order):
    response = cancel(
        ops, order, {"lines": [{"line_id": line(order, "MUG-1")["id"], "quantity": 2}]}
    )

    assert (response.status_code, response.json()["code"]) == (409, "line_not_cancellable")
    assert "MUG-1" in response.json()["detail"]


def test_cancelling_a_delivered_order_is_409_and_changes_nothing(ops, order):
    from orders import services

    placed = Order.objects.get(public_id=order["id"])
    services.ship_order_lines(order=placed)
    services.deliver_order(order=placed)
    before = footprint()

    response = cancel(ops, order)

    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    assert footprint() == before
    assert Order.objects.get(public_id=order["id"]).status == "delivered"


def test_cancelling_a_partially_shipped_order_cancels_the_rest_and_leaves_it_fulfilled(
    ops, buyer, order
):
    from orders import services

    placed = Order.objects.get(public_id=order["id"])
    tee = line(order, "TEE-RED-M")
    services.ship_order_lines(order=placed, lines=[{"line_id": tee["id"], "quantity": 2}])
    refused = cancel(buyer, order)  # the customer: not once something shipped
    assert (refused.status_code, refused.json()["code"]) == (409, "invalid_transition")

    response = cancel(ops, order, {"reason": "mug discontinued"})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "fulfilled"
    assert body["events"][-1]["type"] == "order.lines_cancelled"
    assert (
        line(body, "MUG-1")["quantity_cancelled"],
        line(body, "TEE-RED-M")["quantity_cancelled"],
    ) == (1, 0)
    assert StockLevel.objects.get(variant__sku="MUG-1").reserved == 0
    again = cancel(ops, order)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
