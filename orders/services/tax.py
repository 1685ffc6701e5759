"""Filing a placed order's sale with the tax provider (after commit, from Celery)."""

from __future__ import annotations

from orders import providers
from orders.models import Order
from orders.providers.tax.base import ItemTax, TaxQuote
from orders.services.events import record_note


def commit_tax(order: Order) -> None:
    """Tell the tax provider the sale happened (it files it). Outside any lock; a failure is
    noted on the order's timeline for Finance and does not undo the sale."""
    provider = providers.tax_provider()
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
        return
    Order.objects.filter(pk=order.pk).update(tax_reference=reference[:120])
    order.tax_reference = reference[:120]
