"""The tax provider interface: all tax arithmetic happens behind it (ARCHITECTURE.md).

The checkout asks for a quote (tax per line and on shipping), the placed order commits it
(the provider records the sale for filing), a refund reverses part of it. Stripe Tax maps
`quote` to a Calculation, `commit` to a Transaction from it and `refund` to a reversal;
Avalara to SalesOrder / SalesInvoice / ReturnInvoice (docs/orders.md).

Amounts given to the provider are as listed: gross where the place's prices include tax.
The provider answers with net amounts and the tax, so that for every line
    net_amount - net_discount + tax == amount - discount
and callers never need to know whether prices included tax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from shop.exceptions import DomainError


class TaxUnavailable(DomainError):
    """Tax cannot be calculated right now, so checkout cannot go on (fail closed)."""

    code = "tax_unavailable"
    status_code = 503


@dataclass(frozen=True)
class TaxableItem:
    key: str
    amount_cents: int  # as listed, before discount
    discount_cents: int = 0  # as listed
    quantity: int = 1
    tax_code: str = ""


@dataclass(frozen=True)
class TaxRequest:
    currency: str
    country: str
    region: str
    postal_code: str
    items: Sequence[TaxableItem]
    shipping: TaxableItem | None = None


@dataclass(frozen=True)
class ItemTax:
    key: str
    net_amount_cents: int
    net_discount_cents: int
    tax_cents: int
    rate_ppm: int


@dataclass(frozen=True)
class TaxQuote:
    provider: str
    prices_include_tax: bool
    items: dict[str, ItemTax]
    shipping: ItemTax | None
    jurisdiction: str = ""

    @property
    def total_tax_cents(self) -> int:
        shipping = self.shipping.tax_cents if self.shipping else 0
        return sum(item.tax_cents for item in self.items.values()) + shipping


@dataclass(frozen=True)
class TaxRefundItem:
    key: str
    amount_cents: int
    tax_cents: int


class TaxProvider(Protocol):
    name: str
    # True when `commit` files the sale without leaving the process (the manual table: the
    # reference is made up from the order's): the placing transaction records it at once.
    # False for a remote service (Stripe Tax, Avalara): a Celery task commits after the
    # order's transaction, outside every lock, and may retry.
    commits_in_process: bool

    def quote(self, request: TaxRequest) -> TaxQuote:
        """Tax per item and on shipping. Raises TaxUnavailable when it cannot answer."""
        ...

    def commit(self, *, order_reference: str, quote: TaxQuote) -> str:
        """Record the sale for filing; returns the provider's transaction reference."""
        ...

    def refund(
        self, *, order_reference: str, transaction_reference: str, items: Sequence[TaxRefundItem]
    ) -> str:
        """Record a (partial) reversal of a committed sale; returns its reference."""
        ...
