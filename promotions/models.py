"""Promotions, their coupon codes, the codes on carts and the redemptions orders made.

The rule (conditions, action, stacking, exclusions, limits) is stored as the entry of API.md
("Promotion rule entry") in `rule`, validated by promotions.engine.rules.parse_rule before
every write (promotions.services); status, priority and the window are copied into columns
so the live set is one indexed query. Orders and carts are named by their public ids: the
promotions app does not depend on orders (ARCHITECTURE.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone


class PromotionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


class Promotion(models.Model):
    id = models.CharField(primary_key=True, max_length=100)
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=PromotionStatus.choices, default=PromotionStatus.DRAFT
    )
    priority = models.IntegerField(default=0, help_text="Higher first.")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    rule = models.JSONField(help_text="The entry in the rule shape of API.md.")
    # Limits, copied from the rule; counters kept by promotions.services.redemptions.
    total_uses = models.PositiveIntegerField(null=True, blank=True)
    per_customer = models.PositiveIntegerField(null=True, blank=True)
    budget_cents = models.PositiveBigIntegerField(null=True, blank=True)
    uses_count = models.PositiveIntegerField(default=0)
    discount_given_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-priority", "id"]
        indexes = [models.Index(fields=["status", "ends_at"], name="promotion_live_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gte=F("starts_at")),
                name="promotion_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(total_uses__isnull=True) | Q(uses_count__lte=F("total_uses")),
                name="promotion_uses_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(discount_given_cents__gte=0), name="promotion_given_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def exhausted(self) -> bool:
        return (self.total_uses is not None and self.uses_count >= self.total_uses) or (
            self.budget_cents is not None and self.discount_given_cents >= self.budget_cents
        )


class Coupon(models.Model):
    """A code that unlocks a promotion; stored upper-case, matched case-insensitively."""

    promotion = models.ForeignKey(Promotion, related_name="coupons", on_delete=models.CASCADE)
    code = models.CharField(max_length=64)
    uses_allowed = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="1 = single use; empty = as often as the promotion allows.",
    )
    uses_count = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="coupon_code_unique_ci"),
            models.CheckConstraint(
                condition=Q(uses_allowed__isnull=True) | Q(uses_count__lte=F("uses_allowed")),
                name="coupon_uses_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def exhausted(self) -> bool:
        return self.uses_allowed is not None and self.uses_count >= self.uses_allowed


class CartCoupon(models.Model):
    """A code a shopper put on a cart (several per cart; each evaluated under stacking)."""

    cart_ref = models.CharField(max_length=32, db_index=True, help_text="Cart public id.")
    coupon = models.ForeignKey(Coupon, related_name="+", on_delete=models.CASCADE)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart_ref", "coupon"], name="cart_coupon_unique")
        ]

    def __str__(self) -> str:
        return f"{self.coupon_id} on {self.cart_ref}"


class RedemptionStatus(models.TextChoices):
    COUNTED = "counted", "Counted"
    RETURNED = "returned", "Returned (order cancelled)"


class Redemption(models.Model):
    """One promotion's discount on one order: which promotion gave how much, to which lines."""

    promotion = models.ForeignKey(Promotion, related_name="redemptions", on_delete=models.PROTECT)
    coupon = models.ForeignKey(
        Coupon, related_name="redemptions", null=True, blank=True, on_delete=models.PROTECT
    )
    order_ref = models.CharField(max_length=32, db_index=True, help_text="Order public id.")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    email = models.EmailField(blank=True, db_index=True)
    currency = models.CharField(max_length=3)
    amount_cents = models.BigIntegerField(help_text="As listed: lines plus shipping.")
    lines = models.JSONField(default=dict, help_text="{sku: cents as listed}")
    shipping_cents = models.BigIntegerField(default=0)
    gift_sku = models.CharField(
        max_length=64, blank=True, help_text="free_gift: the SKU given at zero price."
    )
    status = models.CharField(
        max_length=10, choices=RedemptionStatus.choices, default=RedemptionStatus.COUNTED
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_ref", "promotion"], name="redemption_once_per_order"
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0), name="redemption_amount_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["promotion", "customer"], name="redemption_customer_idx"),
            # A guest's uses are counted by e-mail, case-insensitively, at every pricing.
            models.Index(Upper("email"), name="redemption_email_upper_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id} on {self.order_ref}: {self.amount_cents}"


class Segment(models.Model):
    """A named customer segment (vip, wholesale…) that `customer_segment` conditions name.

    "new" and "returning" are not segments: they follow from the customer's orders."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name or self.slug


class CustomerSegment(models.Model):
    """A customer's membership of a named segment."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.CASCADE
    )
    segment = models.ForeignKey(
        Segment,
        to_field="slug",
        db_column="segment",
        related_name="memberships",
        on_delete=models.CASCADE,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "segment"], name="customer_segment_unique")
        ]

    def __str__(self) -> str:
        return self.segment_id
