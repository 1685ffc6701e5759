"""Filing a placed order's sale (orders/services/tax.py): the manual table inside the placing
transaction, a remote provider from Celery after commit, a failure noted and never undoing
the sale."""

from unittest import mock

import pytest

from orders import providers
from orders import tasks as order_tasks
from orders.models import Order, OrderStatus
from orders.providers.tax.manual import ManualTaxProvider
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.orders import checkout_ready_cart, place
from tests.tax_support import RemoteTaxProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked():
    variant = VariantFactory()
    stock(variant, LocationFactory(code="us-east", country="US"), 20)
    return variant


def test_the_manual_table_files_the_sale_with_the_placement_and_queues_no_task(
    stocked, django_capture_on_commit_callbacks
):
    cart = checkout_ready_cart(lines=[(stocked, 2)])
    with (
        mock.patch.object(order_tasks.commit_order_tax, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=False),
    ):
        order = place(cart)

    assert order.status == OrderStatus.PLACED
    queued.assert_not_called()
    # Saved by the transaction that placed the order, before any after-commit work ran.
    assert order.tax_reference == f"manual:{order.reference}"
    assert Order.objects.get(pk=order.pk).tax_reference == f"manual:{order.reference}"


def test_a_remote_provider_files_from_celery_after_commit(
    stocked, django_capture_on_commit_callbacks
):
    remote = RemoteTaxProvider()
    cart = checkout_ready_cart(lines=[(stocked, 1)])
    with (
        providers.override(tax=remote),
        mock.patch.object(order_tasks.commit_order_tax, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = place(cart)

    assert order.status == OrderStatus.PLACED
    assert queued.call_count == 1
    assert queued.call_args.kwargs["args"] == (order.pk,)
    assert remote.filed == []  # nothing sent to the provider while the order was locked
    assert Order.objects.get(pk=order.pk).tax_reference == ""

    with providers.override(tax=remote):
        order_tasks.commit_order_tax.apply(args=[order.pk]).get()

    assert remote.filed == [order.reference]
    assert Order.objects.get(pk=order.pk).tax_reference == f"remote:{order.reference}"


def test_a_failed_in_process_filing_is_noted_and_the_order_stands(stocked):
    class Refusing(ManualTaxProvider):
        def commit(self, *, order_reference, quote):
            raise RuntimeError("filing refused")

    cart = checkout_ready_cart(lines=[(stocked, 1)])
    with providers.override(tax=Refusing()):
        order = place(cart)

    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert order.tax_reference == ""
    note = order.events.get(type="tax.commit_failed")
    assert note.payload == {"detail": "filing refused"}


def test_the_sale_filed_in_process_is_the_order_lines_tax(stocked):
    seen = []

    class Recording(ManualTaxProvider):
        def commit(self, *, order_reference, quote):
            seen.append(quote)
            return super().commit(order_reference=order_reference, quote=quote)

    cart = checkout_ready_cart(lines=[(stocked, 3)])
    with providers.override(tax=Recording()):
        order = place(cart)

    (quote,) = seen
    (line,) = order.lines.all()
    assert list(quote.items) == [line.public_id]
    assert quote.items[line.public_id].tax_cents == line.tax_cents
    assert quote.total_tax_cents == sum(i.tax_cents for i in quote.items.values())
