"""Shipments: the parcels an order leaves in, one location each, with their own machine.

pending -> picking -> packed -> shipped -> delivered; pending|picking|packed -> cancelled.
Ship is allowed from pending and picking too (a warehouse that packs and ships in one
step). Transitions only stamp fields; orders/services/shipments.py moves the stock, the
order and the money around them (docs/orders.md, "Fulfillment").
"""

import re

import django_fsm as fsm
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.db import TimeStampedModel, new_public_id

TRACKING_NUMBER_MAX_LENGTH = 40
TRACKING_URL_MAX_LENGTH = 500
# Carriers print letters, digits and sometimes spaces or dashes; nothing else is accepted
# (no markup, no control characters), so a number is safe in a URL, a CSV and an e-mail.
TRACKING_NUMBER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9 \-]*[A-Za-z0-9])?$")


def new_shipment_id() -> str:
    return new_public_id("shp")


class Carrier(models.TextChoices):
    UPS = "ups", "UPS"
    USPS = "usps", "USPS"
    FEDEX = "fedex", "FedEx"
    DHL = "dhl", "DHL Express"
    CANADA_POST = "canada_post", "Canada Post"
    ROYAL_MAIL = "royal_mail", "Royal Mail"
    DPD = "dpd", "DPD"
    GLS = "gls", "GLS"
    LOCAL_COURIER = "local_courier", _("Local courier")


# Where a customer follows a parcel; {number} is the URL-quoted tracking number.
TRACKING_URL_TEMPLATES = {
    Carrier.UPS: "https://www.ups.com/track?tracknum={number}",
    Carrier.USPS: "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    Carrier.FEDEX: "https://www.fedex.com/fedextrack/?trknbr={number}",
    Carrier.DHL: "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
    Carrier.CANADA_POST: "https://www.canadapost-postescanada.ca/track-reperage/en#/details/{number}",
    Carrier.ROYAL_MAIL: "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
    Carrier.DPD: "https://tracking.dpd.de/status/en_US/parcel/{number}",
    Carrier.GLS: "https://gls-group.com/track/{number}",
}


def validate_tracking_number(value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError(_("A tracking number is required."), code="required")
    if len(value) > TRACKING_NUMBER_MAX_LENGTH:
        raise ValidationError(
            _("A tracking number has at most %(n)d characters.")
            % {"n": TRACKING_NUMBER_MAX_LENGTH},
            code="max_length",
        )
    if not TRACKING_NUMBER_RE.match(value):
        raise ValidationError(
            _("A tracking number has letters, digits, spaces and dashes only."), code="invalid"
        )


def validate_tracking_url(value: str) -> None:
    if len(value) > TRACKING_URL_MAX_LENGTH:
        raise ValidationError(
            _("A tracking URL has at most %(n)d characters.") % {"n": TRACKING_URL_MAX_LENGTH},
            code="max_length",
        )
    if any(ch in value for ch in "<>\"'` ") or any(ord(ch) < 32 for ch in value):
        raise ValidationError(_("A tracking URL cannot contain markup or spaces."), code="invalid")
    URLValidator(schemes=["https"])(value)


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PICKING = "picking", _("Picking")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


SH = ShipmentStatus
# A shipment still in the warehouse: its units are outbound (in_transit_out), not yet gone.
OPEN_SHIPMENT_STATUSES = [SH.PENDING, SH.PICKING, SH.PACKED]


class Shipment(fsm.ConcurrentTransitionMixin, TimeStampedModel):
    """One parcel of an order, from one stock location."""

    public_id = models.CharField(
        max_length=32, unique=True, default=new_shipment_id, editable=False
    )
    order = models.ForeignKey("orders.Order", related_name="shipments", on_delete=models.PROTECT)
    location = models.ForeignKey(
        "inventory.Location", related_name="shipments", on_delete=models.PROTECT
    )
    status = fsm.FSMField(
        max_length=12, choices=ShipmentStatus.choices, default=SH.PENDING, protected=True
    )
    carrier = models.CharField(max_length=20, choices=Carrier.choices, blank=True)
    tracking_number = models.CharField(
        max_length=TRACKING_NUMBER_MAX_LENGTH, blank=True, validators=[validate_tracking_number]
    )
    tracking_url = models.CharField(
        max_length=TRACKING_URL_MAX_LENGTH, blank=True, validators=[validate_tracking_url]
    )
    captured_cents = models.BigIntegerField(
        default=0, help_text=_("Money captured when this shipment shipped")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    picking_at = models.DateTimeField(null=True, blank=True)
    packed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The return window counts from this date")
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "location"], name="shipment_status_loc_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ShipmentStatus.values), name="shipment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(carrier="") | Q(carrier__in=Carrier.values),
                name="shipment_carrier_known",
            ),
            # A tracking number finds one live parcel (the delivery CSV matches on it).
            models.UniqueConstraint(
                fields=["tracking_number"],
                condition=~Q(tracking_number="") & ~Q(status=SH.CANCELLED),
                name="shipment_tracking_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[SH.PENDING, SH.PICKING, SH.PACKED, SH.CANCELLED])
                | (~Q(carrier="") & ~Q(tracking_number="")),
                name="shipment_shipped_has_tracking",
            ),
            models.CheckConstraint(
                condition=Q(captured_cents__gte=0), name="shipment_captured_gte_0"
            ),
        ]

    def __str__(self):
        return self.public_id

    @property
    def carrier_name(self) -> str:
        return Carrier(self.carrier).label if self.carrier else ""

    @fsm.transition(field=status, source=SH.PENDING, target=SH.PICKING, custom={"admin": False})
    def start_picking(self) -> None:
        self.picking_at = timezone.now()

    @fsm.transition(field=status, source=SH.PICKING, target=SH.PACKED, custom={"admin": False})
    def pack(self) -> None:
        self.packed_at = timezone.now()

    @fsm.transition(
        field=status, source=OPEN_SHIPMENT_STATUSES, target=SH.SHIPPED, custom={"admin": False}
    )
    def ship(self) -> None:
        self.shipped_at = timezone.now()

    @fsm.transition(field=status, source=SH.SHIPPED, target=SH.DELIVERED, custom={"admin": False})
    def deliver(self, *, delivered_at=None) -> None:
        self.delivered_at = delivered_at or timezone.now()

    @fsm.transition(
        field=status, source=OPEN_SHIPMENT_STATUSES, target=SH.CANCELLED, custom={"admin": False}
    )
    def cancel(self, *, reason: str = "") -> None:
        self.cancelled_at = timezone.now()
        self.cancel_reason = reason[:255]


class ShipmentLine(models.Model):
    """Units of one order line in a shipment, and the stock hold they are picked from."""

    shipment = models.ForeignKey(Shipment, related_name="lines", on_delete=models.CASCADE)
    order_line = models.ForeignKey(
        "orders.OrderLine", related_name="shipment_lines", on_delete=models.PROTECT
    )
    quantity = models.PositiveIntegerField()
    reservation = models.ForeignKey(
        "inventory.Reservation",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
        help_text=_("The picking hold these units come from (in_transit_out)"),
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="shipment_line_quantity_gt_0"
            ),
            models.UniqueConstraint(
                fields=["shipment", "order_line"], name="shipment_line_unique"
            ),
        ]

    def __str__(self):
        return f"{self.quantity}×{self.order_line_id}"
