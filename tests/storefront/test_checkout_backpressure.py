"""The buyer never waits on a queue: with the broker down, placing the order from the review
page answers as usual and the e-mail waits in PostgreSQL for the beat."""

import pytest

from orders.models import Order, OrderStatus
from shop.models import DeferredTask
from tests.broker_support import DEAD_BROKER
from tests.storefront.checkout_support import review_form, to_review

pytestmark = pytest.mark.django_db


def test_with_the_broker_down_the_buyer_places_the_order(
    client, tee, broker, django_capture_on_commit_callbacks, mailoutbox
):
    to_review(client)
    form = review_form(client)
    broker(DEAD_BROKER)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/checkout/place/", form)

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(f"/orders/{order.public_id}/")
    assert order.status == OrderStatus.PLACED
    assert "orders.tasks.send_order_notification" in DeferredTask.objects.values_list(
        "task", flat=True
    )
    assert mailoutbox == []
