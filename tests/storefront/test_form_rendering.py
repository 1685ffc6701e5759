"""The storefront's forms draw their inputs with Django's Jinja2 form renderer, plain inputs
directly: the same inputs as Django's default renderer draws (blank lines aside), in less time."""

import re
from collections import namedtuple
from pathlib import Path

import django
import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, Jinja2
from django.utils.safestring import mark_safe

from storefront.form_rendering import INPUTS, PLAIN_INPUT_TEMPLATES
from storefront.forms_cart import AddToCartForm, CartLineForm
from storefront.forms_checkout import (
    AddressForm,
    CardForm,
    ContactForm,
    PlaceOrderForm,
    ShippingMethodForm,
)
from tests.factories.inventory import market

pytestmark = pytest.mark.django_db

Option = namedtuple("Option", "code name")


def _forms(renderer):
    us = market("US")
    return [
        ContactForm({"email": "not an e-mail"}, renderer=renderer),
        AddressForm({"name": "<b>Ada</b>", "country": "US"}, market=us, renderer=renderer),
        AddressForm(market=us, initial={"country": "US"}, renderer=renderer),
        ShippingMethodForm(
            options=[Option("standard", "Standard & slow"), Option("express", "Express")],
            initial={"method": "standard"},
            renderer=renderer,
        ),
        CardForm({"card_number": "4242 4242 4242 4242"}, renderer=renderer),
        PlaceOrderForm(initial={"cart": "cart_x", "checkout_key": "k"}, renderer=renderer),
        AddToCartForm(initial={"sku": "TEE", "quantity": 1}, renderer=renderer),
        CartLineForm(initial={"quantity": 2}, renderer=renderer),
    ]


def _inputs(form) -> list[str]:
    form.is_bound and form.is_valid()
    return [re.sub(r">\s+<", "><", re.sub(r"\s+", " ", str(form[name]))) for name in form.fields]


def test_storefront_forms_draw_inputs_with_the_jinja2_renderer():
    assert isinstance(INPUTS, Jinja2)
    for form in _forms(None):
        assert form.renderer is INPUTS


def test_the_inputs_are_those_djangos_default_renderer_draws():
    for fast, default in zip(_forms(None), _forms(DjangoTemplates()), strict=True):
        assert _inputs(fast) == _inputs(default)


def test_a_typed_value_is_escaped_and_a_card_number_never_echoed():
    address, card = _forms(None)[1], _forms(None)[4]
    address.is_valid()
    card.is_valid()

    assert 'value="&lt;b&gt;Ada&lt;/b&gt;"' in str(address["name"])
    assert "4242" not in str(card["card_number"])


DJANGO_JINJA2_WIDGETS = Path(django.__file__).parent / "forms" / "jinja2"


def test_the_plain_inputs_are_the_templates_that_only_include_input_html():
    for name in PLAIN_INPUT_TEMPLATES:
        text = (DJANGO_JINJA2_WIDGETS / name).read_text().strip()
        assert text == '{% include "django/forms/widgets/input.html" %}', name


class EveryInput(forms.Form):
    text = forms.CharField(widget=forms.TextInput(attrs={"placeholder": 'a "quoted" & <b>'}))
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autofocus": True, "hidden": False}))
    hidden = forms.CharField(widget=forms.HiddenInput)
    number = forms.IntegerField(min_value=0, max_value=99)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    tel = forms.CharField(widget=forms.TextInput(attrs={"type": "tel", "data-x": 0}))
    url = forms.URLField(required=False, assume_scheme="https")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    search = forms.CharField(widget=forms.SearchInput, required=False)
    color = forms.CharField(widget=forms.ColorInput, required=False)
    time = forms.TimeField(widget=forms.TimeInput)
    agree = forms.BooleanField(required=False)  # a checkbox: drawn by its template
    choice = forms.ChoiceField(choices=[("a", "A & B")])  # a select: drawn by its template


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "text": "it's <script>",
            "email": "a&b@example.com",
            "hidden": 'x"y',
            "number": "7",
            "password": "s3cret",
            "tel": "+1 555",
            "url": "https://example.com/?a=1&b=2",
            "date": "2026-12-06",
            "search": "",
            "color": "#ff0000",
            "time": "10:00",
            "agree": "on",
            "choice": "a",
        },
    ],
)
def test_every_plain_input_is_the_tag_djangos_jinja2_template_draws(data):
    initial = {"text": mark_safe("<i>kept</i>"), "number": 0, "hidden": "h"}
    drawn = EveryInput(data, initial=initial, renderer=INPUTS)
    templated = EveryInput(data, initial=initial, renderer=Jinja2())

    for name in EveryInput.base_fields:
        assert str(drawn[name]) == str(templated[name]), name
    assert str(drawn["hidden"].as_hidden()) == str(templated["hidden"].as_hidden())


def test_plain_inputs_are_drawn_without_a_template(monkeypatch):
    def no_template(template_name):
        raise AssertionError(f"{template_name} was loaded")

    form = AddressForm(market=market("US"), initial={"country": "US"})
    monkeypatch.setattr(INPUTS, "get_template", no_template)

    assert str(form["postal_code"]).startswith('<input type="text" name="postal_code"')
    with pytest.raises(AssertionError, match="select.html"):
        str(form["country"])
