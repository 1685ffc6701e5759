"""Checkout input, one form per step. Forms check the shape of what was typed; the orders
services check the rules (a valid e-mail, an address for its country, a method that ships
there) and their refusals land on these forms' fields (`add_service_errors`)."""

from __future__ import annotations

import re
from datetime import date

from babel import Locale, UnknownLocaleError
from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from orders.addresses import MAX_LENGTHS
from orders.providers.payments.dummy import token_for_card_number
from shop.exceptions import DomainError
from storefront.form_rendering import StorefrontForm


def add_service_errors(form: forms.Form, exc: DomainError, *, prefix: str = "") -> None:
    """Put a service refusal on the fields it names (the rest as a non-field error)."""
    fields = getattr(exc, "fields", None) or {}
    placed = False
    for name, messages in fields.items():
        field = name.removeprefix(prefix)
        if field in form.fields:
            for message in messages:
                form.add_error(field, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(exc.detail if hasattr(exc, "detail") else exc))


class ContactForm(StorefrontForm):
    email = forms.CharField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Your order confirmation and a link to the order go here."),
        error_messages={"required": _("Enter your e-mail address.")},
    )


def _country_choices(market) -> list[tuple[str, str]]:
    try:
        names = Locale.parse(market.default_locale or "en").territories
    except (UnknownLocaleError, ValueError):
        names = Locale.parse("en").territories
    return [(code, names.get(code, code)) for code in market.countries]


def _address_field(label, name: str) -> forms.CharField:
    # Required fields and formats depend on the country: the service says (orders.addresses).
    return forms.CharField(label=label, required=False, max_length=MAX_LENGTHS[name])


class AddressForm(StorefrontForm):
    """The shipping address; which fields are required depends on the country (the service)."""

    name = _address_field(_("Full name"), "name")
    line1 = _address_field(_("Address"), "line1")
    line2 = _address_field(_("Apartment, suite, etc. (optional)"), "line2")
    city = _address_field(_("City"), "city")
    region = _address_field(_("State / province"), "region")
    postal_code = _address_field(_("Postal code"), "postal_code")
    country = forms.ChoiceField(
        label=_("Country"),
        error_messages={
            "required": _("Choose a country."),
            "invalid_choice": _("We do not ship there from this store."),
        },
    )
    phone = _address_field(_("Phone (optional)"), "phone")

    AUTOCOMPLETE = {
        "name": "name",
        "line1": "address-line1",
        "line2": "address-line2",
        "city": "address-level2",
        "region": "address-level1",
        "postal_code": "postal-code",
        "country": "country",
        "phone": "tel",
    }

    def __init__(self, *args, market, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _country_choices(market)
        for name, field in self.fields.items():
            field.widget.attrs["autocomplete"] = self.AUTOCOMPLETE[name]
        self.fields["phone"].widget.input_type = "tel"


class ShippingMethodForm(StorefrontForm):
    method = forms.ChoiceField(
        label=_("Shipping method"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a shipping method."),
            "invalid_choice": _("That method does not ship to your address; choose another."),
        },
    )

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [(option.code, option.name) for option in options]


class _BlankTextInput(forms.TextInput):
    """Never writes the typed value back into the page: card numbers are not echoed."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


_EXPIRY = re.compile(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*")


class CardForm(StorefrontForm):
    """A card as typed. Its number is only mapped to the gateway's token (the dummy
    gateway's test cards, API.md "Test payment tokens"); it is never stored or echoed."""

    card_number = forms.CharField(
        label=_("Card number"),
        max_length=23,
        widget=_BlankTextInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the card number.")},
    )
    expiry = forms.CharField(
        label=_("Expiry date (MM / YY)"),
        max_length=9,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "MM / YY"}),
        error_messages={"required": _("Enter the expiry date.")},
    )
    cvc = forms.CharField(
        label=_("Security code"),
        max_length=4,
        widget=_BlankTextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
        validators=[RegexValidator(r"^\d{3,4}$", _("Enter the 3 or 4 digits on the card."))],
        error_messages={"required": _("Enter the security code.")},
    )

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or date.today()

    def clean_card_number(self) -> str:
        digits = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        if not digits.isdigit() or not 12 <= len(digits) <= 19:
            raise forms.ValidationError(_("Enter the card number: 12 to 19 digits."))
        if token_for_card_number(digits) is None:
            raise forms.ValidationError(
                _("This card is not accepted here. In test mode use 4242 4242 4242 4242.")
            )
        return digits

    def clean_expiry(self) -> tuple[int, int]:
        match = _EXPIRY.fullmatch(self.cleaned_data["expiry"])
        month, year = (int(match[1]), int(match[2])) if match else (0, 0)
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("Enter the expiry date as MM / YY."))
        year = year + 2000 if year < 100 else year
        if (year, month) < (self.today.year, self.today.month):
            raise forms.ValidationError(_("This card has expired."))
        return month, year

    @property
    def token(self) -> str:
        return token_for_card_number(self.cleaned_data["card_number"]) or ""

    @property
    def last4(self) -> str:
        return self.cleaned_data["card_number"][-4:]


class PlaceOrderForm(StorefrontForm):
    """The review page's submit: the cart and a key made when the page was drawn, so a
    double submit or a resubmit after going back finds the order the first one placed."""

    cart = forms.CharField(max_length=32)
    checkout_key = forms.CharField(
        max_length=64,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]{16,64}$")],
    )
