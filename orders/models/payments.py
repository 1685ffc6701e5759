"""Payment attempts as we recorded them, and the dummy gateway's own ledger."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TransactionKind(models.TextChoices):
    AUTHORIZE = "authorize", _("Authorize")
    CAPTURE = "capture", _("Capture")
    VOID = "void", _("Void")
    REFUND = "refund", _("Refund")


class TransactionOutcome(models.TextChoices):
    SUCCEEDED = "succeeded", _("Succeeded")
    DECLINED = "declined", _("Declined")
    TIMEOUT = "timeout", _("Timed out (unknown)")
    ERROR = "error", _("Gateway error")
    NOT_FOUND = "not_found", _("Not found at the gateway")


class PaymentTransaction(models.Model):
    """One answer from the payment gateway (or its silence), appended as it arrived.

    A timed-out authorization is a TIMEOUT row; reconciliation later appends the gateway's
    real answer for the same idempotency key (SUCCEEDED or NOT_FOUND).
    """

    order = models.ForeignKey(
        "orders.Order", related_name="transactions", on_delete=models.PROTECT
    )
    kind = models.CharField(max_length=10, choices=TransactionKind.choices)
    outcome = models.CharField(max_length=10, choices=TransactionOutcome.choices)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    gateway = models.CharField(max_length=40)
    gateway_reference = models.CharField(max_length=120, blank=True)
    idempotency_key = models.CharField(max_length=255, db_index=True)
    response = models.JSONField(default=dict, blank=True, help_text=_("Summary, no card data"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0), name="payment_transaction_amount_gte_0"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.outcome} {self.amount_cents} {self.currency}"


class DummyCharge(models.Model):
    """The dummy gateway's side of the world: what it authorized, captured, refunded.

    Kept in the database, keyed by the caller's idempotency key, so every process (gunicorn
    workers, Celery) sees the same gateway, as with a real one.
    """

    class Status(models.TextChoices):
        AUTHORIZED = "authorized", _("Authorized")
        DECLINED = "declined", _("Declined")
        CAPTURED = "captured", _("Captured")
        VOIDED = "voided", _("Voided")
        REFUNDED = "refunded", _("Refunded")

    reference = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    token = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    captured_cents = models.BigIntegerField(default=0)
    refunded_cents = models.BigIntegerField(default=0)
    fraud_score = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.reference} {self.status}"


class DummyOperation(models.Model):
    """Capture, void and refund calls the dummy gateway already answered (idempotent replay)."""

    idempotency_key = models.CharField(max_length=255, unique=True)
    charge = models.ForeignKey(DummyCharge, related_name="operations", on_delete=models.CASCADE)
    kind = models.CharField(max_length=10)
    amount_cents = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.kind} {self.amount_cents}"
