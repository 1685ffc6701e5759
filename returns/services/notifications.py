"""Customer e-mails about a return: recorded with the transition, sent once after commit."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from returns import labels
from returns.models import ReturnNotification, ReturnNotificationKind
from shop.money import format_money

logger = logging.getLogger(__name__)
SUBJECTS = {
    ReturnNotificationKind.APPROVED: "Your return {ref} is approved: your label is attached",
    ReturnNotificationKind.REJECTED: "About your return request {ref}",
    ReturnNotificationKind.RECEIVED: "We received your return {ref}",
    ReturnNotificationKind.REFUNDED: "Your refund for return {ref} is on its way",
}
TRANSIENT_ERRORS = (SMTPException, ConnectionError, TimeoutError)


def render_return_email(notification: ReturnNotification) -> EmailMultiAlternatives:
    rma = notification.rma
    locale = rma.market.default_locale or "en"
    context = {
        "rma": rma,
        "order": rma.order,
        "lines": list(rma.lines.select_related("order_line")),
        "refund": format_money(rma.refund_cents or 0, rma.currency, locale),
        "shop_name": getattr(settings, "SHOP_NAME", "Emporium"),
    }
    message = EmailMultiAlternatives(
        subject=SUBJECTS[notification.kind].format(ref=rma.reference),
        body=render_to_string(f"returns/email/{notification.kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
    )
    if notification.kind == ReturnNotificationKind.APPROVED:
        pdf = labels.label_provider().render_pdf(rma=rma)
        message.attach(f"return-label-{rma.reference}.pdf", pdf, "application/pdf")
    return message


def send_return_notification(*, notification_id: int) -> bool:
    """Send one queued e-mail unless it was sent already; True when it went out now.
    Locks the notification row; re-raises SMTP errors for the task to retry."""
    failure = None
    with transaction.atomic():
        notification = (
            ReturnNotification.objects.select_for_update(of=("self",))
            .select_related("rma__order", "rma__market")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.sent_at is not None:
            return False
        notification.attempts += 1
        try:
            render_return_email(notification).send()
        except TRANSIENT_ERRORS as exc:
            failure = exc
            notification.last_error = f"{type(exc).__name__}: {exc}"[:255]
        else:
            notification.sent_at = timezone.now()
            notification.last_error = ""
        notification.save(update_fields=["attempts", "sent_at", "last_error"])
    if failure is not None:
        logger.warning("return e-mail %s failed: %s", notification_id, failure)
        raise failure
    return True
