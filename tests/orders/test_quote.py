"""orders.quote is pure: these tests need no database."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders.exceptions import InvalidShippingMethod
from orders.providers.shipping.table import RateRow, TableShippingProvider
from orders.providers.tax.base import TaxUnavailable
from orders.providers.tax.manual import ManualTaxProvider, Rate
from orders.quote import (
    Adjustment,
    Destination,
    QuoteInput,
    QuoteLine,
    apply_promotions,
    build_quote,
    find_price_changes,
)

RATES = [
    Rate("US", "", 0, False, False),
    Rate("US", "NY", 40_000, False, True),
    Rate("US", "CA", 72_500, False, False),
    Rate("CA", "", 50_000, False, True),
    Rate("CA", "QC", 149_750, False, True),
    Rate("DE", "", 190_000, True, True),
    Rate("FR", "", 200_000, True, True),
]
SHIPPING = [
    RateRow("standard", "Standard", 0, ("US",), (), "USD", 599, 0, 2000, free_over_cents=5000),
    RateRow("standard", "Standard", 0, ("US",), (), "USD", 999, 2000, None),
    RateRow("standard", "Standard", 0, ("US",), ("US-AK", "US-HI"), "USD", 1499),
    RateRow("express", "Express", 1, ("US",), (), "USD", 1499),
    RateRow("standard", "Standard", 0, ("CA",), (), "CAD", 899, free_over_cents=7500),
    RateRow("standard", "Standard", 0, ("DE", "FR"), (), "EUR", 499, free_over_cents=5000),
]
TAX = ManualTaxProvider(RATES)
SHIP = TableShippingProvider(SHIPPING)


def quote_for(lines, *, currency="USD", dest=("US", "NY"), method="standard", promos=()):
    return build_quote(
        QuoteInput(
            currency=currency,
            market="X",
            channel="web",
            lines=tuple(
                QuoteLine(str(i), f"SKU{i}", qty, price, weight)
                for i, (qty, price, weight) in enumerate(lines)
            ),
            destination=Destination(*dest) if dest else None,
            shipping_method=method if dest else "",
        ),
        tax_provider=TAX,
        shipping_provider=SHIP,
        promotions=lambda _input: list(promos),
    )


def totals(quote):
    return (
        quote.subtotal_cents,
        quote.discount_total_cents,
        quote.shipping_total_cents,
        quote.tax_total_cents,
        quote.total_cents,
    )


@pytest.mark.parametrize(
    ("lines", "currency", "dest", "expected"),
    [
        # NY: 4% on goods and shipping (1 x $19.99 + $5.99 shipping)
        ([(1, 1999, 300)], "USD", ("US", "NY"), (1999, 0, 599, 104, 2702)),
        # NY, free shipping from $50
        ([(2, 2500, 300)], "USD", ("US", "NY"), (5000, 0, 0, 200, 5200)),
        # California: 7.25%, shipping not taxed; heavy parcel band
        ([(3, 1000, 800)], "USD", ("US", "CA"), (3000, 0, 999, 218, 4217)),
        # Oregon: no state row -> the country's 0%
        ([(1, 1000, 0)], "USD", ("US", "OR"), (1000, 0, 599, 0, 1599)),
        # Alaska: the region zone beats the country zone
        ([(1, 1000, 0)], "USD", ("US", "AK"), (1000, 0, 1499, 0, 2499)),
        # Quebec GST + QST 14.975%: 1000 -> 149.75 -> 150; shipping 899 -> 134.6 -> 135
        ([(1, 1000, 0)], "CAD", ("CA", "QC"), (1000, 0, 899, 285, 2184)),
        # Germany, VAT included: gross 23.99 -> net 20.16 + 3.83; shipping 4.99 -> 4.19 + 0.80
        ([(1, 2399, 0)], "EUR", ("DE", ""), (2016, 0, 419, 463, 2898)),
        # No address yet: no shipping, no tax
        ([(2, 1999, 0)], "USD", None, (3998, 0, 0, 0, 3998)),
    ],
)
def test_quote_totals_table(lines, currency, dest, expected):
    quote = quote_for(lines, currency=currency, dest=dest)

    assert totals(quote) == expected


def test_vat_inclusive_total_is_what_the_customer_saw():
    quote = quote_for([(3, 2399, 0), (1, 999, 0)], currency="EUR", dest=("FR", ""))

    assert quote.prices_include_tax is True
    assert quote.total_cents == 3 * 2399 + 999  # free shipping over 50 EUR
    assert [line.total_cents for line in quote.lines] == [7197, 999]


def test_order_discount_is_allocated_by_largest_remainder_and_reconciles():
    promos = [Adjustment("promo_x", "X", 1000)]

    quote = quote_for([(1, 3333, 0), (1, 3333, 0), (1, 3334, 0)], dest=("US", "OR"), promos=promos)

    assert [line.discount_cents for line in quote.lines] == [333, 333, 334]
    assert [line.discounts for line in quote.lines] == [
        (("promo_x", 333),),
        (("promo_x", 333),),
        (("promo_x", 334),),
    ]
    assert quote.discount_total_cents == 1000
    assert quote.total_cents == 10000 - 1000 + 0  # 9000 of goods: free shipping


def test_discount_never_exceeds_the_lines_it_applies_to():
    promos = [Adjustment("p", "P", 99_999, line_keys=("1",))]

    quote = quote_for([(1, 1000, 0), (1, 500, 0)], dest=("US", "OR"), promos=promos)

    assert [line.discount_cents for line in quote.lines] == [0, 500]
    assert quote.total_cents == 1000 + 599


def test_shipping_discount_comes_off_shipping_only():
    promos = [Adjustment("free_ship", "Free shipping", 10_000, applies_to="shipping")]

    quote = quote_for([(1, 1000, 0)], dest=("US", "NY"), promos=promos)

    assert quote.shipping_total_cents == 599
    assert quote.shipping_discount_cents == 599
    assert quote.discount_total_cents == 599
    assert quote.tax_total_cents == 40  # 4% of 1000; shipping 0 after discount
    assert quote.total_cents == 1040


def test_promotions_seam_is_a_named_no_op():
    assert apply_promotions(QuoteInput("USD", "US", "web", ())) == []


def test_quote_calls_the_promotions_hook_with_the_input():
    seen = []
    build_quote(
        QuoteInput("USD", "US", "web", (QuoteLine("a", "A", 1, 100),)),
        promotions=lambda quote_input: seen.append(quote_input) or [],
    )

    assert [q.lines[0].sku for q in seen] == ["A"]


def test_unknown_shipping_method_for_the_country_is_refused():
    with pytest.raises(InvalidShippingMethod) as exc:
        quote_for([(1, 1000, 0)], dest=("US", "NY"), method="drone")

    assert exc.value.fields == {"shipping_method": ["Choose one of: standard, express."]}


def test_country_without_tax_rates_fails_closed():
    with pytest.raises(TaxUnavailable):
        quote_for([(1, 1000, 0)], currency="USD", dest=("MX", ""), method="")


def test_a_tax_provider_that_loses_a_line_fails_closed():
    class Broken(ManualTaxProvider):
        def quote(self, request):
            real = super().quote(request)
            return type(real)(real.provider, real.prices_include_tax, {}, real.shipping)

    with pytest.raises(TaxUnavailable):
        build_quote(
            QuoteInput(
                "USD", "US", "web", (QuoteLine("a", "A", 1, 100),), Destination("US", "NY")
            ),
            tax_provider=Broken(RATES),
        )


def test_price_changes_are_listed_with_a_readable_message():
    changes = find_price_changes(
        captured={"a": 2500, "b": 1000},
        lines=[QuoteLine("a", "TEE", 1, 2700), QuoteLine("b", "CAP", 1, 1000)],
        currency="USD",
    )

    assert [c.message for c in changes] == ["TEE: price changed from $25.00 to $27.00"]


# --- Property: totals reconcile to the cent, whatever the cart, market and rates ---------

lines_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=999),
        st.integers(min_value=0, max_value=500_000),
        st.integers(min_value=0, max_value=5_000),
    ),
    min_size=1,
    max_size=8,
)
promo_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2_000_000),
        st.sampled_from(["lines", "shipping"]),
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(
    lines=lines_strategy,
    promos=promo_strategy,
    rate_ppm=st.integers(min_value=0, max_value=300_000),
    inclusive=st.booleans(),
    taxed_shipping=st.booleans(),
    shipping=st.integers(min_value=0, max_value=10_000),
    currency=st.sampled_from(["USD", "CAD", "EUR", "JPY"]),
)
def test_totals_always_reconcile(
    lines, promos, rate_ppm, inclusive, taxed_shipping, shipping, currency
):
    tax = ManualTaxProvider([Rate("ZZ", "", rate_ppm, inclusive, taxed_shipping)])
    ship = TableShippingProvider([RateRow("std", "Std", 0, ("ZZ",), (), currency, shipping)])
    quote = build_quote(
        QuoteInput(
            currency=currency,
            market="ZZ",
            channel="web",
            lines=tuple(
                QuoteLine(str(i), f"S{i}", qty, price, weight)
                for i, (qty, price, weight) in enumerate(lines)
            ),
            destination=Destination("ZZ"),
            shipping_method="std",
        ),
        tax_provider=tax,
        shipping_provider=ship,
        promotions=lambda _i: [
            Adjustment(f"p{n}", "P", amount, applies_to=target)
            for n, (amount, target) in enumerate(promos)
        ],
    )

    q = quote
    assert q.total_cents == (
        q.subtotal_cents - q.discount_total_cents + q.shipping_total_cents + q.tax_total_cents
    )
    assert sum(line.subtotal_cents for line in q.lines) == q.subtotal_cents
    assert (
        sum(line.total_cents for line in q.lines)
        + (q.shipping_total_cents - q.shipping_discount_cents + q.shipping_tax_cents)
        == q.total_cents
    )
    assert sum(line.net_discount_cents for line in q.lines) + q.shipping_discount_cents == (
        q.discount_total_cents
    )
    assert sum(line.tax_cents for line in q.lines) + q.shipping_tax_cents == q.tax_total_cents
    for line in q.lines:
        assert line.total_cents == line.subtotal_cents - line.net_discount_cents + line.tax_cents
        assert 0 <= line.discount_cents <= line.amount_cents
        assert sum(part for _, part in line.discounts) == line.discount_cents
        assert line.tax_cents >= 0
    goods = sum(line.amount_cents - line.discount_cents for line in q.lines)
    shipping_off = min(shipping, sum(amount for amount, target in promos if target == "shipping"))
    if inclusive:
        # What the customer pays is exactly the listed amounts after discounts.
        assert q.total_cents == goods + shipping - shipping_off
    else:
        assert q.subtotal_cents == sum(line.amount_cents for line in q.lines)
        assert q.shipping_total_cents == shipping
