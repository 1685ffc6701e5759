"""shop.compiled: a queryset compiled once per connection gives what the queryset gives."""

from datetime import datetime

import pytest
from django.db import connection, transaction
from django.db.models import Count, F
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from orders.models import Cart, CartLine
from shop.compiled import CompiledQuery
from tests.concurrency import together
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.orders import (
    CartFactory,
    CartLineFactory,
    checkout_ready_cart,
    ensure_order_config,
)

pytestmark = pytest.mark.django_db

CARTS = CompiledQuery(
    lambda public_id: (
        Cart.objects.select_related("market", "channel", "shipping_method", "order")
        .annotate(line_count=Count("lines"), twice=F("id") * 2)
        .filter(public_id=public_id)
    ),
    public_id=str,
)


def _ready_cart(sku: str = "SKU-COMPILED", quantity: int = 2) -> Cart:
    ensure_order_config()
    variant = VariantFactory(sku=sku, prices={"USD": 1200})
    stock(variant, LocationFactory(code=f"loc-{sku.lower()}", country="US"), 10)
    return checkout_ready_cart(lines=[(variant, quantity)])


def _fields(cart: Cart) -> dict:
    return {f.attname: getattr(cart, f.attname) for f in Cart._meta.concrete_fields}


def test_objects_are_what_the_queryset_gives_with_joins_annotations_and_converters():
    cart = _ready_cart()
    CartLineFactory(cart=cart)
    expected = (
        Cart.objects.select_related("market", "channel", "shipping_method", "order")
        .annotate(line_count=Count("lines"), twice=F("id") * 2)
        .get(public_id=cart.public_id)
    )

    (got,) = CARTS.objects(public_id=cart.public_id)

    assert _fields(got) == _fields(expected)
    assert isinstance(got.shipping_address, dict)  # the JSON converter ran
    assert got.shipping_address == expected.shipping_address
    assert (got.line_count, got.twice) == (2, cart.pk * 2)
    with CaptureQueriesContext(connection) as reads:
        assert got.market.code == expected.market.code
        assert got.channel.code == expected.channel.code
        assert got.shipping_method.code == expected.shipping_method.code
        assert getattr(got, "order", None) is None  # a reverse one-to-one, joined as absent
    assert reads.captured_queries == []  # everything joined came with the row
    assert got._state.adding is False and got._state.db == "default"


def test_each_run_takes_its_own_values_and_is_one_counted_statement():
    market("US")
    first, second = CartFactory(), CartFactory()
    with CaptureQueriesContext(connection) as ran:
        assert [c.pk for c in CARTS.objects(public_id=first.public_id)] == [first.pk]
        assert [c.pk for c in CARTS.objects(public_id=second.public_id)] == [second.pk]
        assert list(CARTS.objects(public_id="cart_nosuchcart")) == []
    assert len(ran.captured_queries) == 3


def test_rows_of_a_values_list_and_an_int_slot():
    cart = _ready_cart("SKU-ROWS", 3)
    lines = CompiledQuery(
        lambda cart_id: CartLine.objects.filter(cart_id=cart_id).values_list(
            "variant__sku", "quantity"
        ),
        cart_id=int,
    )
    assert [tuple(row) for row in lines.rows(cart_id=cart.pk)] == [("SKU-ROWS", 3)]
    assert lines.rows(cart_id=str(cart.pk)) == lines.rows(cart_id=cart.pk)  # coerced
    assert lines.rows(cart_id=cart.pk + 10_000) == []


@pytest.mark.django_db(transaction=True)
def test_for_update_refuses_to_run_outside_a_transaction():
    cart = _ready_cart()
    locking = CompiledQuery(lambda pk: Cart.objects.select_for_update().filter(pk=pk), pk=int)
    with transaction.atomic():
        (locked,) = locking.objects(pk=cart.pk)
        assert locked.pk == cart.pk
    with pytest.raises(TransactionManagementError):
        list(locking.objects(pk=cart.pk))


def test_mistakes_in_the_definition_or_the_call_are_loud():
    with pytest.raises(TypeError):
        CompiledQuery(lambda when: Cart.objects.filter(created_at=when), when=float)
    ignored = CompiledQuery(lambda public_id: Cart.objects.filter(pk=1), public_id=str)
    with pytest.raises(ValueError, match="slot public_id"):
        ignored.rows(public_id="x")
    with pytest.raises(TypeError):
        CARTS.rows(public_id="x", extra=1)


def test_a_new_query_never_runs_what_a_collected_one_compiled():
    # CPython reuses a collected object's id at once; the compiled form of a query built and
    # dropped earlier stays on the connection and must not be handed to a newcomer.
    seen_keys = set()
    for _ in range(50):
        counted = CompiledQuery(
            lambda public_id: Cart.objects.filter(public_id=public_id).values_list("pk"),
            public_id=str,
        )
        assert counted.rows(public_id="cart_none") == []
        seen_keys.add(counted.key)
        del counted
        by_pk = CompiledQuery(lambda pk: Cart.objects.filter(pk=pk).values_list("pk"), pk=int)
        assert by_pk.rows(pk=-1) == []
        seen_keys.add(by_pk.key)
        del by_pk
    assert len(seen_keys) == 100


@pytest.mark.django_db(transaction=True)
def test_every_thread_compiles_on_its_own_connection():
    market("US")
    carts = [CartFactory() for _ in range(4)]

    def read(i):
        return carts[i].pk, [c.pk for c in CARTS.objects(public_id=carts[i].public_id)]

    found, refused, errors = together(len(carts), read, refusals=())
    assert (refused, errors) == ([], [])
    assert dict(found) == {cart.pk: [cart.pk] for cart in carts}


def test_datetime_and_ip_address_slots_are_handed_over_as_the_orm_does():
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import FraudAssessment
    from shop.compiled import IPAddress
    from tests.factories.orders import place

    order = place(_ready_cart())
    FraudAssessment.objects.filter(order=order).update(client_ip="203.0.113.9")
    recent = CompiledQuery(
        lambda since, ip: FraudAssessment.objects.filter(
            created_at__gte=since, client_ip=ip
        ).values_list("order_id"),
        since=datetime,
        ip=IPAddress,
    )
    hour_ago = timezone.now() - timedelta(hours=1)
    assert recent.rows(since=hour_ago, ip="203.0.113.9") == [(order.pk,)]
    assert recent.rows(since=hour_ago, ip="203.0.113.10") == []
    assert recent.rows(since=timezone.now() + timedelta(hours=1), ip="203.0.113.9") == []
    with pytest.raises(TypeError):
        recent.rows(since="yesterday", ip="203.0.113.9")
