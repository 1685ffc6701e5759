"""Customer e-mails about an order: recorded with the event, sent once after commit.

`queue_order_notification` runs inside the transition's transaction and creates one
OrderNotification per (order, kind, event_id) — the unique constraint makes a replayed
event queue nothing. The Celery task calls `send_order_notification` after commit; it sends
only while `sent_at` is empty, under the notification's row lock, and re-raises SMTP
errors so the task retries.
"""

from __future__ import annotations

import logging
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from orders import selectors as order_selectors
from orders.links import order_url
from orders.models import NotificationKind, Order, OrderEvent, OrderNotification, OrderStatus
from shop import jobs
from shop.compiled import CompiledQuery
from shop.money import format_money

logger = logging.getLogger(__name__)

SUBJECTS = {
    NotificationKind.ORDER_PLACED: "Your order {ref} is confirmed",
    NotificationKind.PAYMENT_FAILED: "Payment for order {ref} did not go through",
    NotificationKind.ORDER_CANCELLED: "Your order {ref} has been cancelled",
    NotificationKind.SHIPMENT_SHIPPED: "Your order {ref} is on its way",
    NotificationKind.SHIPMENT_DELIVERED: "Your order {ref} was delivered",
}
TRANSIENT_ERRORS = (SMTPException, ConnectionError, TimeoutError)


def queue_order_notification(*, order: Order, kind: str, event_id: str, shipment=None) -> None:
    """Record the e-mail for this event and send it once the transaction commits.

    Called once per event: the event itself is deduplicated on (order, event_id) in the same
    transaction, and the unique (order, kind, event_id) backs that up.
    """
    if not order.email:
        return
    notification = OrderNotification.objects.create(
        order=order, kind=kind, event_id=event_id, recipient=order.email, shipment=shipment
    )
    from orders import tasks as order_tasks

    # Never blocks or fails the request that committed the order: a full mail queue or a
    # broker outage defers the send (shop.jobs); with eager tasks (the embedded demo) a mail
    # outage is logged and the row stays unsent for a later retry.
    jobs.enqueue_on_commit(order_tasks.send_order_notification, notification.pk)


def _amount(order: Order, cents: int) -> str:
    return format_money(cents, order.currency, order.market.default_locale or "en")


def _shipment_context(shipment) -> dict | None:
    """A parcel for the shipped/delivered e-mails: its items, carrier and tracking link."""
    if shipment is None:
        return None
    return {
        "id": shipment.public_id,
        "carrier": shipment.carrier_name,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "shipped_at": shipment.shipped_at,
        "delivered_at": shipment.delivered_at,
        "lines": [
            {
                "title": sl.order_line.title,
                "variant_title": sl.order_line.variant_title,
                "sku": sl.order_line.sku,
                "quantity": sl.quantity,
            }
            for sl in shipment.lines.select_related("order_line")
        ],
    }


def _context(order: Order, kind: str, shipment=None) -> dict:
    lines = [
        {
            "title": line.title,
            "variant_title": line.variant_title,
            "sku": line.sku,
            "quantity": line.quantity,
            "total": _amount(order, line.subtotal_cents - line.discount_cents + line.tax_cents),
        }
        for line in order.lines.all()
    ]
    return {
        "kind": kind,
        "order": order,
        "lines": lines,
        "subtotal": _amount(order, order.subtotal_cents),
        "discount_total": _amount(order, order.discount_total_cents),
        "shipping_total": _amount(order, order.shipping_total_cents),
        "tax_total": _amount(order, order.tax_total_cents),
        "total": _amount(order, order.total_cents),
        "has_discount": order.discount_total_cents > 0,
        "address": order.shipping_address,
        "order_url": order_url(order),
        "shop_name": getattr(settings, "SHOP_NAME", "Emporium"),
        "support_email": settings.DEFAULT_FROM_EMAIL,
        "shipment": _shipment_context(shipment),
    }


def _cancellation_context(order: Order, kind: str, event_id: str) -> dict | None:
    """What a cancellation e-mail reports: the units cancelled and the money given back, as
    the cancellation event recorded them (orders.services.cancellation)."""
    if kind != NotificationKind.ORDER_CANCELLED or not event_id:
        return None
    event = OrderEvent.objects.filter(order=order, event_id=event_id).first()
    payload = event.payload if event is not None else {}
    if "lines" not in payload:
        return None
    return {
        "lines": payload["lines"],
        "partial": order.status != OrderStatus.CANCELLED,
        "refund": _amount(order, payload.get("refund") or 0) if payload.get("refund") else "",
        "void": bool(payload.get("void")),
    }


def render_order_email(
    order: Order, kind: str, shipment=None, event_id: str = ""
) -> EmailMultiAlternatives:
    """The text + HTML message for `kind` about `order` (templates/orders/email/); the
    shipment e-mails are about one parcel, the cancellation e-mail about its event."""
    context = _context(order, kind, shipment)
    context["cancellation"] = _cancellation_context(order, kind, event_id)
    subject = SUBJECTS[kind]
    if context["cancellation"] and context["cancellation"]["partial"]:
        subject = "Part of your order {ref} has been cancelled"
    message = EmailMultiAlternatives(
        subject=subject.format(ref=order.reference),
        body=render_to_string(f"orders/email/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[order.email],
    )
    message.attach_alternative(render_to_string(f"orders/email/{kind}.html", context), "text/html")
    return message


# Every order's confirmation takes this lock: compiled once per connection (shop.compiled).
_NOTIFICATION_FOR_UPDATE = CompiledQuery(
    lambda pk: (
        OrderNotification.objects.select_for_update(of=("self",))
        .select_related("order__market")
        .filter(pk=pk)[:1]
    ),
    pk=int,
)


def send_order_notification(*, notification_id: int) -> bool:
    """Send one queued e-mail unless it was sent already; True when it went out now.

    Locks the notification row (nothing else), so two deliveries of the task never both
    send. Raises the SMTP error after recording the attempt, for the task to retry.
    """
    failure: Exception | None = None
    with transaction.atomic():
        notification = next(_NOTIFICATION_FOR_UPDATE.objects(pk=notification_id), None)
        if notification is None or notification.sent_at is not None:
            return False
        notification.attempts += 1
        try:
            render_order_email(
                order_selectors.load_order_lines(notification.order),
                notification.kind,
                notification.shipment,
                event_id=notification.event_id,
            ).send()
        except TRANSIENT_ERRORS as exc:
            failure = exc
            notification.last_error = f"{type(exc).__name__}: {exc}"[:255]
        else:
            notification.sent_at = timezone.now()
            notification.last_error = ""
        notification.save(update_fields=["attempts", "sent_at", "last_error"])
    if failure is not None:
        logger.warning("order e-mail %s failed: %s", notification_id, failure)
        raise failure
    return True
