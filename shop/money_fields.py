"""Form fields for money typed by staff: decimals in the market's locale, never minor units.

Every admin form that takes an amount uses these, so "26,50" means the same on every page:
26.50 where the market writes a decimal comma (de), a refusal where it is ambiguous (en).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shop.models import Market
from shop.money import (
    MACHINE_LOCALE,
    AmountInputError,
    format_amount_input,
    is_known_currency,
    is_known_locale,
    parse_money_input,
)


def market_locales() -> dict[str, str]:
    """{currency: locale its amounts are typed and shown in}, in market order.

    A currency's locale is that of the first active market (by position) selling in it; a
    market whose locale Babel does not know types in MACHINE_LOCALE ("." decimals) rather
    than failing every form that shows its currency.
    """
    rows = Market.objects.filter(is_active=True).order_by("position", "code")
    locales: dict[str, str] = {}
    for currency, locale in rows.values_list("currency", "default_locale"):
        locales.setdefault(currency, locale if is_known_locale(locale) else MACHINE_LOCALE)
    return locales


class MoneyAmountField(forms.CharField):
    """A decimal amount of one currency typed in `locale`; cleans to minor units (or None).

    Initial values are minor units (ints) and are shown the locale's way ("26,50"); the
    changed-check compares minor units, so "26.5" over a saved 2650 is no change.
    """

    def __init__(self, *, currency: str, locale: str, **kwargs):
        self.currency, self.locale = currency, locale
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "size": 8,
                    "inputmode": "decimal",
                    "lang": locale.replace("_", "-"),
                    "placeholder": format_amount_input(0, currency, locale),
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_money_input(text, currency=self.currency, locale=self.locale)
        except AmountInputError as exc:
            raise ValidationError(str(exc), code="invalid_amount") from None

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return format_amount_input(value, self.currency, self.locale)
        return value


class MarketCurrencyField(forms.ChoiceField):
    """A currency picked from the markets' currencies (plus `keep`, a row's current one)."""

    def __init__(self, *, currencies: list[str], keep: str | None = None, **kwargs):
        codes = list(dict.fromkeys([*currencies, *([keep] if keep else [])]))
        self.market_currencies = [code for code in codes if code != keep or code in currencies]
        kwargs.setdefault("choices", [("", "---------"), *[(c, c) for c in codes]])
        kwargs.setdefault("label", _("Currency"))
        super().__init__(**kwargs)

    def validate(self, value):
        if value and not self.valid_value(value):
            if not is_known_currency(value):
                raise ValidationError(
                    _("'%(value)s' is not an ISO 4217 currency code."),
                    code="invalid_choice",
                    params={"value": value},
                )
            raise ValidationError(
                _("'%(value)s' is not the currency of a market (%(currencies)s)."),
                code="invalid_choice",
                params={"value": value, "currencies": ", ".join(self.market_currencies)},
            )
        super().validate(value)
