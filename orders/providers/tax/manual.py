"""The development tax provider: one rate per country or region from the TaxRate table.

Exclusive prices (US, CA): tax = amount × rate, rounded half up once per line.
Inclusive prices (EU VAT): the tax inside a gross amount is gross - gross / (1 + rate), the
net rounded half up; line amount and discount are split separately so that
net - net_discount + tax == gross - discount exactly.
A country without any active rate row is an error (TaxUnavailable), never "no tax".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from orders.providers.tax.base import (
    ItemTax,
    TaxableItem,
    TaxQuote,
    TaxRefundItem,
    TaxRequest,
    TaxUnavailable,
)

PPM = 1_000_000


@dataclass(frozen=True)
class Rate:
    country: str
    region: str
    rate_ppm: int
    prices_include_tax: bool
    applies_to_shipping: bool
    name: str = ""


def _half_up_div(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def tax_on(amount_cents: int, rate_ppm: int) -> int:
    """Tax added to a net amount."""
    return _half_up_div(amount_cents * rate_ppm, PPM)


def tax_within(gross_cents: int, rate_ppm: int) -> int:
    """Tax contained in a gross amount."""
    return gross_cents - _half_up_div(gross_cents * PPM, PPM + rate_ppm)


def _item_tax(item: TaxableItem, rate_ppm: int, inclusive: bool) -> ItemTax:
    if inclusive:
        tax_amount = tax_within(item.amount_cents, rate_ppm)
        tax_discount = tax_within(item.discount_cents, rate_ppm)
        return ItemTax(
            key=item.key,
            net_amount_cents=item.amount_cents - tax_amount,
            net_discount_cents=item.discount_cents - tax_discount,
            tax_cents=tax_amount - tax_discount,
            rate_ppm=rate_ppm,
        )
    return ItemTax(
        key=item.key,
        net_amount_cents=item.amount_cents,
        net_discount_cents=item.discount_cents,
        tax_cents=tax_on(item.amount_cents - item.discount_cents, rate_ppm),
        rate_ppm=rate_ppm,
    )


class ManualTaxProvider:
    """Rates from a table: pass `rates` (tests) or leave it out to read TaxRate rows."""

    name = "manual"
    commits_in_process = True  # filing is the reference below: nothing to send anywhere

    def __init__(self, rates: Iterable[Rate] | None = None):
        self._rates = list(rates) if rates is not None else None

    def _load(self, country: str) -> list[Rate]:
        if self._rates is not None:
            return [r for r in self._rates if r.country == country]
        from orders.providers.tables import rate_tables  # imported late: tests run pure

        try:
            rates = rate_tables()[1]
        except Exception as exc:  # a database error must not become "no tax"
            raise TaxUnavailable("Tax rates could not be read.") from exc
        return [r for r in rates if r.country == country]

    def rate_for(self, country: str, region: str) -> Rate:
        rows = self._load(country)
        by_region = {r.region: r for r in rows}
        rate = by_region.get(region or "") or by_region.get("")
        if rate is None:
            raise TaxUnavailable(f"No tax rate is configured for {country or 'this address'}.")
        return rate

    def quote(self, request: TaxRequest) -> TaxQuote:
        rate = self.rate_for(request.country, request.region)
        inclusive = rate.prices_include_tax
        items = {item.key: _item_tax(item, rate.rate_ppm, inclusive) for item in request.items}
        shipping = None
        if request.shipping is not None:
            shipping_rate = rate.rate_ppm if rate.applies_to_shipping else 0
            shipping = _item_tax(request.shipping, shipping_rate, inclusive)
        place = f"{rate.country}-{rate.region}" if rate.region else rate.country
        return TaxQuote(
            provider=self.name,
            prices_include_tax=inclusive,
            items=items,
            shipping=shipping,
            jurisdiction=place,
        )

    def commit(self, *, order_reference: str, quote: TaxQuote) -> str:
        return f"manual:{order_reference}"

    def refund(
        self, *, order_reference: str, transaction_reference: str, items: Sequence[TaxRefundItem]
    ) -> str:
        return f"manual-refund:{order_reference}:{sum(i.tax_cents for i in items)}"
