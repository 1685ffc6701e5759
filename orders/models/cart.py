"""Carts (draft orders), their lines and the checkout-step log used to count abandonment."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.db import TimeStampedModel, new_public_id

MAX_LINE_QUANTITY = 999


def new_cart_id() -> str:
    return new_public_id("cart")


def new_cart_line_id() -> str:
    return new_public_id("cli")


class CartStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONVERTED = "converted", _("Converted to an order")
    ABANDONED = "abandoned", _("Abandoned (merged or given up)")


class CheckoutStep(models.TextChoices):
    IDENTIFY = "identify", _("Identify")
    ADDRESS = "address", _("Shipping address")
    SHIPPING = "shipping", _("Shipping method")
    PAYMENT = "payment", _("Payment")
    REVIEW = "review", _("Review")
    SUBMIT = "submit", _("Submit")


class Cart(TimeStampedModel):
    """A draft order: lines with the unit price captured when added, plus checkout details.

    Owned by a customer or, for guests, a session key. Whoever holds `public_id` may use it
    (API.md: a cart id is a capability). `shipping_address` holds the validated address as
    the checkout service normalised it: name, line1, line2, city, region, postal_code,
    country, phone.
    """

    # Not a column: the lines (orders.pricing.load_cart_lines) a checkout service read while
    # it held this cart's lock, so the answer to the same request prices them without a
    # second read. Only services that do not change lines set it; None means "read them".
    lines_read = None

    public_id = models.CharField(max_length=32, unique=True, default=new_cart_id, editable=False)
    market = models.ForeignKey("shop.Market", related_name="+", on_delete=models.PROTECT)
    channel = models.ForeignKey("shop.Channel", related_name="+", on_delete=models.PROTECT)
    currency = models.CharField(max_length=3)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="carts",
        on_delete=models.SET_NULL,
    )
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    email = models.EmailField(blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    billing_address = models.JSONField(default=dict, blank=True)
    shipping_method = models.ForeignKey(
        "orders.ShippingMethod",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    status = models.CharField(max_length=10, choices=CartStatus.choices, default=CartStatus.OPEN)
    checkout_step = models.CharField(max_length=10, choices=CheckoutStep.choices, blank=True)
    # The card chosen on the storefront's payment step: the gateway's token and the last four
    # digits to show (the number itself is never kept), usable only from the browser session
    # that entered it. Cleared when the cart becomes an order. The API passes its token
    # with POST /orders instead.
    card_token = models.CharField(max_length=64, blank=True, editable=False)
    card_last4 = models.CharField(max_length=4, blank=True, editable=False)
    card_session_key = models.CharField(max_length=40, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["customer", "status"], name="cart_customer_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CartStatus.values), name="cart_status_valid"
            ),
        ]

    def __str__(self):
        return self.public_id

    @property
    def is_open(self) -> bool:
        return self.status == CartStatus.OPEN


class CartLine(TimeStampedModel):
    """One variant in a cart. `unit_price_cents` is the price the buyer saw when adding it."""

    public_id = models.CharField(
        max_length=32, unique=True, default=new_cart_line_id, editable=False
    )
    cart = models.ForeignKey(Cart, related_name="lines", on_delete=models.CASCADE)
    variant = models.ForeignKey("catalog.Variant", related_name="+", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    unit_price_cents = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_line_unique_variant"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_LINE_QUANTITY),
                name="cart_line_quantity_range",
            ),
        ]

    # Not a column: the variant's [(option name, value)], set by orders.pricing.load_cart_lines.
    options: list[tuple[str, str]] = ()

    def __str__(self):
        return f"{self.quantity}×{self.variant_id}"

    @property
    def variant_title(self) -> str:
        """ "Black / M": the option values (as loaded), else the variant's own title."""
        return " / ".join(value for _name, value in self.options) or self.variant.title or ""


class CheckoutStepEvent(models.Model):
    """A buyer entered or left a checkout step: abandonment per step is counted from these."""

    class Kind(models.TextChoices):
        ENTER = "enter", _("Entered")
        LEAVE = "leave", _("Left")

    cart = models.ForeignKey(Cart, related_name="step_events", on_delete=models.CASCADE)
    step = models.CharField(max_length=10, choices=CheckoutStep.choices)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["step", "kind", "at"], name="checkout_step_idx")]

    def __str__(self):
        return f"{self.cart_id} {self.kind} {self.step}"
