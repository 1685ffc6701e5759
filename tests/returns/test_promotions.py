"""A return that breaks a promotion's condition: the allocated discount stays with the line
(docs/returns.md, "Money of a refund")."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order
from promotions.services import import_promotions
from returns import services
from tests.factories.orders import checkout_ready_cart, place
from tests.returns.conftest import deliver

pytestmark = pytest.mark.django_db


def test_returning_one_of_two_keeps_the_lines_discount(variants, customer):
    now = timezone.now()
    import_promotions(
        [
            {
                "id": "two_tees_10",
                "name": "10% off when you buy two",
                "conditions": {
                    "markets": ["US"],
                    "cart_contains": {"any_of_skus": ["RET-ONE"], "min_quantity": 2},
                },
                "time_window": {
                    "starts_at": (now - timedelta(days=1)).isoformat(),
                    "ends_at": (now + timedelta(days=1)).isoformat(),
                },
                "action": {"type": "percent_off", "value": 10},
            }
        ]
    )
    cart = checkout_ready_cart(lines=[(variants[0], 2)], customer=customer)
    order = deliver(place(cart, customer=customer))
    line = order.lines.get()
    assert line.discount_cents == 200  # 10% of 2 x $10.00, allocated to the line

    rma = services.request_return(
        order=order,
        lines=[{"line_id": line.public_id, "quantity": 1, "reason": "damaged"}],
    )
    rma = services.receive_return(rma=rma)
    rma = services.inspect_return(
        rma=rma, lines=[{"line_id": line.public_id, "disposition": "resell"}]
    )
    rma = services.refund_return(rma=rma)

    # The kept unit no longer meets "buy two", but its discount is not taken back: the
    # returned unit refunds half of what the line cost after its discount, with its tax.
    assert rma.refund_cents == line.total_cents // 2
    assert rma.refund_cents == (2000 - 200 + line.tax_cents) // 2
    assert Order.objects.get(pk=order.pk).refunded_total_cents == rma.refund_cents
