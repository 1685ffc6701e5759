import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.money import CurrencyMismatch, Money, format_decimal_amount, parse_decimal_amount


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
