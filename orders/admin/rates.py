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

from babel import Locale
from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from orders.addresses import REGIONS
from orders.models import PPM, ShippingMethod, ShippingRate, ShippingZone, TaxRate
from orders.providers.tables import forget_rate_tables
from shop.forms import StorableTextMixin
from shop.money import (
    MACHINE_LOCALE,
    AmountInputError,
    Money,
    format_amount_input,
    is_known_currency,
    parse_money_input,
)

# Babel's territories include groupings that are not countries one ships to.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ"}
COUNTRY_CODES = frozenset(
    code
    for code in Locale("en").territories
    if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
)


def _codes(text: str) -> list[str]:
    """ "us, ca de" -> ["US", "CA", "DE"], each once, in the order typed."""
    seen: list[str] = []
    for part in text.replace(",", " ").split():
        code = part.strip().upper()
        if code not in seen:
            seen.append(code)
    return seen


def check_region(country: str, region: str) -> str | None:
    """Why `region` is not a region of `country` (None when it is, or cannot be checked)."""
    known = REGIONS.get(country)
    if known is not None and region not in known:
        return _("%(region)s is not a region of %(country)s.") % {
            "region": region,
            "country": country,
        }
    if not (region.isalnum() and 1 <= len(region) <= 3):
        return _("%(region)s is not a region code (1 to 3 letters or digits).") % {
            "region": region
        }
    return None


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


class ShippingZoneForm(StorableTextMixin, forms.ModelForm):
    """Countries and regions typed as codes separated by commas ("US, CA"; "US-AK, US-HI")."""

    countries = forms.CharField(
        help_text=_('ISO 3166 alpha-2 country codes separated by commas, e.g. "DE, FR, NL".')
    )
    regions = forms.CharField(
        required=False,
        help_text=_(
            'Only these regions of the countries (ISO 3166-2, e.g. "US-AK, US-HI"); '
            "empty: the whole countries. A region zone wins over a country zone."
        ),
    )

    class Meta:
        model = ShippingZone
        fields = ["name", "countries", "regions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["countries"] = ", ".join(self.instance.countries)
            self.initial["regions"] = ", ".join(self.instance.regions)

    def clean_countries(self):
        codes = _codes(self.cleaned_data["countries"])
        unknown = [code for code in codes if code not in COUNTRY_CODES]
        if unknown:
            raise forms.ValidationError(
                _("Not country codes: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        if not codes:
            raise forms.ValidationError(_("Name at least one country."))
        return codes

    def clean_regions(self):
        return _codes(self.cleaned_data.get("regions", ""))

    def clean(self):
        cleaned = super().clean()
        countries = cleaned.get("countries") or []
        problems = []
        for code in cleaned.get("regions") or []:
            country, _dash, region = code.partition("-")
            if country not in countries:
                problems.append(
                    _("%(code)s: %(country)s is not one of the zone's countries.")
                    % {"code": code, "country": country}
                )
            elif (why := check_region(country, region)) is not None:
                problems.append(f"{code}: {why}")
        if problems:
            self.add_error("regions", problems)
        return cleaned


class MoneyInputsMixin:
    """Amount fields typed as "5.99" in the row's currency, stored as minor units.

    `money_fields` maps a form field to the model's `*_cents` field; `required_money` names
    the ones that may not be left empty.
    """

    money_fields: dict[str, str] = {}
    required_money: set[str] = set()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currency = self.instance.currency if self.instance.pk else ""
        for field, cents_field in self.money_fields.items():
            cents = getattr(self.instance, cents_field)
            if currency and cents is not None:
                self.initial[field] = format_amount_input(cents, currency, MACHINE_LOCALE)

    def clean(self):
        cleaned = super().clean()
        currency = cleaned.get("currency")
        if not currency:
            return cleaned  # the currency field says why
        for field, cents_field in self.money_fields.items():
            if self.has_error(field):
                continue  # "required" said it already
            text = (cleaned.get(field) or "").strip()
            if not text:
                if field in self.required_money:
                    self.add_error(field, _("Enter an amount."))
                setattr(self.instance, cents_field, None)
                continue
            try:
                cents = parse_money_input(text, currency=currency, locale=MACHINE_LOCALE)
            except AmountInputError as exc:
                self.add_error(field, str(exc))
                continue
            setattr(self.instance, cents_field, cents)
        return cleaned


class ShippingRateForm(MoneyInputsMixin, forms.ModelForm):
    money_fields = {
        "price": "price_cents",
        "min_order": "min_order_cents",
        "max_order": "max_order_cents",
        "free_over": "free_over_cents",
    }
    required_money = {"price", "min_order"}

    price = forms.CharField(max_length=32, help_text=_("In the rate's currency, e.g. 5.99"))
    min_order = forms.CharField(
        max_length=32,
        initial="0",
        label=_("From order value"),
        help_text=_("Goods after discounts"),
    )
    max_order = forms.CharField(
        max_length=32, required=False, label=_("Below order value"), help_text=_("Empty: no limit")
    )
    free_over = forms.CharField(
        max_length=32,
        required=False,
        label=_("Free from"),
        help_text=_("Goods value from which this rate is free; empty: never"),
    )

    class Meta:
        model = ShippingRate
        fields = [
            "method",
            "zone",
            "currency",
            "min_weight_grams",
            "max_weight_grams",
            "is_active",
        ]

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if not is_known_currency(currency):
            raise forms.ValidationError(_("Not an ISO 4217 currency code."))
        return currency

    def clean(self):
        cleaned = super().clean()
        # The model's band constraint is not validated for fields the form does not hold
        # (the amounts are typed in other fields), so it is checked here, before the save.
        low, high = self.instance.min_order_cents, self.instance.max_order_cents
        if high is not None and low is not None and not self.errors and high <= low:
            self.add_error("max_order", _("Must be more than the order value it starts at."))
        return cleaned


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


class TaxRateForm(forms.ModelForm):
    """The rate typed in percent (8.875), stored in parts per million (88750), exactly."""

    rate_percent = forms.DecimalField(
        label=_("Rate (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=8,
        decimal_places=4,
        help_text=_("Up to four decimals: 8.875 for New York City's 8.875 %."),
    )

    class Meta:
        model = TaxRate
        fields = [
            "country",
            "region",
            "name",
            "prices_include_tax",
            "applies_to_shipping",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["rate_percent"] = Decimal(self.instance.rate_ppm) / (PPM // 100)

    def clean_country(self):
        country = self.cleaned_data["country"].strip().upper()
        if country not in COUNTRY_CODES:
            raise forms.ValidationError(_("Not an ISO 3166 alpha-2 country code."))
        return country

    def clean(self):
        cleaned = super().clean()
        region = (cleaned.get("region") or "").strip().upper()
        cleaned["region"] = self.instance.region = region
        country = cleaned.get("country")
        if region and country and (why := check_region(country, region)) is not None:
            self.add_error("region", why)
        percent = cleaned.get("rate_percent")
        if percent is not None:
            self.instance.rate_ppm = int(percent * (PPM // 100))
        return cleaned


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
