"""Write bodies and helpers shared by the catalog service tests (products and variants)."""

import pytest

from catalog import services
from catalog.models import (
    Brand,
    Option,
    OptionValue,
    Product,
    Variant,
    VariantIdentifier,
    VariantPrice,
)
from shop.exceptions import ValidationFailed

EAN = "4006381333931"
EAN_BAD = "4006381333932"
UPC = "036000291452"


def _variant(sku, color="Red", size="M", **extra):
    return {
        "sku": sku,
        "option_values": {"Color": color, "Size": size},
        "prices": [{"amount": 2500, "currency": "USD"}],
        "identifiers": [],
        **extra,
    }


def _body(**overrides):
    body = {
        "handle": "cosy-hoodie",
        "title": "Cosy hoodie",
        "description": "Warm.",
        "brand": "Northwind",
        "status": "active",
        "options": [
            {"name": "Color", "values": ["Red", "Blue"]},
            {"name": "Size", "values": ["M", "L"]},
        ],
        "variants": [
            _variant("HOOD-RED-M", identifiers=[{"kind": "ean", "value": EAN}]),
            _variant("HOOD-RED-L", size="L"),
            _variant("HOOD-BLUE-M", color="Blue"),
        ],
    }
    body.update(overrides)
    return body


def _counts():
    models = (Product, Variant, VariantPrice, VariantIdentifier, Option, OptionValue, Brand)
    return {m.__name__: m.objects.count() for m in models}


def _record_calls(monkeypatch, module, name) -> list[dict]:
    """Wrap module.name so the test sees each call's keyword arguments; the real one still runs."""
    calls, real = [], getattr(module, name)

    def wrapper(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def _refused(data, **kwargs):
    """Run create_product expecting a refusal; assert nothing was written; return the error."""
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        services.create_product(data=data, actor=None, **kwargs)
    assert _counts() == before
    return caught.value
