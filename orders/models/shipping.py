"""Shipping configuration: methods, zones (countries/regions) and rate bands; tax rates."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shop.models import validate_currency

PPM = 1_000_000  # tax rates are parts per million: 8.875% == 88_750, 9.975% == 99_750


class ShippingMethod(models.Model):
    """A way to ship (standard, express) the buyer picks at checkout."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=255, blank=True)
    min_days = models.PositiveSmallIntegerField(null=True, blank=True)
    max_days = models.PositiveSmallIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self):
        return self.name


class ShippingZone(models.Model):
    """Where rates apply: whole countries, or only some of their regions.

    `regions` holds ISO 3166-2 codes ("US-AK"); empty means every region of `countries`.
    When zones overlap, a region match beats a country match.
    """

    name = models.CharField(max_length=120, unique=True)
    countries = models.JSONField(default=list, help_text=_("ISO 3166 alpha-2 codes"))
    regions = models.JSONField(default=list, blank=True, help_text=_('ISO 3166-2, e.g. "US-AK"'))

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def specificity(self, country: str, region: str) -> int | None:
        """2 for a region match, 1 for a whole-country match, None when the zone misses."""
        if country not in self.countries:
            return None
        if not self.regions:
            return 1
        return 2 if f"{country}-{region}" in self.regions else None


class ShippingRate(models.Model):
    """A method's price in one zone and currency, for a band of weight and/or order value.

    Bands are inclusive at the minimum and exclusive at the maximum (empty: no upper bound).
    From `free_over_cents` of goods (after discounts) shipping is free.
    """

    method = models.ForeignKey(ShippingMethod, related_name="rates", on_delete=models.CASCADE)
    zone = models.ForeignKey(ShippingZone, related_name="rates", on_delete=models.CASCADE)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    price_cents = models.PositiveBigIntegerField()
    min_weight_grams = models.PositiveIntegerField(default=0)
    max_weight_grams = models.PositiveIntegerField(null=True, blank=True)
    min_order_cents = models.PositiveBigIntegerField(default=0)
    max_order_cents = models.PositiveBigIntegerField(null=True, blank=True)
    free_over_cents = models.PositiveBigIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["method__position", "zone__name", "currency", "min_weight_grams"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_weight_grams__isnull=True)
                | Q(max_weight_grams__gt=F("min_weight_grams")),
                name="shipping_rate_weight_band",
            ),
            models.CheckConstraint(
                condition=Q(max_order_cents__isnull=True)
                | Q(max_order_cents__gt=F("min_order_cents")),
                name="shipping_rate_order_band",
            ),
        ]

    def __str__(self):
        return f"{self.method} {self.zone} {self.price_cents} {self.currency}"


class TaxRate(models.Model):
    """The sales tax or VAT rate for a country, or one of its regions (state, province).

    A region row replaces the country row for addresses in that region (so QC holds the
    combined GST + QST). `prices_include_tax` says catalog prices there already contain the
    tax (EU VAT); the manual tax provider extracts it instead of adding it.
    """

    country = models.CharField(max_length=2)
    region = models.CharField(max_length=3, blank=True, help_text=_("Empty: the whole country"))
    name = models.CharField(max_length=80)
    rate_ppm = models.PositiveIntegerField(help_text=_("Parts per million: 8.875% is 88750"))
    prices_include_tax = models.BooleanField(default=False)
    applies_to_shipping = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["country", "region"]
        constraints = [
            models.UniqueConstraint(fields=["country", "region"], name="tax_rate_unique_place"),
            models.CheckConstraint(condition=Q(rate_ppm__lte=PPM), name="tax_rate_lte_100pct"),
        ]

    def __str__(self):
        place = f"{self.country}-{self.region}" if self.region else self.country
        return f"{place} {self.name}"
