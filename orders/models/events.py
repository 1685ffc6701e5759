"""The order's audit trail (append-only) and the record of customer e-mails already sent."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrderEvent(models.Model):
    """One thing that happened to an order: who, what, from which state to which.

    Keyed by `(order, event_id)`: a replayed event finds its row and changes nothing.
    Append-only: `save()` refuses an existing row and `delete()` always refuses; a database
    trigger (migration 0002) refuses UPDATE and DELETE for anyone going around the ORM.
    """

    order = models.ForeignKey("orders.Order", related_name="events", on_delete=models.PROTECT)
    event_id = models.CharField(max_length=128)
    type = models.CharField(max_length=40)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    from_payment_status = models.CharField(max_length=24, blank=True)
    to_payment_status = models.CharField(max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    actor_label = models.CharField(max_length=120, blank=True, help_text=_("system, gateway…"))
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "event_id"], name="order_event_unique_id"),
        ]

    def __str__(self):
        return f"{self.type} {self.from_status}->{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Order events are append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Order events are append-only."))

    @property
    def changed_state(self) -> bool:
        return (self.from_status, self.from_payment_status) != (
            self.to_status,
            self.to_payment_status,
        )


class NotificationKind(models.TextChoices):
    ORDER_PLACED = "order_placed", _("Order confirmation")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
    SHIPMENT_SHIPPED = "shipment_shipped", _("Shipment on its way")
    SHIPMENT_DELIVERED = "shipment_delivered", _("Shipment delivered")


class OrderNotification(models.Model):
    """A customer e-mail for one order event: queued once, sent at most once.

    The row is created with the event (same transaction); the task sends and stamps
    `sent_at` under a row lock, so a redelivered task finds it sent and does nothing.
    """

    order = models.ForeignKey(
        "orders.Order", related_name="notifications", on_delete=models.PROTECT
    )
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    event_id = models.CharField(max_length=128)
    recipient = models.EmailField()
    shipment = models.ForeignKey(
        "orders.Shipment",
        null=True,
        blank=True,
        related_name="notifications",
        on_delete=models.PROTECT,
        help_text=_("The parcel a shipped/delivered e-mail is about"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "event_id"], name="order_notification_once"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.order_id}"
