"""Orders and their lines: money snapshots taken at placement, two explicit state machines.

Transitions only move state and stamp fields; every transition is called by one service in
orders/services/transitions.py, which also appends the OrderEvent (ARCHITECTURE.md "State
machines"). `protected=True` stops anything else from assigning a status.
"""

import django_fsm as fsm
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.db import TimeStampedModel, new_public_id, new_reference


def new_order_id() -> str:
    return new_public_id("ord")


def new_order_line_id() -> str:
    return new_public_id("oli")


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    PLACED = "placed", _("Placed")
    ON_HOLD = "on_hold", _("On hold (fraud review)")
    PARTIALLY_FULFILLED = "partially_fulfilled", _("Partially fulfilled")
    FULFILLED = "fulfilled", _("Fulfilled")
    DELIVERED = "delivered", _("Delivered")
    PARTIALLY_RETURNED = "partially_returned", _("Partially returned")
    RETURNED = "returned", _("Returned")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    AUTHORIZED = "authorized", _("Authorized")
    CAPTURED = "captured", _("Captured")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")
    VOIDED = "voided", _("Voided")
    DISPUTED = "disputed", _("Disputed")
    CHARGEBACK = "chargeback", _("Chargeback (lost)")


S = OrderStatus
P = PaymentStatus
UNPAID_STATUSES = [S.PENDING_PAYMENT, S.PAYMENT_FAILED]
# Orders that can be cancelled (ARCHITECTURE.md): unpaid ones, placed ones, and the unshipped
# rest of a partially fulfilled one (Operations only: API.md lets customers cancel before
# anything shipped).
CANCELLABLE = [S.PENDING_PAYMENT, S.PAYMENT_FAILED, S.PLACED, S.PARTIALLY_FULFILLED]
SHIPPABLE = [S.PLACED, S.PARTIALLY_FULFILLED]
RETURNABLE = [S.DELIVERED, S.PARTIALLY_RETURNED]
REFUNDABLE = [P.CAPTURED, P.PARTIALLY_REFUNDED]


class Order(fsm.ConcurrentTransitionMixin, TimeStampedModel):
    """What the customer bought, at what price, and where it is in its life.

    Money snapshots reconcile (a CHECK constraint):
    total = subtotal - discount_total + shipping_total + tax_total. With tax-inclusive prices
    (`prices_include_tax`, EU VAT) subtotal, discount and shipping are stored net of the tax
    they contain, so the same formula holds and `total` is what the customer was shown.
    """

    public_id = models.CharField(max_length=32, unique=True, default=new_order_id, editable=False)
    reference = models.CharField(max_length=8, unique=True, default=new_reference, editable=False)
    cart = models.OneToOneField(
        "orders.Cart", null=True, blank=True, related_name="order", on_delete=models.PROTECT
    )
    placement_key = models.CharField(
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text=_("The idempotency key that created this order"),
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="orders",
        on_delete=models.PROTECT,
    )
    email = models.EmailField()
    market = models.ForeignKey("shop.Market", related_name="+", on_delete=models.PROTECT)
    channel = models.ForeignKey("shop.Channel", related_name="+", on_delete=models.PROTECT)
    currency = models.CharField(max_length=3)
    status = fsm.FSMField(
        max_length=24, choices=OrderStatus.choices, default=S.PENDING_PAYMENT, protected=True
    )
    payment_status = fsm.FSMField(
        max_length=24, choices=PaymentStatus.choices, default=P.UNPAID, protected=True
    )
    prices_include_tax = models.BooleanField(default=False)
    subtotal_cents = models.BigIntegerField()
    discount_total_cents = models.BigIntegerField(default=0)
    shipping_total_cents = models.BigIntegerField(default=0)
    shipping_tax_cents = models.BigIntegerField(default=0)
    tax_total_cents = models.BigIntegerField(default=0)
    total_cents = models.BigIntegerField()
    authorized_cents = models.BigIntegerField(default=0)
    captured_cents = models.BigIntegerField(default=0)
    refunded_total_cents = models.BigIntegerField(default=0)
    shipping_address = models.JSONField(default=dict)
    billing_address = models.JSONField(default=dict, blank=True)
    shipping_method = models.ForeignKey(
        "orders.ShippingMethod",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    shipping_method_code = models.CharField(max_length=40)
    shipping_method_name = models.CharField(max_length=120)
    tax_provider = models.CharField(max_length=40, blank=True)
    tax_reference = models.CharField(max_length=120, blank=True)
    payment_gateway = models.CharField(max_length=40, blank=True)
    payment_attempts = models.PositiveSmallIntegerField(default=0)
    payment_attempted_at = models.DateTimeField(null=True, blank=True)
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    payment_due_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Cancelled if still unpaid after this")
    )
    placed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)
    # What promotions could not give at placement: [{promotion, name, sku, reason}], e.g. a
    # free gift that was out of stock (the order is placed without it).
    promotion_notes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "payment_due_at"], name="order_status_due_idx"),
            models.Index(fields=["customer", "-created_at"], name="order_customer_idx"),
            # A guest's orders by e-mail, case-insensitively: pricing asks whether the buyer
            # ordered before (first-order promotions), drop limits count a guest's orders.
            models.Index(Upper("email"), name="order_email_upper_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    total_cents=F("subtotal_cents")
                    - F("discount_total_cents")
                    + F("shipping_total_cents")
                    + F("tax_total_cents")
                ),
                name="order_totals_reconcile",
            ),
            models.CheckConstraint(
                condition=Q(
                    subtotal_cents__gte=0,
                    discount_total_cents__gte=0,
                    shipping_total_cents__gte=0,
                    tax_total_cents__gte=0,
                    total_cents__gte=0,
                    refunded_total_cents__gte=0,
                    captured_cents__gte=0,
                    authorized_cents__gte=0,
                ),
                name="order_amounts_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(refunded_total_cents__lte=F("captured_cents")),
                name="order_refunded_lte_captured",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(payment_status__in=PaymentStatus.values),
                name="order_payment_status_valid",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None

    @property
    def reservation_owner(self) -> str:
        """The owner reference of this order's stock reservations."""
        return self.public_id

    # --- Order lifecycle (Order.status) -------------------------------------------------

    @fsm.transition(
        field=status, source=S.PENDING_PAYMENT, target=S.PLACED, custom={"admin": False}
    )
    def place(self) -> None:
        self.placed_at = timezone.now()
        self.payment_due_at = None

    @fsm.transition(
        field=status, source=S.PENDING_PAYMENT, target=S.PAYMENT_FAILED, custom={"admin": False}
    )
    def fail_payment(self) -> None:
        pass

    @fsm.transition(
        field=status, source=S.PAYMENT_FAILED, target=S.PENDING_PAYMENT, custom={"admin": False}
    )
    def retry_payment(self, *, payment_due_at=None) -> None:
        self.payment_due_at = payment_due_at

    @fsm.transition(field=status, source=CANCELLABLE, target=S.CANCELLED, custom={"admin": False})
    def cancel(self, *, reason: str = "") -> None:
        self.cancelled_at = timezone.now()
        self.cancel_reason = reason[:255]
        self.payment_due_at = None

    @fsm.transition(field=status, source=S.PLACED, target=S.ON_HOLD, custom={"admin": False})
    def hold_for_review(self) -> None:
        pass

    @fsm.transition(field=status, source=S.ON_HOLD, target=S.PLACED, custom={"admin": False})
    def approve_review(self) -> None:
        pass

    @fsm.transition(field=status, source=S.ON_HOLD, target=S.CANCELLED, custom={"admin": False})
    def reject_review(self, *, reason: str = "fraud") -> None:
        self.cancelled_at = timezone.now()
        self.cancel_reason = reason[:255]

    @fsm.transition(
        field=status, source=SHIPPABLE, target=S.PARTIALLY_FULFILLED, custom={"admin": False}
    )
    def fulfill_partially(self) -> None:
        pass

    @fsm.transition(field=status, source=SHIPPABLE, target=S.FULFILLED, custom={"admin": False})
    def fulfill(self) -> None:
        pass

    @fsm.transition(field=status, source=S.FULFILLED, target=S.DELIVERED, custom={"admin": False})
    def deliver(self) -> None:
        pass

    @fsm.transition(
        field=status, source=RETURNABLE, target=S.PARTIALLY_RETURNED, custom={"admin": False}
    )
    def return_partially(self) -> None:
        pass

    @fsm.transition(field=status, source=RETURNABLE, target=S.RETURNED, custom={"admin": False})
    def return_all(self) -> None:
        pass

    # --- Money (Order.payment_status) ---------------------------------------------------

    @fsm.transition(
        field=payment_status, source=P.UNPAID, target=P.AUTHORIZED, custom={"admin": False}
    )
    def authorize(self, *, amount_cents: int) -> None:
        self.authorized_cents = amount_cents

    @fsm.transition(
        field=payment_status, source=P.UNPAID, target=P.FAILED, custom={"admin": False}
    )
    def decline(self) -> None:
        pass

    # A retry after a decline starts a new attempt (ARCHITECTURE.md: payment.retried).
    @fsm.transition(
        field=payment_status, source=P.FAILED, target=P.UNPAID, custom={"admin": False}
    )
    def reopen_payment(self) -> None:
        pass

    @fsm.transition(
        field=payment_status, source=P.AUTHORIZED, target=P.CAPTURED, custom={"admin": False}
    )
    def capture(self, *, amount_cents: int) -> None:
        self.captured_cents = amount_cents

    # Capture on shipment (docs/orders.md): each shipment takes its part of the one
    # authorization; the first part moves authorized -> captured, later ones add to it.
    @fsm.transition(
        field=payment_status,
        source=[P.AUTHORIZED, P.CAPTURED],
        target=P.CAPTURED,
        custom={"admin": False},
    )
    @fsm.transition(
        field=payment_status,
        source=P.PARTIALLY_REFUNDED,
        target=P.PARTIALLY_REFUNDED,
        custom={"admin": False},
    )
    def capture_part(self, *, amount_cents: int) -> None:
        self.captured_cents += amount_cents

    @fsm.transition(
        field=payment_status, source=P.AUTHORIZED, target=P.VOIDED, custom={"admin": False}
    )
    def void(self) -> None:
        pass

    @fsm.transition(
        field=payment_status,
        source=REFUNDABLE,
        target=fsm.RETURN_VALUE(P.PARTIALLY_REFUNDED, P.REFUNDED),
        custom={"admin": False},
    )
    def refund(self, *, amount_cents: int) -> str:
        self.refunded_total_cents += amount_cents
        if self.refunded_total_cents >= self.captured_cents:
            return P.REFUNDED
        return P.PARTIALLY_REFUNDED

    @fsm.transition(
        field=payment_status, source=REFUNDABLE, target=P.DISPUTED, custom={"admin": False}
    )
    def open_dispute(self) -> None:
        pass

    @fsm.transition(
        field=payment_status,
        source=P.DISPUTED,
        target=fsm.RETURN_VALUE(P.CAPTURED, P.PARTIALLY_REFUNDED),
        custom={"admin": False},
    )
    def win_dispute(self) -> str:
        return P.PARTIALLY_REFUNDED if self.refunded_total_cents else P.CAPTURED

    @fsm.transition(
        field=payment_status, source=P.DISPUTED, target=P.CHARGEBACK, custom={"admin": False}
    )
    def lose_dispute(self) -> None:
        pass


class OrderLine(models.Model):
    """A snapshot of one bought variant. total = subtotal - discount + tax (CHECK).

    `unit_price_cents` is the price as listed (tax included where the market's prices
    include it); `subtotal_cents`, `discount_cents` are net of included tax, like the order's.
    """

    public_id = models.CharField(
        max_length=32, unique=True, default=new_order_line_id, editable=False
    )
    order = models.ForeignKey(Order, related_name="lines", on_delete=models.PROTECT)
    variant = models.ForeignKey("catalog.Variant", related_name="+", on_delete=models.PROTECT)
    sku = models.CharField(max_length=64)
    title = models.CharField(max_length=255)
    variant_title = models.CharField(max_length=255, blank=True)
    option_values = models.JSONField(default=dict, blank=True, help_text=_("{option: value}"))
    quantity = models.PositiveIntegerField()
    unit_price_cents = models.BigIntegerField()
    subtotal_cents = models.BigIntegerField()
    discount_cents = models.BigIntegerField(default=0)
    tax_cents = models.BigIntegerField(default=0)
    tax_rate_ppm = models.PositiveIntegerField(default=0)
    total_cents = models.BigIntegerField()
    weight_grams = models.PositiveIntegerField(default=0)
    quantity_fulfilled = models.PositiveIntegerField(default=0)
    quantity_returned = models.PositiveIntegerField(default=0)
    # Units cancelled before they shipped (orders.services.cancellation): never shipped,
    # their stock released and their share of the money given back.
    quantity_cancelled = models.PositiveIntegerField(default=0)
    # A free gift (unit price 0): the promotion that gave it; blank for a bought line.
    gift_promotion = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_fulfilled__lte=F("quantity")),
                name="order_line_fulfilled_lte_quantity",
            ),
            models.CheckConstraint(
                condition=Q(quantity_fulfilled__lte=F("quantity") - F("quantity_cancelled")),
                name="order_line_shipped_and_cancelled_lte_quantity",
            ),
            models.CheckConstraint(
                condition=Q(quantity_returned__lte=F("quantity_fulfilled")),
                name="order_line_returned_lte_fulfilled",
            ),
            models.CheckConstraint(
                condition=Q(
                    total_cents=F("subtotal_cents") - F("discount_cents") + F("tax_cents")
                ),
                name="order_line_total_reconciles",
            ),
            models.CheckConstraint(
                condition=Q(
                    unit_price_cents__gte=0,
                    subtotal_cents__gte=0,
                    discount_cents__gte=0,
                    tax_cents__gte=0,
                    total_cents__gte=0,
                ),
                name="order_line_amounts_gte_0",
            ),
        ]

    def __str__(self):
        return f"{self.quantity}×{self.sku}"

    @property
    def quantity_unfulfilled(self) -> int:
        """Units still to ship: neither shipped nor cancelled."""
        return self.quantity - self.quantity_fulfilled - self.quantity_cancelled
