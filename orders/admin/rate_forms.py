"""The forms of the shipping and tax tables: what people type (country and region codes,
amounts in a rate's currency, a tax rate in percent) read into the models' fields."""

from __future__ import annotations

from decimal import Decimal

from babel import Locale
from django import forms
from django.utils.translation import gettext_lazy as _

from orders.addresses import REGIONS
from orders.models import PPM, ShippingRate, ShippingZone, TaxRate
from shop.forms import StorableTextMixin
from shop.money import (
    MACHINE_LOCALE,
    AmountInputError,
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
