import itertools

import pytest

from orders import services as order_services
from orders.models import Order, Shipment
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.orders import checkout_ready_cart, place

_tracking = itertools.count(1)


def deliver(order, *, delivered_at=None):
    """Ship everything from where it is held and deliver it; `delivered_at` back-dates the
    parcel's trip (the services refuse a delivery before the shipping they just did)."""
    order = Order.objects.get(pk=order.pk)
    todo = {line: line.quantity_unfulfilled for line in order.lines.all()}
    shipment = order_services.create_shipment(order=order, lines=todo)
    order_services.ship_shipment(
        shipment=shipment, carrier="ups", tracking_number=f"1ZRET{next(_tracking):05d}"
    )
    order_services.deliver_shipment(shipment=shipment)
    if delivered_at is not None:
        Shipment.objects.filter(pk=shipment.pk).update(
            shipped_at=delivered_at, delivered_at=delivered_at
        )
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def us(db):
    return market("US")


@pytest.fixture
def warehouse(us):
    return LocationFactory(code="us-east", country="US", priority=10)


@pytest.fixture
def shelf_b(us):
    return LocationFactory(code="us-west", country="US", priority=20)


@pytest.fixture
def variants(warehouse):
    """Three SKUs stocked at us-east."""
    made = [
        VariantFactory(sku="RET-ONE", prices={"USD": 1000}),
        VariantFactory(sku="RET-TWO", prices={"USD": 2500}),
        VariantFactory(sku="RET-THREE", prices={"USD": 333}),
    ]
    for variant in made:
        stock(variant, warehouse, 10)
    return made


@pytest.fixture
def placed(variants, customer):
    one, two, three = variants
    cart = checkout_ready_cart(lines=[(one, 2), (two, 1), (three, 3)], customer=customer)
    return place(cart, customer=customer)


@pytest.fixture
def delivered(placed):
    return deliver(placed)
