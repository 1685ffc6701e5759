"""The checkout step log written in one statement, on real PostgreSQL: what it costs a page,
and two tabs moving the same cart at once (each leave names the step really left)."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orders import services
from orders.models import Cart, CheckoutStepEvent
from tests.factories.orders import channel


@pytest.fixture
def cart(us, stocked):
    cart = services.create_cart(market=us, channel=channel())
    services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=1)
    return cart


def logged(cart):
    return list(
        CheckoutStepEvent.objects.filter(cart=cart).order_by("pk").values_list("kind", "step")
    )


@pytest.mark.django_db
def test_moving_to_another_step_is_one_statement(cart):
    services.record_checkout_step(cart=cart, step="identify")
    with CaptureQueriesContext(connection) as ran:
        services.record_checkout_step(cart=cart, step="address")

    assert len(ran.captured_queries) == 1  # was BEGIN, SELECT … FOR UPDATE, INSERT, UPDATE, COMMIT
    assert cart.checkout_step == "address"
    assert Cart.objects.get(pk=cart.pk).checkout_step == "address"
    assert logged(cart) == [
        ("enter", "identify"),
        ("leave", "identify"),
        ("enter", "address"),
    ]


@pytest.mark.django_db
def test_a_stale_cart_already_on_the_step_logs_nothing(cart):
    stale = Cart.objects.get(pk=cart.pk)  # read before the other tab moved
    services.record_checkout_step(cart=cart, step="shipping")

    services.record_checkout_step(cart=stale, step="shipping")

    assert logged(cart) == [("enter", "shipping")]


@pytest.mark.django_db
def test_the_update_time_moves_with_the_step(cart):
    before = Cart.objects.get(pk=cart.pk).updated_at
    services.record_checkout_step(cart=cart, step="identify")

    assert Cart.objects.get(pk=cart.pk).updated_at > before


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_second_tab_waits_and_leaves_the_step_the_first_entered(cart):
    """Tab A holds the cart's lock while it moves to `address`; tab B, which read the cart when
    it was on `identify`, moves to `shipping` meanwhile. B waits, then leaves `address` (not
    `identify`, which A already left): the log reads as one path."""
    services.record_checkout_step(cart=cart, step="identify")
    stale = Cart.objects.get(pk=cart.pk)
    locked, b_started = threading.Event(), threading.Event()
    errors = []

    def tab_a():
        try:
            with transaction.atomic():
                Cart.objects.select_for_update().get(pk=cart.pk)
                locked.set()
                b_started.wait(10)
                # Give B time to block on the lock before A moves and commits.
                threading.Event().wait(0.3)
                services.record_checkout_step(cart=Cart.objects.get(pk=cart.pk), step="address")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    def tab_b():
        try:
            locked.wait(10)
            b_started.set()
            services.record_checkout_step(cart=stale, step="shipping")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=tab_a), threading.Thread(target=tab_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert logged(cart) == [
        ("enter", "identify"),
        ("leave", "identify"),
        ("enter", "address"),
        ("leave", "address"),
        ("enter", "shipping"),
    ]
    assert Cart.objects.get(pk=cart.pk).checkout_step == "shipping"
