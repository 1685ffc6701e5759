import pytest

from inventory.models import Reservation, StockLevel
from orders.models import OrderStatus, PaymentStatus
from tests.factories.orders import checkout_ready_cart, place

pytestmark = pytest.mark.django_db


def test_place_order_with_visa_places_and_commits_stock(stocked):
    cart = checkout_ready_cart(lines=[(stocked, 2)])

    order = place(cart)

    assert (order.status, order.payment_status) == (OrderStatus.PLACED, PaymentStatus.AUTHORIZED)
    # 2 x $25.00, shipping $5.99 (under the $50 free-shipping threshold: 5000 is not < 5000)
    assert order.subtotal_cents == 5000
    assert order.shipping_total_cents == 0
    assert order.tax_total_cents == 200  # NY 4% of 5000, shipping free
    assert order.total_cents == 5200
    assert StockLevel.objects.get(variant=stocked).reserved == 2
    assert list(
        Reservation.objects.filter(owner=order.public_id).values_list("status", "quantity")
    ) == [("committed", 2)]
