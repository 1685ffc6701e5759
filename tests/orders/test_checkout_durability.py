"""The checkout step writes relax their own commit outside a transaction (shop.durability) and
still log every move and take a change made since the read; inside a transaction they commit
with it. On real PostgreSQL."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orders import services
from orders.models import Cart, CheckoutStepEvent
from tests.factories.orders import ADDRESSES, channel
from tests.shop.test_durability import relaxed, synchronous_commit

pytestmark = pytest.mark.django_db(transaction=True)


def _read(cart):
    return Cart.objects.select_related("market", "channel", "shipping_method").get(pk=cart.pk)


@pytest.fixture
def cart(us, stocked):
    cart = services.create_cart(market=us, channel=channel())
    services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=1)
    return _read(cart)


def test_steps_outside_a_transaction_relax_their_commit_and_log_every_move(cart):
    with CaptureQueriesContext(connection) as queries:
        services.record_checkout_step(cart=cart, step="identify")
        cart = services.set_checkout_contact(
            cart=cart, email="ada@example.com", enter_step="address"
        )
        cart = services.set_shipping_address(
            cart=cart, address=ADDRESSES["US"], enter_step="shipping"
        )
        services.record_checkout_step(cart=cart, step="address")

    assert relaxed(queries) == [True, True, True, True]
    assert synchronous_commit() == "on"
    stored = Cart.objects.get(pk=cart.pk)
    assert (stored.email, stored.shipping_address["postal_code"], stored.checkout_step) == (
        "ada@example.com",
        ADDRESSES["US"]["postal_code"],
        "address",
    )
    assert list(CheckoutStepEvent.objects.order_by("pk").values_list("kind", "step")) == [
        ("enter", "identify"),
        ("leave", "identify"),
        ("enter", "address"),
        ("leave", "address"),
        ("enter", "shipping"),
        ("leave", "shipping"),
        ("enter", "address"),
    ]


def test_a_relaxed_step_write_takes_a_change_made_since_the_read(cart):
    services.record_checkout_step(cart=cart, step="identify")
    as_read = _read(cart)
    services.set_shipping_address(cart=_read(cart), address=ADDRESSES["US"])  # another tab

    saved = services.set_checkout_contact(
        cart=as_read, email="ada@example.com", enter_step="address"
    )

    stored = Cart.objects.get(pk=cart.pk)
    assert (stored.email, stored.checkout_step) == ("ada@example.com", "address")
    assert stored.shipping_address["postal_code"] == ADDRESSES["US"]["postal_code"]
    assert saved.updated_at == stored.updated_at


def test_inside_a_transaction_a_step_commits_with_the_callers_transaction(cart):
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            services.record_checkout_step(cart=cart, step="identify")
            services.set_checkout_contact(cart=cart, email="ada@example.com")
        assert relaxed(queries) == [False, False]
        assert synchronous_commit() == "on"  # an order placed here would wait for the disk
    assert CheckoutStepEvent.objects.filter(cart=cart).count() == 1
