"""Which payment gateway, tax provider and shipping-rate provider the orders app talks to.

Each kind has a base.py (Protocol + dataclasses) and one implementation per module. Settings
pick an implementation by name (ORDERS_PAYMENT_GATEWAY, ORDERS_TAX_PROVIDER,
ORDERS_SHIPPING_PROVIDER; defaults dummy, manual, table); a new adapter registers its
factory in the table below. Tests swap implementations with `override(...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

from orders.providers.payments.base import PaymentGateway
from orders.providers.shipping.base import ShippingRateProvider
from orders.providers.tax.base import TaxProvider


def _dummy_gateway():
    from orders.providers.payments.dummy import DummyGateway

    return DummyGateway()


def _manual_tax():
    from orders.providers.tax.manual import ManualTaxProvider

    return ManualTaxProvider()


def _table_shipping():
    from orders.providers.shipping.table import TableShippingProvider

    return TableShippingProvider()


PAYMENT_GATEWAYS: dict[str, Callable[[], PaymentGateway]] = {"dummy": _dummy_gateway}
TAX_PROVIDERS: dict[str, Callable[[], TaxProvider]] = {"manual": _manual_tax}
SHIPPING_PROVIDERS: dict[str, Callable[[], ShippingRateProvider]] = {"table": _table_shipping}

_overrides: dict[str, Any] = {}


def _pick(kind: str, table: dict, setting: str, default: str):
    if kind in _overrides:
        return _overrides[kind]
    name = getattr(settings, setting, default)
    try:
        return table[name]()
    except KeyError:
        raise LookupError(f"{setting}={name!r} is not one of {sorted(table)}") from None


def payment_gateway() -> PaymentGateway:
    return _pick("payments", PAYMENT_GATEWAYS, "ORDERS_PAYMENT_GATEWAY", "dummy")


def gateway_named(name: str) -> PaymentGateway:
    """The gateway an existing order was paid through (it may differ from today's default)."""
    if "payments" in _overrides:
        return _overrides["payments"]
    return PAYMENT_GATEWAYS[name]()


def tax_provider() -> TaxProvider:
    return _pick("tax", TAX_PROVIDERS, "ORDERS_TAX_PROVIDER", "manual")


def shipping_provider() -> ShippingRateProvider:
    """The configured provider, minus the shipping methods switched off (orders.switches)."""
    from orders.switches import SwitchableShippingProvider

    return SwitchableShippingProvider(
        _pick("shipping", SHIPPING_PROVIDERS, "ORDERS_SHIPPING_PROVIDER", "table")
    )


_UNSET: Any = object()


@contextmanager
def override(*, payments=_UNSET, tax=_UNSET, shipping=_UNSET) -> Iterator[None]:
    """Use these provider instances for a block (tests); arguments left out are unchanged."""
    saved = dict(_overrides)
    try:
        for kind, value in (("payments", payments), ("tax", tax), ("shipping", shipping)):
            if value is not _UNSET:
                _overrides[kind] = value
        yield
    finally:
        _overrides.clear()
        _overrides.update(saved)
