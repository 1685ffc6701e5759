"""Fraud review: the signals recorded when an order is placed, its risk score with the reasons,
and the score above which a market's orders wait for Operations (docs/orders.md "Fraud review").
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_HOLD_SCORE = 70


class FraudThreshold(models.Model):
    """A market's review threshold: orders scoring above `hold_above` go on hold."""

    market = models.OneToOneField(
        "shop.Market", related_name="+", on_delete=models.CASCADE, unique=True
    )
    hold_above = models.PositiveSmallIntegerField(
        default=DEFAULT_HOLD_SCORE,
        help_text=_("Orders scoring above this (0–100) wait for a review."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["market__position", "market__code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hold_above__lte=100), name="fraud_threshold_lte_100"
            )
        ]

    def __str__(self):
        return f"{self.market.code}: hold above {self.hold_above}"


class FraudAssessment(models.Model):
    """What was known about an order when it was placed, and the score it got.

    Signals are recorded before the payment is authorized (so the velocity of other orders
    counts this one); the score after, with the gateway's own score. `reasons` lists
    [{code, points, detail}], the parts the score is the sum of (capped at 100).
    """

    order = models.OneToOneField(
        "orders.Order", related_name="fraud_assessment", on_delete=models.PROTECT
    )
    email = models.CharField(max_length=254, db_index=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    card_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    total_cents = models.BigIntegerField(default=0)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    hold_above = models.PositiveSmallIntegerField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    held = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    assessed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.order_id}: {self.score}"
