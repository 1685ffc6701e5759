"""The customer's order page shows each parcel: its items, carrier and a tracking link."""

import pytest

from inventory.models import Location
from orders import services
from tests.factories.orders import checkout_ready_cart, place

pytestmark = pytest.mark.django_db


def test_the_order_page_shows_each_shipment_with_its_tracking_link(client, tee, customer):
    cart = checkout_ready_cart(lines=[(tee, 3)], customer=customer, email=customer.email)
    order = place(cart, customer=customer)
    (line,) = order.lines.all()
    where = Location.objects.get()
    first = services.create_shipment(order=order, location=where, lines={line: 2})
    services.ship_shipment(shipment=first, carrier="ups", tracking_number="1ZSHOP01")
    services.create_shipment(order=order, location=where, lines={line: 1})
    client.force_login(customer)

    response = client.get(f"/orders/{order.public_id}/")

    rows = response.context["shipments"]
    assert [(r.status, r.carrier, [i.quantity for i in r.items]) for r in rows] == [
        ("shipped", "UPS", [2]),
        ("pending", "", [1]),
    ]
    html = response.content.decode()
    assert 'href="https://www.ups.com/track?tracknum=1ZSHOP01"' in html
    assert 'rel="noopener noreferrer"' in html
    assert "Part of your order is on its way" in html
    assert [e.label for e in response.context["timeline"]][-1] == "Payment taken"


def test_a_cancelled_shipment_is_not_shown(client, tee, customer):
    cart = checkout_ready_cart(lines=[(tee, 1)], customer=customer, email=customer.email)
    order = place(cart, customer=customer)
    (line,) = order.lines.all()
    shipment = services.create_shipment(
        order=order, location=Location.objects.get(), lines={line: 1}
    )
    services.cancel_shipment(shipment=shipment)
    client.force_login(customer)

    response = client.get(f"/orders/{order.public_id}/")

    assert response.context["shipments"] == []
    assert "data-shipments" not in response.content.decode()
