"""Filing a placed order's sale with the tax provider.

A provider that files in this process (`TaxProvider.commits_in_process`, the manual table) is
told inside the transaction that places the order, and the reference is saved with it; a
remote one (Stripe Tax, Avalara) from Celery once that transaction has committed, outside
every lock. A Celery task per order only to make up the manual table's reference cost more
CPU than anything else after the order was placed (docs/orders.md "Load profile").
"""

from __future__ import annotations

from orders import providers, selectors
from orders import tasks as order_tasks
from orders.models import Order
from orders.providers.tax.base import ItemTax, TaxProvider, TaxQuote
from orders.services.events import record_note
from shop import jobs


def commit_tax_of_placed_order(order: Order) -> None:
    """The locked `order` has just been placed: file its sale now (a provider that files in
    this process: `order.tax_reference` is set, for the caller's save of the order) or queue
    `commit_tax` for after commit."""
    provider = providers.tax_provider()
    # An adapter written before the attribute existed is taken for a remote one: Celery.
    if not getattr(provider, "commits_in_process", False):
        jobs.enqueue_on_commit(order_tasks.commit_order_tax, order.pk)
        return
    # The lines the order was just created with, by the compiled read the order pages use.
    reference = _filed_reference(selectors.load_order_lines(order), provider)
    if reference is not None:
        order.tax_reference = reference


def commit_tax(order: Order) -> None:
    """Tell the tax provider the sale happened (it files it). Outside any lock (Celery); a
    failure is noted on the order's timeline for Finance and does not undo the sale."""
    reference = _filed_reference(order, providers.tax_provider())
    if reference is not None:
        Order.objects.filter(pk=order.pk).update(tax_reference=reference)
        order.tax_reference = reference


def _filed_reference(order: Order, provider: TaxProvider) -> str | None:
    """The provider's reference for the order's sale, or None (noted on the timeline) when it
    could not file it."""
    quote = TaxQuote(
        provider=order.tax_provider,
        prices_include_tax=order.prices_include_tax,
        items={
            line.public_id: ItemTax(
                line.public_id,
                line.subtotal_cents,
                line.discount_cents,
                line.tax_cents,
                line.tax_rate_ppm,
            )
            for line in order.lines.all()
        },
        shipping=None,
    )
    try:
        reference = provider.commit(order_reference=order.reference, quote=quote)
    except Exception as exc:  # any provider trouble: the order stands, Finance follows up
        record_note(order=order, type="tax.commit_failed", payload={"detail": str(exc)[:200]})
        return None
    return reference[:120]
