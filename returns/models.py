"""Returns (RMA): the policy per market, the request and its lines, and their audit trail.

Transitions only move state and stamp fields; every one is called by one service in
returns/services/, which also appends the ReturnEvent (ARCHITECTURE.md "State machines":
requested -> approved | rejected, approved -> received -> inspected -> refunded -> closed,
requested | approved -> cancelled).
"""

import django_fsm as fsm
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.db import TimeStampedModel, new_public_id, new_reference


def new_rma_id() -> str:
    return new_public_id("rma")


class ReturnReason(models.TextChoices):
    DAMAGED = "damaged", _("Arrived damaged")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    DOESNT_FIT = "doesnt_fit", _("Doesn't fit")
    CHANGED_MIND = "changed_mind", _("Changed my mind")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    OTHER = "other", _("Other")


# Our mistakes: the customer never pays a restocking fee for them (issue 12).
FEE_EXEMPT_REASONS = frozenset({ReturnReason.DAMAGED, ReturnReason.WRONG_ITEM})


class RefundTiming(models.TextChoices):
    ON_RECEIPT = "on_receipt", _("When the parcel is received")
    ON_INSPECTION = "on_inspection", _("After inspection")


class ReturnShippingPayer(models.TextChoices):
    CUSTOMER = "customer", _("Customer (label cost deducted from the refund)")
    MERCHANT = "merchant", _("Free for the customer")


class ReturnPolicy(TimeStampedModel):
    """How one market takes things back. A market without a row gets the defaults below."""

    market = models.OneToOneField(
        "shop.Market", related_name="return_policy", on_delete=models.PROTECT
    )
    window_days = models.PositiveSmallIntegerField(
        default=30, help_text=_("Days after delivery, in the market's time zone")
    )
    refund_original_shipping = models.BooleanField(
        default=False,
        help_text=_("Refund what the order paid for shipping with the return of its last units"),
    )
    refund_timing = models.CharField(
        max_length=16, choices=RefundTiming.choices, default=RefundTiming.ON_INSPECTION
    )
    return_shipping_paid_by = models.CharField(
        max_length=10, choices=ReturnShippingPayer.choices, default=ReturnShippingPayer.MERCHANT
    )
    return_label_cents = models.PositiveBigIntegerField(
        default=0, help_text=_("What a return label costs, in minor units")
    )
    auto_approve = models.BooleanField(
        default=True, help_text=_("Approve requests within the window and under the threshold")
    )
    auto_approve_max_cents = models.PositiveBigIntegerField(
        default=10_000, help_text=_("Largest estimated refund approved without a person")
    )
    non_returnable_categories = models.ManyToManyField(
        "catalog.Category", blank=True, related_name="+", help_text=_("Descendants included")
    )
    non_returnable_products = models.ManyToManyField(
        "catalog.Product", blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = _("return policies")

    def __str__(self):
        return f"Return policy {self.market.code}"


class CategoryReturnWindow(models.Model):
    """A different window for one category (and its descendants), e.g. 14 days for tech."""

    policy = models.ForeignKey(
        ReturnPolicy, related_name="category_windows", on_delete=models.CASCADE
    )
    category = models.ForeignKey("catalog.Category", related_name="+", on_delete=models.CASCADE)
    window_days = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "category"], name="return_window_unique")
        ]

    def __str__(self):
        return f"{self.category}: {self.window_days} days"


class RestockingFee(models.Model):
    """The fee kept back for one return reason: a percentage of the line and/or a fixed amount
    per unit. Never for damaged or wrong items (clean() and a CHECK constraint)."""

    policy = models.ForeignKey(
        ReturnPolicy, related_name="restocking_fees", on_delete=models.CASCADE
    )
    reason = models.CharField(max_length=20, choices=ReturnReason.choices)
    percent_bp = models.PositiveIntegerField(
        default=0, help_text=_("Basis points of the refunded line (1500 = 15%)")
    )
    fixed_cents_per_unit = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "reason"], name="restocking_fee_unique"),
            models.CheckConstraint(
                condition=~Q(reason__in=sorted(FEE_EXEMPT_REASONS)),
                name="restocking_fee_not_for_our_mistakes",
            ),
            models.CheckConstraint(
                condition=Q(percent_bp__lte=10_000), name="restocking_fee_percent_lte_100"
            ),
        ]

    def __str__(self):
        return f"{self.reason}: {self.percent_bp / 100:g}% + {self.fixed_cents_per_unit}/unit"

    def clean(self):
        if self.reason in FEE_EXEMPT_REASONS:
            raise ValidationError({"reason": _("Damaged or wrong items never carry a fee.")})


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    REFUNDED = "refunded", _("Refunded")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


R = ReturnStatus
# Requests whose units are still on their way back (not yet counted as returned on the order).
OPEN_STATUSES = [R.REQUESTED, R.APPROVED, R.RECEIVED, R.INSPECTED]


class ReturnRequest(fsm.ConcurrentTransitionMixin, TimeStampedModel):
    """An RMA: what a customer sends back from one order, and where it is in its life."""

    public_id = models.CharField(max_length=32, unique=True, default=new_rma_id, editable=False)
    reference = models.CharField(max_length=8, unique=True, default=new_reference, editable=False)
    order = models.ForeignKey("orders.Order", related_name="returns", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="returns",
        on_delete=models.PROTECT,
    )
    market = models.ForeignKey("shop.Market", related_name="+", on_delete=models.PROTECT)
    currency = models.CharField(max_length=3)
    status = fsm.FSMField(
        max_length=16, choices=ReturnStatus.choices, default=R.REQUESTED, protected=True
    )
    customer_note = models.TextField(blank=True)
    auto_approved = models.BooleanField(default=False)
    decision_message = models.TextField(blank=True, help_text=_("Shown to the customer"))
    label_provider = models.CharField(max_length=40, blank=True)
    label_tracking_number = models.CharField(max_length=64, blank=True)
    label_cost_cents = models.BigIntegerField(default=0)
    refund_estimate_cents = models.BigIntegerField(default=0)
    refund_cents = models.BigIntegerField(null=True, blank=True)
    refund_breakdown = models.JSONField(default=dict, blank=True)
    refund_error = models.CharField(max_length=255, blank=True)
    refund_started_at = models.DateTimeField(null=True, blank=True)
    refund_issued_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("return (RMA)")
        verbose_name_plural = _("returns (RMA)")
        indexes = [models.Index(fields=["status", "created_at"], name="rma_status_created_idx")]
        permissions = [("refund_returnrequest", "Can refund a return")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReturnStatus.values), name="rma_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(refund_cents__isnull=True) | Q(refund_cents__gte=0),
                name="rma_refund_gte_0",
            ),
        ]

    def __str__(self):
        return self.reference

    @fsm.transition(field=status, source=R.REQUESTED, target=R.APPROVED, custom={"admin": False})
    def approve(self) -> None:
        self.approved_at = timezone.now()

    @fsm.transition(field=status, source=R.REQUESTED, target=R.REJECTED, custom={"admin": False})
    def reject(self) -> None:
        self.rejected_at = timezone.now()

    @fsm.transition(
        field=status, source=[R.REQUESTED, R.APPROVED], target=R.CANCELLED, custom={"admin": False}
    )
    def cancel(self) -> None:
        self.cancelled_at = timezone.now()

    @fsm.transition(field=status, source=R.APPROVED, target=R.RECEIVED, custom={"admin": False})
    def receive(self) -> None:
        self.received_at = timezone.now()

    @fsm.transition(field=status, source=R.RECEIVED, target=R.INSPECTED, custom={"admin": False})
    def inspect(self) -> None:
        self.inspected_at = timezone.now()

    @fsm.transition(field=status, source=R.INSPECTED, target=R.REFUNDED, custom={"admin": False})
    def complete_refund(self) -> None:
        self.refund_error = ""

    @fsm.transition(field=status, source=R.REFUNDED, target=R.CLOSED, custom={"admin": False})
    def close(self) -> None:
        self.closed_at = timezone.now()


class ReceptionOutcome(models.TextChoices):
    RECEIVED = "received", _("Received")
    SHORT_SHIPPED = "short_shipped", _("Short shipped (fewer units came back)")
    WRONG_ITEM = "wrong_item", _("Wrong item shipped back")
    LOST_IN_TRANSIT = "lost_in_transit", _("Lost in transit")


class Disposition(models.TextChoices):
    RESELL = "resell", _("Resell (back on the shelf)")
    REFURBISH = "refurbish", _("Refurbish (not sellable until moved)")
    SCRAP = "scrap", _("Scrap (written off)")


class ReturnLine(models.Model):
    """Units of one order line coming back, why, and what happened to them."""

    rma = models.ForeignKey(ReturnRequest, related_name="lines", on_delete=models.CASCADE)
    order_line = models.ForeignKey(
        "orders.OrderLine", related_name="return_lines", on_delete=models.PROTECT
    )
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=ReturnReason.choices)
    reason_note = models.CharField(max_length=500, blank=True)
    estimate_cents = models.BigIntegerField(default=0)
    received_quantity = models.PositiveIntegerField(null=True, blank=True)
    reception_outcome = models.CharField(
        max_length=20, choices=ReceptionOutcome.choices, blank=True
    )
    condition_notes = models.TextField(blank=True)
    disposition = models.CharField(max_length=12, choices=Disposition.choices, blank=True)
    disposition_location = models.ForeignKey(
        "inventory.Location", null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    refund_cents = models.BigIntegerField(null=True, blank=True)
    fee_cents = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(received_quantity__isnull=True)
                | Q(received_quantity__lte=F("quantity")),
                name="return_line_received_lte_quantity",
            ),
            models.UniqueConstraint(fields=["rma", "order_line"], name="return_line_unique"),
        ]

    def __str__(self):
        return f"{self.quantity}×{self.order_line.sku}"

    @property
    def units_back(self) -> int:
        """Units that count as returned: received ones once received, requested ones before."""
        return self.quantity if self.received_quantity is None else self.received_quantity


class ReturnEvent(models.Model):
    """The append-only trail of an RMA: who moved it from what to what, and why."""

    rma = models.ForeignKey(ReturnRequest, related_name="events", on_delete=models.PROTECT)
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    actor_label = models.CharField(max_length=40, blank=True)
    note = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.kind} {self.from_status}->{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Return events are append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Return events are append-only."))


class ReturnNotificationKind(models.TextChoices):
    APPROVED = "return_approved", _("Return approved (with label)")
    REJECTED = "return_rejected", _("Return rejected")
    RECEIVED = "return_received", _("Return received")
    REFUNDED = "return_refunded", _("Return refunded")


class ReturnNotification(models.Model):
    """One customer e-mail about an RMA, recorded with its transition and sent once."""

    rma = models.ForeignKey(ReturnRequest, related_name="notifications", on_delete=models.CASCADE)
    kind = models.CharField(max_length=20, choices=ReturnNotificationKind.choices)
    recipient = models.EmailField()
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rma", "kind"], name="return_notification_once")
        ]

    def __str__(self):
        return f"{self.kind} {self.recipient}"
