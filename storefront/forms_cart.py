"""Cart input: add a variant, change a line's quantity (shape only; orders' services decide)."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from orders.models import MAX_LINE_QUANTITY
from storefront.form_rendering import StorefrontForm

OUT_OF_RANGE = format_lazy(_("Quantity must be between 1 and {limit}."), limit=MAX_LINE_QUANTITY)
QUANTITY_ERRORS = {
    "required": _("Enter a quantity."),
    "invalid": _("Enter a whole number."),
    "min_value": OUT_OF_RANGE,
    "max_value": OUT_OF_RANGE,
}


def quantity_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_LINE_QUANTITY,
        error_messages=QUANTITY_ERRORS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        **kwargs,
    )


class AddToCartForm(StorefrontForm):
    sku = forms.CharField(max_length=64, error_messages={"required": _("Choose an option.")})
    quantity = quantity_field()


class CartLineForm(StorefrontForm):
    quantity = quantity_field()
