from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.money import (
    CurrencyMismatch,
    Money,
    allocate,
    format_decimal_amount,
    parse_decimal_amount,
    sum_money,
    zero,
)


@pytest.mark.parametrize(
    ("text", "currency", "cents"),
    [
        ("19.99", "USD", 1999),
        ("25", "USD", 2500),
        ("1,299.50", "EUR", 129950),
        ("500", "JPY", 500),
        ("0.5", "USD", 50),
        ("1.234", "KWD", 1234),
    ],
)
def test_parse_decimal_amount_gives_minor_units(text, currency, cents):
    assert parse_decimal_amount(text, currency) == cents


@pytest.mark.parametrize("text", ["abc", "", "1.999", "NaN", "inf", "1e400x"])
def test_parse_decimal_amount_refuses_bad_text(text):
    with pytest.raises(ValueError):
        parse_decimal_amount(text, "USD")


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["USD", "JPY", "KWD"]))
def test_format_and_parse_round_trip(cents, currency):
    assert parse_decimal_amount(format_decimal_amount(cents, currency), currency) == cents


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(19.99, "USD")
    with pytest.raises(CurrencyMismatch):
        Money(100, "USD") + Money(100, "EUR")
    assert Money(100, "USD") + Money(250, "USD") == Money(350, "USD")
    assert str(Money(123456, "USD")) == "$1,234.56"
    assert str(Money(5000, "SEK")) == "50.00 SEK"


# --- Allocation, quantities, rates and ordering: what checkout builds on --------------------


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),  # the left-over cent goes to the earliest tie
        (-100, [1, 1, 1], [-34, -33, -33]),  # negative totals split symmetrically
        (1000, [1, 2, 3], [167, 333, 500]),
        (5, [0, 0], [3, 2]),  # all-zero weights split equally
        (10, [0, 5], [0, 10]),
        (0, [3, 7], [0, 0]),
        (7, [1], [7]),
        (1, [1, 1, 1], [1, 0, 0]),
        (2, [1, 3, 1], [1, 1, 0]),  # shares 0.4, 1.2, 0.4: the cent left goes to a .4, first
        (10, [1, 1, 8], [1, 1, 8]),
        (4, [2, 3, 5], [1, 1, 2]),  # shares 0.8, 1.2, 2.0: the largest remainder (.8) wins
        (3, [2, 1, 2], [1, 1, 1]),
    ],
)
def test_allocate_by_largest_remainder(total, weights, parts):
    assert allocate(total, weights) == parts


@pytest.mark.parametrize(
    ("weights", "error"),
    [([], ValueError), ([1, -1], ValueError), ([1.5], ValueError), ([True], ValueError)],
)
def test_allocate_refuses_bad_weights(weights, error):
    with pytest.raises(error):
        allocate(100, weights)


def test_allocate_refuses_a_non_integer_total():
    with pytest.raises(TypeError):
        allocate(1.5, [1])


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12),
)
def test_allocate_sums_exactly_and_each_part_is_within_one_of_its_share(total, weights):
    parts = allocate(total, weights)

    assert sum(parts) == total
    assert len(parts) == len(weights)
    effective = weights if any(weights) else [1] * len(weights)
    for part, weight in zip(parts, effective, strict=True):
        exact = Fraction(total * weight, sum(effective))
        assert abs(part - exact) < 1


@given(
    st.integers(min_value=0, max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8),
)
def test_allocate_negative_total_mirrors_the_positive_one(total, weights):
    assert allocate(-total, weights) == [-part for part in allocate(total, weights)]


def test_money_allocate_keeps_the_currency():
    assert Money(1000, "EUR").allocate([1, 1, 1]) == [
        Money(334, "EUR"),
        Money(333, "EUR"),
        Money(333, "EUR"),
    ]


def test_money_times_a_quantity_is_exact_and_refuses_fractions():
    assert Money(1999, "USD") * 3 == Money(5997, "USD")
    assert 3 * Money(1999, "USD") == Money(5997, "USD")
    assert Money(1999, "USD") * 0 == Money(0, "USD")
    for factor in (1.5, Decimal("1.5"), True):
        with pytest.raises(TypeError):
            Money(1999, "USD") * factor


@pytest.mark.parametrize(
    ("cents", "rate", "rounding", "result"),
    [
        (1999, 1900, ROUND_HALF_UP, 380),  # 19% in basis points: 379.81
        (1999, Decimal("0.19"), ROUND_HALF_UP, 380),
        (250, 500, ROUND_HALF_UP, 13),  # 12.5 rounds up
        (250, 500, ROUND_HALF_EVEN, 12),  # 12.5 rounds to even
        (250, 500, ROUND_FLOOR, 12),
        (-250, 500, ROUND_HALF_UP, -13),  # half away from zero, symmetric
        (-250, 500, ROUND_FLOOR, -13),
        (1000, Decimal("0.0725"), ROUND_HALF_UP, 73),  # 72.5
        (10**30, Decimal("0.123456789"), ROUND_HALF_UP, 123456789 * 10**21),  # no precision loss
    ],
)
def test_apply_rate_rounds_once_with_the_stated_mode(cents, rate, rounding, result):
    assert Money(cents, "USD").apply_rate(rate, rounding=rounding) == Money(result, "USD")


def test_apply_rate_refuses_floats_and_non_finite_rates():
    for rate in (0.19, Decimal("NaN"), Decimal("Infinity"), "0.19"):
        with pytest.raises(TypeError):
            Money(100, "USD").apply_rate(rate)


def test_money_ordering_negation_zero_and_sum():
    low, high = Money(100, "USD"), Money(250, "USD")

    assert (low < high, low <= high, high > low, high >= low) == (True, True, True, True)
    assert (low <= Money(100, "USD"), low >= Money(100, "USD")) == (True, True)
    assert max([low, high]) == high
    assert sorted([high, low]) == [low, high]
    assert -low == Money(-100, "USD")
    assert Money.zero("EUR") == zero("EUR") == Money(0, "EUR")
    assert sum([low, high]) == Money(350, "USD")
    assert sum_money([], "USD") == Money(0, "USD")
    assert sum_money([low, high], "USD") == Money(350, "USD")


def test_money_across_currencies_is_unequal_and_unordered():
    usd, eur = Money(100, "USD"), Money(100, "EUR")

    assert usd != eur
    for compare in (
        lambda: usd < eur,
        lambda: usd <= eur,
        lambda: usd > eur,
        lambda: usd >= eur,
        lambda: usd - eur,
        lambda: sum_money([usd], "EUR"),
    ):
        with pytest.raises(CurrencyMismatch):
            compare()


def test_money_format_in_a_locale():
    assert Money(2650, "EUR").format("de_DE") == "26,50\xa0€"
    assert Money(123456, "USD").format("en_US") == "$1,234.56"
