"""The documented JSON shape of an RMA, built from the model (API and storefront alike)."""

from __future__ import annotations

from django.urls import reverse

from returns.models import ReturnRequest, ReturnStatus

LABEL_STATUSES = {ReturnStatus.APPROVED, ReturnStatus.RECEIVED}


def money(cents: int | None, currency: str) -> dict | None:
    return None if cents is None else {"amount": cents, "currency": currency}


def _actor(rma: ReturnRequest, event) -> str:
    if event.actor_id is None:
        return event.actor_label or "system"
    return "customer" if event.actor_id == rma.customer_id else "staff"


def return_data(rma: ReturnRequest) -> dict:
    cur = rma.currency
    return {
        "id": rma.public_id,
        "reference": rma.reference,
        "order": rma.order.public_id,
        "status": rma.status,
        "lines": [
            {
                "line_id": line.order_line.public_id,
                "sku": line.order_line.sku,
                "title": line.order_line.title,
                "quantity": line.quantity,
                "reason": line.reason,
                "note": line.reason_note,
                "received_quantity": line.received_quantity,
                "reception_outcome": line.reception_outcome,
                "disposition": line.disposition,
                "location": line.disposition_location.code if line.disposition_location else None,
                "refund_estimate": money(line.estimate_cents, cur),
                "refund": money(line.refund_cents, cur),
            }
            for line in rma.lines.all()
        ],
        "refund_estimate": money(rma.refund_estimate_cents, cur),
        "refund": money(rma.refund_cents if rma.refund_issued_at else None, cur),
        "refund_breakdown": rma.refund_breakdown or {},
        "refund_error": rma.refund_error,
        "label_url": (
            reverse("returns-api:return-label", args=[rma.public_id])
            if rma.label_tracking_number
            else None
        ),
        "tracking_number": rma.label_tracking_number,
        "message": rma.decision_message,
        "events": [
            {
                "type": event.kind,
                "from": event.from_status,
                "to": event.to_status,
                "actor": _actor(rma, event),
                "note": event.note,
                "at": event.created_at,
            }
            for event in rma.events.all()
        ],
        "created_at": rma.created_at,
    }
