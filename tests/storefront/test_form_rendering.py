"""The storefront's forms draw their inputs with Django's Jinja2 form renderer: the same
inputs as Django's default renderer draws (blank lines aside), in less time."""

import re
from collections import namedtuple

import pytest
from django.forms.renderers import DjangoTemplates, Jinja2

from storefront.form_rendering import INPUTS
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
