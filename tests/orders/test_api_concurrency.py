"""POST /api/v1/orders under concurrency, on real PostgreSQL with threads: each thread is an
API client with its own database connection, as gunicorn workers would be."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from orders import providers
from orders.models import DummyCharge, Order, PaymentTransaction
from tests.factories.shop import UserFactory
from tests.orders.api_support import client_for, place, ready_cart

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


class SlowGateway:
    """The dummy gateway, answering after a pause: the first request is still running while
    the others arrive (a double click, a client retrying on a short timeout)."""

    def __init__(self):
        self._real = providers.payment_gateway()
        self.name = self._real.name

    def authorize(self, **kwargs):
        time.sleep(0.5)
        return self._real.authorize(**kwargs)

    def __getattr__(self, name):
        return getattr(self._real, name)


def _race(user, requests):
    """Run `requests` (callables taking a client) in threads that start together."""
    start = threading.Barrier(len(requests))

    def run(request):
        client = client_for(user)
        try:
            start.wait(timeout=30)
            response = request(client)
            return response.status_code, response.json(), response.get("Idempotent-Replayed")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(run, requests))


def test_twenty_requests_with_one_key_place_one_order_and_charge_once(stocked, us):
    user = UserFactory()
    cart_id = ready_cart(client_for(user), [("TEE-RED-M", 2)])

    with providers.override(payments=SlowGateway()):
        answers = _race(user, [lambda c: place(c, cart_id, key="double-click")] * THREADS)

    order = Order.objects.get()
    created = [body for status, body, _ in answers if status == 201]
    in_progress = [body for status, body, _ in answers if status == 409]
    assert len(created) + len(in_progress) == THREADS
    assert created and all(body == created[0] for body in created)
    assert created[0]["id"] == order.public_id
    assert {body["code"] for body in in_progress} <= {"request_in_progress"}
    assert sum(1 for status, _, replayed in answers if status == 201 and not replayed) == 1
    assert (order.status, DummyCharge.objects.count()) == ("placed", 1)
    assert PaymentTransaction.objects.filter(kind="authorize").count() == 1


def test_twenty_keys_for_one_cart_place_one_order(stocked, us):
    user = UserFactory()
    cart_id = ready_cart(client_for(user), [("TEE-RED-M", 1)])

    answers = _race(user, [lambda c, i=i: place(c, cart_id, key=f"k-{i}") for i in range(THREADS)])

    order = Order.objects.get()
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [201] + [409] * (THREADS - 1)
    assert {body["code"] for status, body, _ in answers if status == 409} == {"cart_not_open"}
    assert {body["order_id"] for status, body, _ in answers if status == 409} == {order.public_id}
    assert DummyCharge.objects.count() == 1
