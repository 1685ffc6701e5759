"""Shipping methods, zones and rates (Operations) and tax rates (Finance) in the admin.

Which group edits which is a permission (shop/roles.py): Operations holds the shipping models'
add/change/delete permissions and only views tax rates; Finance edits tax rates; the
Merchandiser sees none of them. These are reference tables, edited row by row like markets
and locations: the forms check what was typed (country and region codes, amounts in the
rate's currency, a tax rate in percent), the models' constraints check the rest, and
checkout reads them through the cached rate tables (orders.providers.tables), which are
dropped again once the change has committed.

Shipping methods are never deleted (carts and orders point at them): they are switched off.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from orders.admin.rate_forms import ShippingRateForm, ShippingZoneForm, TaxRateForm
from orders.models import PPM, ShippingMethod, ShippingRate, ShippingZone, TaxRate
from orders.providers.tables import forget_rate_tables
from shop.money import Money


class DropsRateTablesAfterCommit:
    """Checkout caches the rate tables; saving a row drops them (orders/apps.py signals), but
    inside the admin's transaction, so a checkout in between could cache the old rows again.
    Dropping them once more after the page's transaction has committed closes that gap."""

    def changeform_view(self, *args, **kwargs):
        response = super().changeform_view(*args, **kwargs)
        forget_rate_tables()
        return response

    def delete_view(self, *args, **kwargs):
        response = super().delete_view(*args, **kwargs)
        forget_rate_tables()
        return response

    def changelist_view(self, request, *args, **kwargs):
        response = super().changelist_view(request, *args, **kwargs)
        if request.method == "POST":  # "delete selected" and list edits
            forget_rate_tables()
        return response


# --- Shipping (Operations) -------------------------------------------------------------------


@admin.register(ShippingMethod)
class ShippingMethodAdmin(DropsRateTablesAfterCommit, admin.ModelAdmin):
    list_display = ["code", "name", "delivery_days", "is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "description", ("min_days", "max_days"), "is_active", "position"]

    def get_readonly_fields(self, request, obj=None):
        # Orders keep the method's code in their snapshot: a code is never re-pointed.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # carts and orders point at it: switch it off instead

    @admin.display(description=_("Days"))
    def delivery_days(self, method):
        if method.min_days is None and method.max_days is None:
            return "—"
        return f"{method.min_days or 0}–{method.max_days or '?'}"


class ShippingRateInline(admin.TabularInline):
    model = ShippingRate
    form = ShippingRateForm
    extra = 0
    fields = [
        "method",
        "currency",
        "price",
        "min_weight_grams",
        "max_weight_grams",
        "min_order",
        "max_order",
        "free_over",
        "is_active",
    ]


@admin.register(ShippingZone)
class ShippingZoneAdmin(DropsRateTablesAfterCommit, admin.ModelAdmin):
    form = ShippingZoneForm
    list_display = ["name", "country_list", "region_list"]
    search_fields = ["name"]
    inlines = [ShippingRateInline]

    @admin.display(description=_("Countries"))
    def country_list(self, zone):
        return ", ".join(zone.countries)

    @admin.display(description=_("Regions"))
    def region_list(self, zone):
        return ", ".join(zone.regions) or _("all")


@admin.register(ShippingRate)
class ShippingRateAdmin(DropsRateTablesAfterCommit, admin.ModelAdmin):
    form = ShippingRateForm
    list_display = [
        "method",
        "zone",
        "currency",
        "price_shown",
        "weight_band",
        "order_band",
        "free_from",
        "is_active",
    ]
    list_select_related = ["method", "zone"]
    list_filter = ["method", "zone", "currency", "is_active"]
    fieldsets = [
        (None, {"fields": ["method", "zone", ("currency", "price"), "is_active"]}),
        (
            _("When it applies"),
            {
                "fields": [
                    ("min_weight_grams", "max_weight_grams"),
                    ("min_order", "max_order"),
                    "free_over",
                ]
            },
        ),
    ]

    @admin.display(description=_("Price"), ordering="price_cents")
    def price_shown(self, rate):
        return Money(rate.price_cents, rate.currency)

    @admin.display(description=_("Weight (g)"))
    def weight_band(self, rate):
        return f"{rate.min_weight_grams}–{rate.max_weight_grams or ''}"

    @admin.display(description=_("Order value"))
    def order_band(self, rate):
        low = Money(rate.min_order_cents, rate.currency)
        high = "" if rate.max_order_cents is None else Money(rate.max_order_cents, rate.currency)
        return f"{low}–{high}"

    @admin.display(description=_("Free from"))
    def free_from(self, rate):
        return "—" if rate.free_over_cents is None else Money(rate.free_over_cents, rate.currency)


# --- Tax (Finance) ---------------------------------------------------------------------------


@admin.register(TaxRate)
class TaxRateAdmin(DropsRateTablesAfterCommit, admin.ModelAdmin):
    form = TaxRateForm
    list_display = [
        "country",
        "region",
        "name",
        "rate",
        "prices_include_tax",
        "applies_to_shipping",
        "is_active",
    ]
    list_filter = ["country", "prices_include_tax", "is_active"]
    search_fields = ["country", "region", "name"]
    fields = [
        ("country", "region"),
        "name",
        "rate_percent",
        "prices_include_tax",
        "applies_to_shipping",
        "is_active",
    ]

    @admin.display(description=_("Rate"), ordering="rate_ppm")
    def rate(self, tax_rate):
        return f"{Decimal(tax_rate.rate_ppm) / (PPM // 100):f}".rstrip("0").rstrip(".") + " %"
