"""Inventory: locations, stock per (variant, location), reservations, transfers and the ledger.

The truth about stock is the `StockLevel` row. Its counters change only through
`inventory.services` (conditional UPDATEs under row locks); CHECK constraints refuse any write,
from any caller, that would oversell. Every change of `on_hand` appends a `StockMovement`.
"""

from datetime import timedelta
from functools import partial

import django_fsm as fsm
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.db import TimeStampedModel, new_public_id

new_transfer_id = partial(new_public_id, "trf")
new_reservation_id = partial(new_public_id, "rsv")


class LocationKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    STORE = "store", _("Store")
    REFURBISHMENT = "refurbishment", _("Refurbishment centre")
    THIRD_PARTY = "3pl", _("Third-party logistics (3PL)")


class LocationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def serving(self, market):
        return self.active().filter(markets=market)


class Location(TimeStampedModel):
    """A place that holds stock. Routing picks among the active locations serving a market."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=LocationKind.choices)
    address = models.TextField(blank=True)
    country = models.CharField(max_length=2, help_text=_("ISO 3166 alpha-2"))
    markets = models.ManyToManyField(
        "shop.Market", blank=True, related_name="stock_locations", help_text=_("Markets served")
    )
    priority = models.PositiveSmallIntegerField(
        default=100, help_text=_("Routing order: lower ships first")
    )
    shipping_costs = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('Shipping cost per zone (market code) in minor units, e.g. {"US": 500}'),
    )
    is_active = models.BooleanField(default=True)
    last_synced_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When a WMS last counted this location")
    )
    staleness_budget_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Empty: INVENTORY_STALENESS_BUDGET_SECONDS")
    )

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=LocationKind.values), name="location_kind")
        ]

    def __str__(self):
        return f"{self.code} ({self.name})"

    def shipping_cost_to(self, market_code: str) -> int:
        """Cost of shipping to a zone; unknown zones sort last."""
        cost = (self.shipping_costs or {}).get(market_code)
        return int(cost) if cost is not None else 10**9

    @property
    def staleness_budget(self) -> timedelta:
        seconds = self.staleness_budget_seconds or settings.INVENTORY_STALENESS_BUDGET_SECONDS
        return timedelta(seconds=seconds)

    @property
    def count_age(self) -> timedelta | None:
        return timezone.now() - self.last_synced_at if self.last_synced_at else None

    @property
    def is_stale(self) -> bool:
        age = self.count_age
        return age is None or age > self.staleness_budget


# ATP = on_hand - reserved - in_transit_out + in_transit_in - safety_stock (ARCHITECTURE.md).
ATP_EXPRESSION = (
    F("on_hand") - F("reserved") - F("in_transit_out") + F("in_transit_in") - F("safety_stock")
)


class StockLevel(models.Model):
    """Units of one variant at one location.

    `reserved` holds units promised to carts and orders; `in_transit_out` units being picked
    and packed for a shipment (still on hand); `in_transit_in` units of transfers on their way
    here. Invariant (CHECK): promises never exceed what is here or on its way.
    """

    variant = models.ForeignKey(
        "catalog.Variant", related_name="stock_levels", on_delete=models.PROTECT
    )
    location = models.ForeignKey(Location, related_name="stock_levels", on_delete=models.PROTECT)
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    in_transit_out = models.IntegerField(default=0)
    in_transit_in = models.IntegerField(default=0)
    safety_stock = models.IntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True, help_text=_("as_of of the last count"))
    source = models.CharField(max_length=60, blank=True, help_text=_("Who last counted"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["variant_id", "location__priority", "location_id"]
        permissions = [
            ("adjust_stock", "Can adjust stock (with a reason)"),
            ("sync_stock", "Can push absolute stock counts (WMS sync, import)"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["variant", "location"], name="stock_unique_location"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_gte_0"),
            models.CheckConstraint(
                condition=Q(in_transit_out__gte=0), name="stock_in_transit_out_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(in_transit_in__gte=0), name="stock_in_transit_in_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(safety_stock__gte=0), name="stock_safety_stock_gte_0"
            ),
            # The no-oversell invariant: promised units <= units here or inbound.
            models.CheckConstraint(
                condition=Q(on_hand__gte=F("reserved") + F("in_transit_out") - F("in_transit_in")),
                name="stock_promised_lte_available",
            ),
        ]

    def __str__(self):
        return f"{self.variant_id}@{self.location_id}"

    @property
    def atp(self) -> int:
        return (
            self.on_hand
            - self.reserved
            - self.in_transit_out
            + self.in_transit_in
            - self.safety_stock
        )


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", _("Active (soft, expires)")
    COMMITTED = "committed", _("Committed (hard)")
    PICKING = "picking", _("Being picked")
    RELEASED = "released", _("Released")
    EXPIRED = "expired", _("Expired")
    CONSUMED = "consumed", _("Consumed (shipped)")


HOLDING_STATUSES = [ReservationStatus.ACTIVE, ReservationStatus.COMMITTED]
OPEN_STATUSES = [*HOLDING_STATUSES, ReservationStatus.PICKING]


class ReservationKind(models.TextChoices):
    SOFT = "soft", _("Soft (TTL)")
    HARD = "hard", _("Hard (no TTL)")


class ReservationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def expired(self, now=None):
        return self.filter(status=ReservationStatus.ACTIVE, expires_at__lte=now or timezone.now())


class Reservation(TimeStampedModel):
    """Units of one variant held at one location for an owner (a cart or an order).

    ACTIVE and COMMITTED count in `StockLevel.reserved`; PICKING in `in_transit_out`.
    Status changes happen only in services, as conditional UPDATEs (no double release).
    """

    # Unique through Meta.constraints, and the owner indexed through Meta.indexes: a field's own
    # unique/db_index adds a second (LIKE) index on PostgreSQL that no query here uses, and
    # every hold pays for each index it is written to.
    public_id = models.CharField(max_length=32, default=new_reservation_id, editable=False)
    variant = models.ForeignKey(
        "catalog.Variant", related_name="reservations", on_delete=models.PROTECT
    )
    # No index of its own: nothing looks reservations up by location alone (a location is
    # never deleted while it has any, and the stock rows say what it holds).
    location = models.ForeignKey(
        Location, related_name="reservations", on_delete=models.PROTECT, db_index=False
    )
    quantity = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.ACTIVE
    )
    kind = models.CharField(
        max_length=4, choices=ReservationKind.choices, default=ReservationKind.SOFT
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    owner = models.CharField(max_length=64, help_text=_("cart_… or ord_…"))

    objects = ReservationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="reservation_expiry_idx"),
            models.Index(fields=["owner"], name="reservation_owner_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="reservation_public_id_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(status__in=ReservationStatus.values), name="reservation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind=ReservationKind.HARD, expires_at__isnull=True)
                | Q(kind=ReservationKind.SOFT, expires_at__isnull=False),
                name="reservation_soft_expires",
            ),
        ]

    def __str__(self):
        return f"{self.public_id} {self.quantity}×{self.variant_id}@{self.location_id}"

    @property
    def time_left(self) -> timedelta | None:
        if self.expires_at is None or self.status != ReservationStatus.ACTIVE:
            return None
        return max(self.expires_at - timezone.now(), timedelta(0))


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ADJUSTMENT = "adjustment", _("Adjustment")
    SALE = "sale", _("Sale (consumed)")
    RETURN_RESTOCK = "return_restock", _("Return restock")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    SYNC = "sync", _("Count correction (WMS / import)")
    WRITE_OFF = "write_off", _("Write-off")


class StockMovement(models.Model):
    """One change of `on_hand`: the append-only ledger. sum(delta) == StockLevel.on_hand."""

    variant = models.ForeignKey(
        "catalog.Variant", related_name="stock_movements", on_delete=models.PROTECT
    )
    location = models.ForeignKey(
        Location, related_name="stock_movements", on_delete=models.PROTECT
    )
    kind = models.CharField(max_length=16, choices=MovementKind.choices)
    delta = models.IntegerField()
    on_hand_after = models.IntegerField()
    reason = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["variant", "location"], name="movement_level_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="movement_delta_not_0"),
            models.CheckConstraint(
                condition=Q(on_hand_after__gte=0), name="movement_on_hand_after_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MovementKind.values), name="movement_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.delta:+d} {self.variant_id}@{self.location_id}"

    def save(self, *args, **kwargs):
        # Last line of defence for the ledger: rows are appended, never rewritten.
        if self.pk is not None:
            raise ValidationError(_("Stock movements are append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Stock movements are append-only."))


class TransferStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class Transfer(fsm.FSMModelMixin, TimeStampedModel):
    """Stock moving between two locations: draft -> in_transit -> received (or cancelled)."""

    public_id = models.CharField(
        max_length=32, unique=True, default=new_transfer_id, editable=False
    )
    source = models.ForeignKey(Location, related_name="transfers_out", on_delete=models.PROTECT)
    destination = models.ForeignKey(
        Location, related_name="transfers_in", on_delete=models.PROTECT
    )
    status = fsm.FSMField(
        choices=TransferStatus.choices, default=TransferStatus.DRAFT, protected=True
    )
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=F("destination")), name="transfer_distinct_locations"
            )
        ]

    def __str__(self):
        return self.public_id

    def clean(self):
        if self.source_id and self.source_id == self.destination_id:
            raise ValidationError({"destination": _("A transfer needs two different locations.")})

    # Transitions stamp fields only; stock moves in inventory.services.transfers.
    @fsm.transition(
        field=status,
        source=TransferStatus.DRAFT,
        target=TransferStatus.IN_TRANSIT,
        custom={"admin": False},
    )
    def ship(self) -> None:
        self.shipped_at = timezone.now()

    @fsm.transition(
        field=status,
        source=TransferStatus.IN_TRANSIT,
        target=TransferStatus.RECEIVED,
        custom={"admin": False},
    )
    def receive(self) -> None:
        self.received_at = timezone.now()

    @fsm.transition(
        field=status,
        source=TransferStatus.DRAFT,
        target=TransferStatus.CANCELLED,
        custom={"admin": False},
    )
    def cancel(self) -> None:
        pass


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, related_name="lines", on_delete=models.CASCADE)
    variant = models.ForeignKey("catalog.Variant", related_name="+", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "variant"], name="transfer_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_line_qty_gt_0"),
        ]

    def __str__(self):
        return f"{self.quantity}×{self.variant_id}"


class ReservationPolicyMode(models.TextChoices):
    AT_CHECKOUT = "at_checkout", _("Reserve at checkout (default)")
    AT_ADD_TO_CART = "at_add_to_cart", _("Reserve at add-to-cart (drops, flash sales)")


class ReservationPolicy(TimeStampedModel):
    """When stock is reserved for a product or variant, optionally only in one market.

    The most specific row wins: variant over product, a market-specific row over an
    any-market one. Without a row the policy is `at_checkout`.
    """

    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, related_name="+", on_delete=models.CASCADE
    )
    variant = models.ForeignKey(
        "catalog.Variant", null=True, blank=True, related_name="+", on_delete=models.CASCADE
    )
    market = models.ForeignKey(
        "shop.Market", null=True, blank=True, related_name="+", on_delete=models.CASCADE
    )
    mode = models.CharField(max_length=16, choices=ReservationPolicyMode.choices)
    ttl_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Soft hold length; empty: the settings' default")
    )

    class Meta:
        verbose_name_plural = "reservation policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False) | Q(variant__isnull=False),
                name="policy_has_target",
            ),
        ]

    def __str__(self):
        return f"{self.mode} for {self.variant_id or self.product_id}"


class RoutingStrategy(models.TextChoices):
    CLOSEST = "closest", _("Closest (zone match, then priority)")
    FEWEST_SPLITS = "fewest_splits", _("Fewest splits (one location fills the order)")
    LOWEST_COST = "lowest_cost", _("Lowest shipping cost")


class MarketRouting(models.Model):
    """Which routing strategy picks stock locations for a market's orders."""

    market = models.OneToOneField(
        "shop.Market", related_name="inventory_routing", on_delete=models.CASCADE
    )
    strategy = models.CharField(max_length=16, choices=RoutingStrategy.choices)

    class Meta:
        verbose_name = "market routing"

    def __str__(self):
        return f"{self.market_id}: {self.strategy}"


class DropQuerySet(models.QuerySet):
    def live_or_scheduled(self):
        return self.filter(ended_at__isnull=True)


class Drop(TimeStampedModel):
    """A product (every variant) or one variant sold in drop mode from `starts_at`.

    In drop mode add-to-cart first passes the Redis admission gate (inventory.drop_gate):
    one token per unit, so PostgreSQL sees at most as many reservation attempts as there are
    units; StockLevel stays the truth. Purchase limits count units per order and per
    customer (account, or e-mail for guests). Written only by inventory.services.drops.
    """

    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, related_name="+", on_delete=models.CASCADE
    )
    variant = models.ForeignKey(
        "catalog.Variant", null=True, blank=True, related_name="+", on_delete=models.CASCADE
    )
    starts_at = models.DateTimeField(help_text=_("When add-to-cart opens (the market's time)"))
    per_order_limit = models.IntegerField(
        null=True, blank=True, help_text=_("Most units of one variant in one order; empty: none")
    )
    per_customer_limit = models.IntegerField(
        null=True,
        blank=True,
        help_text=_("Most units of one variant per customer (account or guest e-mail)"),
    )
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = DropQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False, variant__isnull=True)
                | Q(product__isnull=True, variant__isnull=False),
                name="drop_has_one_target",
                violation_error_message=_("Choose a product or one variant, not both."),
            ),
            models.CheckConstraint(
                condition=Q(per_order_limit__isnull=True) | Q(per_order_limit__gte=1),
                name="drop_per_order_limit_gte_1",
                violation_error_message=_("A per-order limit must be at least 1 (or empty)."),
            ),
            models.CheckConstraint(
                condition=Q(per_customer_limit__isnull=True) | Q(per_customer_limit__gte=1),
                name="drop_per_customer_limit_gte_1",
                violation_error_message=_("A per-customer limit must be at least 1 (or empty)."),
            ),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(ended_at__isnull=True, product__isnull=False),
                name="one_open_drop_per_product",
                violation_error_message=_("That product is already in an open drop."),
            ),
            models.UniqueConstraint(
                fields=["variant"],
                condition=Q(ended_at__isnull=True, variant__isnull=False),
                name="one_open_drop_per_variant",
                violation_error_message=_("That variant is already in an open drop."),
            ),
        ]

    def __str__(self):
        target = f"variant {self.variant_id}" if self.variant_id else f"product {self.product_id}"
        return f"drop of {target} from {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.ended_at is None and self.starts_at <= timezone.now()
