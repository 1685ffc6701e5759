"""Tell the tax provider a return reversed part of a sale (after commit, from Celery)."""

from __future__ import annotations

from orders import providers
from orders.providers.tax.base import TaxRefundItem
from returns import rules
from returns.models import ReturnRequest
from returns.services._common import record_event


def file_return_tax(*, rma: ReturnRequest) -> None:
    """Report the refunded lines' tax; a provider failure is noted on the RMA for Finance."""
    order = rma.order
    items = []
    for line in rma.lines.select_related("order_line"):
        units = line.received_quantity or 0
        if not units:
            continue
        ol = line.order_line
        before = max(0, ol.quantity_returned - units)
        share = rules.units_share(ol, before, units)
        tax = ol.tax_cents * (before + units) // ol.quantity - ol.tax_cents * before // ol.quantity
        items.append(TaxRefundItem(key=ol.public_id, amount_cents=share, tax_cents=tax))
    if not items:
        return
    try:
        reference = providers.tax_provider().refund(
            order_reference=order.reference,
            transaction_reference=order.tax_reference,
            items=items,
        )
    except Exception as exc:  # any provider trouble: the refund stands, Finance follows up
        record_event(rma, "tax.refund_failed", from_status=rma.status, note=str(exc)[:200])
        return
    record_event(rma, "tax.refunded", from_status=rma.status, payload={"reference": reference})
